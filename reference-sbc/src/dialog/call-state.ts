/**
 * The states of one B2BUA call and the only moves between them. The call asks for a move and this
 * machine applies it only when the table allows it; a refused move is reported (logged and counted
 * by the owner), never applied silently, the way the transaction machines only act in the states
 * RFC 3261 17 names.
 */
export enum CallState {
  /** The B-leg INVITE is out; nothing but 100 came back (failover to another hop still possible). */
  Routing = 'routing',
  /** A provisional with a tag was relayed; early dialogs exist (RFC 3261 12.1). */
  Early = 'early',
  /** 2xx relayed to the caller; waiting for the caller's ACK (RFC 3261 13.3.1.4). */
  Answered = 'answered',
  /** The caller ACKed the 2xx; both dialogs are confirmed. */
  Confirmed = 'confirmed',
  /** The final outcome was given; only cleanup (ACK-then-BYE of a late 2xx, CANCEL) remains. */
  Ended = 'ended',
}

/** From each state, the states a call may move to. Staying in a state is not a move. */
export const CALL_TRANSITIONS: Readonly<Record<CallState, readonly CallState[]>> = Object.freeze({
  // RFC 3261 13.2.2: a provisional, a 2xx or a final error (or the caller giving up) may end Routing.
  [CallState.Routing]: [CallState.Early, CallState.Answered, CallState.Ended],
  [CallState.Early]: [CallState.Answered, CallState.Ended],
  // RFC 3261 13.3.1.4: the ACK confirms the call; no ACK within 64*T1 ends it.
  [CallState.Answered]: [CallState.Confirmed, CallState.Ended],
  [CallState.Confirmed]: [CallState.Ended],
  [CallState.Ended]: [],
});

export type RefusedTransition = (from: CallState, to: CallState) => void;

export class CallStateMachine {
  private current = CallState.Routing;
  private refusals = 0;
  private readonly onRefused: RefusedTransition;

  constructor(onRefused: RefusedTransition) {
    this.onRefused = onRefused;
  }

  get state(): CallState {
    return this.current;
  }

  /** How many moves were asked for that the table does not allow. */
  get refused(): number {
    return this.refusals;
  }

  /**
   * Moves to `to` when the table allows it. Returns true when the call is in `to` afterwards
   * (moved, or already there); false when the move was refused and reported.
   */
  moveTo(to: CallState): boolean {
    const from = this.current;
    if (from === to) return true;
    if (!CALL_TRANSITIONS[from].includes(to)) {
      this.refusals += 1;
      this.onRefused(from, to);
      return false;
    }
    this.current = to;
    return true;
  }
}
