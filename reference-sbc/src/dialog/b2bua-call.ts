import type { SbcError } from '../errors';
import type { Logger } from '../logger';
import { createResponse, type SipRequest, type SipResponse } from '../sip/message';
import type { InviteClientTransaction } from '../transaction/invite-client';
import { InviteServerTransaction } from '../transaction/invite-server';
import type { Timer, Timers } from '../transaction/timers';
import type { ServerTransaction, TransactionLayer } from '../transaction/transaction-layer';
import type { Target } from '../transport/types';
import { AbandonedAttempt } from './abandoned-attempt';
import type { LegSide, RegisteredCall } from './call-registry';
import { CallState, CallStateMachine } from './call-state';
import { Dialog, DialogState, type LocalSide } from './dialog';
import { carriedReason, copyBody } from './leg-request';
import { InDialogRelay } from './in-dialog-relay';
import { ReinviteRelay } from './reinvite-relay';
import { sdpBody, type SdpRewriter } from './sdp-rewriter';
import { TwoXxRetransmitter } from './two-xx-retransmitter';

export { CallState } from './call-state';

/** Why a call ended, as the CDR records it (events.ts CallEnded.endReason). */
export type EndReason = 'caller-bye' | 'callee-bye' | 'cancelled' | 'rejected' | 'timeout' | 'failed' | 'shutdown' | 'max-duration' | 'media-timeout';

export interface CallHooks {
  answered(): void;
  /** Emitted exactly once per call with the final status the caller saw. */
  ended(finalStatus: number, reason: EndReason): void;
  /** All dialog state is gone; the owner drops its references. */
  released(): void;
  /** Media anchoring: every SDP that crosses legs goes through it. Absent: SDP crosses unchanged. */
  sdp?: SdpRewriter;
  /** The B leg's identifiers changed (a failover to another next hop): refile the call. */
  legsChanged?(): void;
  /** The call asked for a state change its table does not allow (it was not applied): count it. */
  refusedTransition?(from: CallState, to: CallState): void;
}

/** One try of the B leg: its INVITE, where it goes and from which local side. */
export interface BLegAttempt {
  invite: SipRequest;
  target: Target;
  side: LocalSide;
  /** How long this hop may stay completely silent; undefined: CallDeps.noResponseMs. */
  noResponseMs?: number | undefined;
}

export interface CallSetup {
  key: string;
  /** The caller's INVITE server transaction (A leg). */
  aTx: InviteServerTransaction;
  aSide: LocalSide;
  /** Our To tag on the A leg, used on every response >100. */
  aTag: string;
  /** The INVITE of the new leg (B leg), built by the policy layer. */
  bInvite: SipRequest;
  bSide: LocalSide;
  bTarget: Target;
  /** The first hop's own silence limit; undefined: CallDeps.noResponseMs. */
  bNoResponseMs?: number | undefined;
  /**
   * The next hop to try when the current one does not answer at all in time, fails to send, or
   * answers 503 / times out before any provisional; undefined when there is none left.
   */
  nextAttempt?: () => BLegAttempt | undefined;
  /**
   * Whether a final error answer of the current attempt moves the call on (the route's policy,
   * e.g. ENUM: 408 and any 5xx); undefined leaves the default: 503 and 408.
   */
  retryOn?: (response: SipResponse) => boolean | undefined;
}

export interface CallDeps {
  transactions: TransactionLayer;
  timers: Timers;
  log: Logger;
  hooks: CallHooks;
  /** Longest wait for a final answer on the B leg (RFC 3261 Timer C, > 3 min). */
  setupTimeoutMs: number;
  /** How long a next hop may stay completely silent (not even 100) before the call moves on. */
  noResponseMs?: number;
}

/**
 * One B2BUA call: two independent dialogs (A = caller side, B = the leg the SBC created) and the
 * rules for what crosses between them. Only status codes, reason phrases and bodies cross; every
 * header is the SBC's own on each leg. ACK for 2xx is end to end, non-2xx ACK is hop by hop
 * (done by the client transaction).
 */
