import type { Logger } from '../logger';
import type { SipRequest, SipResponse } from '../sip/message';
import type { Inbound } from '../transport/types';
import type { Timer } from './timers';
import { isReliable, type ResponseRoute, type TransactionContext } from './types';

export enum InviteServerState {
  Proceeding = 'proceeding',
  Completed = 'completed',
  Confirmed = 'confirmed',
  /** RFC 6026 7.1: after a 2xx, absorbing INVITE retransmissions while the TU retransmits the 2xx. */
  Accepted = 'accepted',
  Terminated = 'terminated',
}

/** RFC 3261 17.2.1: the INVITE server transaction, with the RFC 6026 Accepted state. */
export class InviteServerTransaction {
  state = InviteServerState.Proceeding;
  readonly key: string;
  readonly request: SipRequest;
  readonly inbound: Inbound;
  private readonly ctx: TransactionContext;
  private readonly reliable: boolean;
  private readonly route: ResponseRoute;
  private lastResponse: SipResponse | undefined;
  private timerG: Timer | undefined;
  private timerH: Timer | undefined;
  private timerI: Timer | undefined;
  private timerL: Timer | undefined;

  constructor(key: string, inbound: Inbound & { message: SipRequest }, ctx: TransactionContext) {
    this.key = key;
    this.request = inbound.message;
    this.inbound = inbound;
    this.ctx = ctx;
    this.reliable = isReliable(inbound.protocol);
    this.route = { zone: inbound.zone, protocol: inbound.protocol, ...(inbound.connectionId === undefined ? {} : { connectionId: inbound.connectionId }) };
  }

  /** True until a final response was sent. */
  get pending(): boolean {
    return this.state === InviteServerState.Proceeding;
  }

  /** Sends a response from the TU. Returns false when the state no longer allows it. */
  respond(response: SipResponse): boolean {
    const status = response.status;
    if (this.state === InviteServerState.Proceeding) {
      this.lastResponse = response;
      this.transmit(response);
      if (status < 200) return true;
      if (status < 300) {
        // RFC 6026 7.1: a 2xx from the TU moves Proceeding -> Accepted, start Timer L.
        this.state = InviteServerState.Accepted;
        this.timerL = this.ctx.timers.start(this.ctx.timers.L, () => this.terminate());
      } else {
        // 17.2.1: 300-699 -> Completed; Timer G (unreliable) and Timer H.
        this.state = InviteServerState.Completed;
        if (!this.reliable) this.armTimerG(this.ctx.timers.G);
        this.timerH = this.ctx.timers.start(this.ctx.timers.H, () => {
          // 17.2.1: Timer H fires in Completed -> no ACK came, Terminated.
          this.log().info('no ACK for final response (timer H)', { status: this.lastResponse?.status });
          this.terminate();
        });
      }
      return true;
    }
    if (this.state === InviteServerState.Accepted && status >= 200 && status < 300) {
      // RFC 6026 7.1: 2xx retransmissions from the TU are sent in Accepted.
      this.transmit(response);
      return true;
    }
    return false;
  }

  /** A request that matched this transaction: an INVITE retransmission or the ACK of a non-2xx. */
  receiveRequest(request: SipRequest): void {
    if (request.method === 'ACK') {
      if (this.state !== InviteServerState.Completed) return;
      // 17.2.1: ACK in Completed -> Confirmed, stop G/H, Timer I (0 when reliable).
      this.state = InviteServerState.Confirmed;
      this.timerG?.cancel();
      this.timerH?.cancel();
      this.timerI = this.ctx.timers.start(this.reliable ? 0 : this.ctx.timers.I, () => this.terminate());
      return;
    }
    // 17.2.1: a retransmitted INVITE gets the last provisional (Proceeding) or final (Completed)
    // again; RFC 6026 7.1: absorbed in Accepted and Confirmed.
    if ((this.state === InviteServerState.Proceeding || this.state === InviteServerState.Completed) && this.lastResponse) {
      this.transmit(this.lastResponse);
    }
  }

  terminate(): void {
    if (this.state === InviteServerState.Terminated) return;
    this.state = InviteServerState.Terminated;
    for (const t of [this.timerG, this.timerH, this.timerI, this.timerL]) t?.cancel();
    this.ctx.onTerminated(this.key);
  }

  private armTimerG(interval: number): void {
    this.timerG = this.ctx.timers.start(interval, () => {
      if (this.state !== InviteServerState.Completed || !this.lastResponse) return;
      // 17.2.1: Timer G -> retransmit the final response, interval min(2*G, T2).
      this.transmit(this.lastResponse);
      this.armTimerG(Math.min(interval * 2, this.ctx.timers.t2));
    });
  }

  private transmit(response: SipResponse): void {
    this.ctx.transport.sendResponse(response, this.route).catch((err: unknown) => {
      // 17.2.4: the TU learns of a failed response send through the missing ACK / dialog timers.
      this.log().warn('response send failed', { status: response.status, err });
    });
  }

  private log(): Logger {
    return this.ctx.log;
  }
}