export class B2buaCall implements RegisteredCall {
  readonly key: string;
  readonly inviteTxKey: string;
  private readonly setup: CallSetup;
  private readonly deps: CallDeps;
  private readonly log: Logger;
  private readonly relay: InDialogRelay;
  private readonly reinvites: ReinviteRelay;
  private readonly machine: CallStateMachine;
  private bTx: InviteClientTransaction | undefined;
  private bInvite: SipRequest;
  private bTarget: Target;
  private bSide: LocalSide;
  private bNoResponseMs: number | undefined;
  /** Turns the current B-leg attempt into an abandoned one (see failover). */
  private abandonAttempt: (() => void) | undefined;
  private noResponseTimer: Timer | undefined;
  private aDialog: Dialog | undefined;
  private bDialog: Dialog | undefined;
  private bAck: SipRequest | undefined;
  private cancelPending = false;
  private endedEmitted = false;
  private released = false;
  private setupTimer: Timer | undefined;
  private cancelTimer: Timer | undefined;
  private retransmitter: TwoXxRetransmitter | undefined;
  /** B-leg responses wait here while their SDP is rewritten, so a 200 never overtakes its 183. */
  private relayChain: Promise<void> = Promise.resolve();

  constructor(setup: CallSetup, deps: CallDeps) {
    this.setup = setup;
    this.deps = deps;
    this.key = setup.key;
    this.inviteTxKey = setup.aTx.key;
    this.bInvite = setup.bInvite;
    this.bTarget = setup.bTarget;
    this.bSide = setup.bSide;
    this.bNoResponseMs = setup.bNoResponseMs;
    this.log = deps.log.child({ call: setup.key });
    this.relay = new InDialogRelay(deps.transactions, this.log, deps.hooks.sdp);
    this.reinvites = new ReinviteRelay(deps.transactions, deps.timers, this.log, deps.hooks.sdp);
    this.machine = new CallStateMachine((from, to) => {
      this.log.warn('call state change refused', { from, to });
      deps.hooks.refusedTransition?.(from, to);
    });
  }

  get state(): CallState {
    return this.machine.state;
  }

  legIds(): Array<{ side: LegSide; callId: string; localTag: string }> {
    const b = this.bInvite;
    const bTag = b.from().params.find((p) => p.name.toLowerCase() === 'tag')?.value ?? '';
    return [
      { side: 'a', callId: this.setup.aTx.request.callId(), localTag: this.setup.aTag },
      { side: 'b', callId: b.callId(), localTag: bTag },
    ];
  }

  /** The zone each leg lives in; in-dialog requests for a leg must arrive there. */
  zoneOf(side: LegSide): string {
    return side === 'a' ? this.setup.aSide.zone : this.bSide.zone;
  }

  start(): void {
    this.startAttempt();
    this.setupTimer = this.deps.timers.start(this.deps.setupTimeoutMs, () => this.onSetupTimeout());
  }

  private startAttempt(): void {
    const attempt: BLegAttempt = { invite: this.bInvite, target: this.bTarget, side: this.bSide };
    let abandoned: AbandonedAttempt | undefined;
    const tx = this.deps.transactions.sendRequest(attempt.invite, attempt.target, {
      onResponse: (res) => {
        if (tx !== this.bTx) {
          abandoned?.onResponse(res, tx);
          return;
        }
        this.noResponseTimer?.cancel();
        this.onBResponseQueued(res);
      },
      onFailure: (err) => {
        if (tx !== this.bTx) return;
        this.noResponseTimer?.cancel();
        this.onBFailure(err);
      },
    }) as InviteClientTransaction;
    this.bTx = tx;
    this.abandonAttempt = () => {
      abandoned = new AbandonedAttempt(this.deps.transactions, this.log, attempt);
    };
    const wait = this.bNoResponseMs ?? this.deps.noResponseMs;
    if (wait !== undefined && this.setup.nextAttempt) this.noResponseTimer = this.deps.timers.start(wait, () => this.failover('no response'));
  }

  /**
   * Moves the B leg to the next hop while nothing has reached the caller yet. Returns false when
   * it cannot (the caller gave up, a provisional was relayed, no hop is left).
   */
  private failover(why: string): boolean {
    if (!this.setup.aTx.pending || this.state !== CallState.Routing || this.cancelPending || !this.setup.nextAttempt) return false;
    const next = this.setup.nextAttempt();
    if (!next) return false;
    this.log.info('B leg moves to the next hop', { why, to: next.target.endpoint });
    this.abandonAttempt?.();
    this.bInvite = next.invite;
    this.bTarget = next.target;
    this.bSide = next.side;
    this.bNoResponseMs = next.noResponseMs;
    this.deps.hooks.legsChanged?.();
    this.startAttempt();
    return true;
  }

  /** The caller CANCELled its INVITE (the CANCEL itself was already answered 200). */
  cancel(reason: EndReason = 'cancelled'): void {
    // RFC 3261 9.2: the cancelled INVITE is answered 487.
    if (!this.rejectCaller(487, reason)) return;
    this.cancelB();
  }

  /** A request inside one of the two dialogs (registry matched Call-ID and our tag). */
  handleRequest(side: LegSide, request: SipRequest, tx: ServerTransaction | undefined): void {
    const dialog = side === 'a' ? this.aDialog : this.bDialog;
    if (request.method === 'ACK') {
      if (this.reinvites.handleAck(side, request)) return;
      if (side === 'a') this.onCallerAck(request);
      return;
    }
    if (!tx) return;
    if (dialog && !dialog.acceptRemoteSeq(request)) {
      tx.respond(createResponse(request, 500, 'Out of Order'));
      return;
    }
    if (request.method === 'BYE') {
      this.onBye(side, tx);
      return;
    }
    const other = side === 'a' ? this.bDialog : this.aDialog;
    if (!dialog || !other || this.state === CallState.Ended) {
      tx.respond(createResponse(request, 481));
      return;
    }
    if (request.method === 'INVITE' && tx instanceof InviteServerTransaction) {
      // RFC 3261 14.1: no re-INVITE while the initial INVITE is still unacknowledged: 491.
      if (this.state !== CallState.Confirmed) tx.respond(createResponse(request, 491));
      else this.reinvites.start(side, request, tx, dialog, other);
      return;
    }
    this.relay.forward(side, request, tx, dialog, other);
  }

  /** Ends the call from our side (shutdown): BYE to confirmed legs, 503/CANCEL to pending ones. */
  terminate(reason: EndReason): void {
    if (this.rejectCaller(503, reason)) {
      this.cancelB();
    } else {
      this.finish(200, reason);
      if (this.aDialog) this.sendBye(this.aDialog);
      if (this.bDialog) this.sendBye(this.bDialog);
    }
    this.release();
  }

  private onBResponseQueued(res: SipResponse): void {
    const rewriter = this.deps.hooks.sdp;
    const sdp = res.status > 100 && res.status < 300 ? sdpBody(res) : undefined;
    if (!rewriter || sdp === undefined) {
      this.relayChain = this.relayChain.then(() => this.onBResponse(res)).catch((err: unknown) => this.log.error('relaying a response failed', { err }));
      return;
    }
    const toTag = res.to().params.find((p) => p.name.toLowerCase() === 'tag')?.value ?? '';
    this.relayChain = this.relayChain.then(async () => {
      if (res.status >= 200 && this.bDialog) return this.onBResponse(res);
      try {
        res.body = Buffer.from(await rewriter.answer(sdp, toTag));
      } catch (err) {
        this.log.warn('media answer failed', { err, status: res.status });
        if (res.status < 200) return;
        this.onBMediaFailure(res, (err as SbcError).status ?? 500);
        return;
      }
      this.onBResponse(res);
    }).catch((err: unknown) => this.log.error('relaying a response failed', { err }));
  }

  /** The callee answered but its media cannot be anchored: end the B leg, tell the caller. */
  private onBMediaFailure(res: SipResponse, status: number): void {
    this.setupTimer?.cancel();
    this.bDialog = Dialog.asUac(this.bInvite, res, this.bSide, this.bTarget.endpoint);
    this.ackThenBye(this.bDialog);
    this.rejectCaller(status, 'failed');
    this.release();
  }

  private onBResponse(res: SipResponse): void {
    const status = res.status;
    if (status === 100) return;
    if (status < 200) {
      if (this.cancelPending) {
        this.cancelPending = false;
        this.sendCancel();
        return;
      }
      if (this.state === CallState.Ended || !this.setup.aTx.pending) return;
      if (!this.machine.moveTo(CallState.Early)) return;
      this.answerA(this.relayResponse(res));
      return;
    }
    // The client transaction already ACKed a non-2xx; a 503 (or 408) says "try elsewhere" (RFC 3263 4.3).
    const retry = this.setup.retryOn?.(res) ?? (status === 503 || status === 408);
    if (status >= 300 && retry && this.failover(`${status}`)) return;
    this.setupTimer?.cancel();
    if (status < 300) {
      this.onBSuccess(res);
      return;
    }
    // The client transaction already ACKed the non-2xx hop by hop (RFC 3261 17.1.1.3).
    this.rejectCaller(status, 'rejected', carriedReason(res));
    this.release();
  }

  private onBSuccess(res: SipResponse): void {
    if (this.bDialog) {
      // A 2xx retransmission: re-ACK if the caller already ACKed, else absorb it (we retransmit to A ourselves).
      if (this.bAck) this.sendB(this.bAck);
      return;
    }
    this.bDialog = Dialog.asUac(this.bInvite, res, this.bSide, this.bTarget.endpoint);
    this.bDialog.state = DialogState.Confirmed;
    if (this.state === CallState.Ended || !this.setup.aTx.pending || !this.machine.moveTo(CallState.Answered)) {
      // CANCEL/200 race (RFC 3261 9.1 and 15): the callee answered after we gave up: ACK then BYE.
      this.ackThenBye(this.bDialog);
      this.release();
      return;
    }
    const ok = this.relayResponse(res);
    this.answerA(ok);
    this.deps.hooks.answered();
    this.retransmit2xx(ok);
  }

  private onBFailure(err: SbcError): void {
    if (this.failover(err.code)) return;
    this.setupTimer?.cancel();
    const status = err.status ?? 500;
    this.rejectCaller(status, status === 408 ? 'timeout' : 'failed');
    this.log.info('B leg failed', { code: err.code, status });
    this.release();
  }

  private onSetupTimeout(): void {
    // Timer C (RFC 3261 16.8): give up on the B leg, CANCEL it and answer 408 upstream.
    if (!this.rejectCaller(408, 'timeout')) return;
    this.cancelB();
  }

  private onCallerAck(ack: SipRequest): void {
    if (this.state !== CallState.Answered || !this.bDialog) return;
    if (!this.machine.moveTo(CallState.Confirmed)) return;
    this.retransmitter?.stop();
    if (this.aDialog) this.aDialog.state = DialogState.Confirmed;
    // RFC 3261 13.2.2.4 end to end: the caller's ACK becomes our own ACK on the B leg.
    this.bAck = this.bDialog.createRequest('ACK', this.bInvite.cseq().seq);
    copyBody(ack, this.bAck);
    this.sendB(this.bAck);
  }

  private onBye(side: LegSide, tx: ServerTransaction): void {
    tx.respond(createResponse(tx.request, 200));
    if (side === 'a' && this.setup.aTx.pending) {
      // BYE on an early dialog from the caller ends the attempt like a CANCEL (RFC 3261 15).
      this.cancel('caller-bye');
      this.release();
      return;
    }
    if (side === 'b' && this.rejectCaller(480, 'callee-bye')) {
      this.release();
      return;
    }
    const other = side === 'a' ? this.bDialog : this.aDialog;
    this.finish(200, side === 'a' ? 'caller-bye' : 'callee-bye');
    if (other) this.sendBye(other);
    this.release();
  }

  /** A response of the B leg rebuilt for the A leg: status, reason and body only, our Contact. */
  private relayResponse(res: SipResponse): SipResponse {
    const out = createResponse(this.setup.aTx.request, res.status, carriedReason(res), this.setup.aTag);
    out.headers.append('Contact', this.aDialogOrCreate().contact());
    copyBody(res, out);
    return out;
  }

  private aDialogOrCreate(): Dialog {
    if (!this.aDialog) {
      const { source, connectionId } = this.setup.aTx.inbound;
      this.aDialog = Dialog.asUas(this.setup.aTx.request, this.setup.aTag, this.setup.aSide, source, connectionId);
    }
    return this.aDialog;
  }

  private answerA(res: SipResponse): void {
    this.setup.aTx.respond(res);
  }

  /**
   * The one way the caller is refused: a final answer on its still-pending INVITE with our To tag
   * and the call's end recorded once. Returns false (and does nothing) when the caller already
   * has its final answer.
   */
  private rejectCaller(status: number, reason: EndReason, phrase?: string): boolean {
    if (!this.setup.aTx.pending) return false;
    this.answerA(createResponse(this.setup.aTx.request, status, phrase, this.setup.aTag));
    this.finish(status, reason);
    return true;
  }

  /**
   * The one way a B leg that answered 2xx is ended before the caller's ACK crossed (CANCEL/200
   * race, media failure, no ACK from the caller): ACK the 2xx ourselves (RFC 3261 13.2.2.4), then
   * BYE (RFC 3261 15.1.1).
   */
  private ackThenBye(dialog: Dialog): void {
    this.bAck = dialog.createRequest('ACK', this.bInvite.cseq().seq);
    this.sendB(this.bAck);
    this.sendBye(dialog);
  }

  /** RFC 3261 13.3.1.4: retransmit the relayed 2xx until the caller's ACK; without one, end the call. */
  private retransmit2xx(ok: SipResponse): void {
    const { zone, protocol, connectionId } = this.setup.aTx.inbound;
    this.retransmitter = new TwoXxRetransmitter(this.deps.timers, () => {
      this.deps.transactions.sendResponse(ok, { zone, protocol, ...(connectionId === undefined ? {} : { connectionId }) })
        .catch((err: unknown) => this.log.warn('2xx retransmission failed', { err }));
    }, () => {
      if (this.state !== CallState.Answered) return;
      this.log.warn('no ACK for 2xx, ending call');
      this.finish(200, 'failed');
      if (this.aDialog) this.sendBye(this.aDialog);
      if (this.bDialog) this.ackThenBye(this.bDialog);
      this.release();
    });
    this.retransmitter.start();
  }

  /** CANCEL the B leg now if a provisional arrived (RFC 3261 9.1), else as soon as one does. */
  private cancelB(): void {
    if (this.bTx?.receivedProvisional) this.sendCancel();
    else this.cancelPending = true;
  }

  private sendCancel(): void {
    const bTx = this.bTx;
    if (!bTx) return;
    try {
      this.deps.transactions.sendRequest(bTx.createCancel(), this.bTarget, {
        onResponse: () => undefined,
        onFailure: () => undefined,
      });
    } catch (err) {
      this.log.warn('cannot send CANCEL', { err });
    }
    // RFC 3261 9.1: without a final answer 64*T1 after the CANCEL, the INVITE transaction is given up.
    this.cancelTimer = this.deps.timers.start(this.deps.timers.B, () => {
      this.log.info('no final answer after CANCEL, giving up the B leg');
      bTx.terminate();
      this.release();
    });
  }

  private sendBye(dialog: Dialog): void {
    if (dialog.state === DialogState.Terminated) return;
    dialog.state = DialogState.Terminated;
    try {
      this.deps.transactions.sendRequest(dialog.createRequest('BYE'), dialog.target(), {
        onResponse: () => undefined,
        onFailure: (err) => this.log.info('BYE not answered', { code: err.code }),
      });
    } catch (err) {
      this.log.warn('cannot send BYE', { err });
    }
  }

  private sendB(request: SipRequest): void {
    if (!this.bDialog) return;
    this.deps.transactions.sendAck(request, this.bDialog.target())
      .catch((err: unknown) => this.log.warn('ACK send failed', { err }));
  }

  private finish(status: number, reason: EndReason): void {
    this.machine.moveTo(CallState.Ended);
    if (this.endedEmitted) return;
    this.endedEmitted = true;
    this.deps.hooks.ended(status, reason);
  }

  /** Drops every timer and the registry entries; late messages then meet 481 or the transactions. */
  private release(): void {
    if (this.released) return;
    this.released = true;
    this.machine.moveTo(CallState.Ended);
    this.setupTimer?.cancel();
    this.cancelTimer?.cancel();
    this.noResponseTimer?.cancel();
    this.retransmitter?.stop();
    this.reinvites.clear();
    this.deps.hooks.released();
  }
}
