import type { SipRequest, SipResponse } from '../sip/message';
import type { Inbound } from '../transport/types';
import type { Timer } from './timers';
import { isReliable, type ResponseRoute, type TransactionContext } from './types';

export enum NonInviteServerState {
  Trying = 'trying',
  Proceeding = 'proceeding',
  Completed = 'completed',
  Terminated = 'terminated',
}

/** RFC 3261 17.2.2: the non-INVITE server transaction. */
export class NonInviteServerTransaction {
  state = NonInviteServerState.Trying;
  readonly key: string;
  readonly request: SipRequest;
  readonly inbound: Inbound;
  private readonly ctx: TransactionContext;
  private readonly reliable: boolean;
  private readonly route: ResponseRoute;
  private lastResponse: SipResponse | undefined;
  private timerJ: Timer | undefined;

  constructor(key: string, inbound: Inbound & { message: SipRequest }, ctx: TransactionContext) {
    this.key = key;
    this.request = inbound.message;
    this.inbound = inbound;
    this.ctx = ctx;
    this.reliable = isReliable(inbound.protocol);
    this.route = { zone: inbound.zone, protocol: inbound.protocol, ...(inbound.connectionId === undefined ? {} : { connectionId: inbound.connectionId }) };
  }

  get pending(): boolean {
    return this.state === NonInviteServerState.Trying || this.state === NonInviteServerState.Proceeding;
  }

  respond(response: SipResponse): boolean {
    if (!this.pending) return false;
    this.lastResponse = response;
    this.transmit(response);
    if (response.status < 200) {
      // 17.2.2: a provisional from the TU moves Trying -> Proceeding.
      this.state = NonInviteServerState.Proceeding;
      return true;
    }
    // 17.2.2: a final response -> Completed, Timer J (0 when reliable).
    this.state = NonInviteServerState.Completed;
    this.timerJ = this.ctx.timers.start(this.reliable ? 0 : this.ctx.timers.J, () => this.terminate());
    return true;
  }

  /** 17.2.2: retransmissions are absorbed in Trying, answered with the last response afterwards. */
  receiveRequest(_request: SipRequest): void {
    if (this.state === NonInviteServerState.Trying || !this.lastResponse) return;
    if (this.state === NonInviteServerState.Proceeding || this.state === NonInviteServerState.Completed) {
      this.transmit(this.lastResponse);
    }
  }

  terminate(): void {
    if (this.state === NonInviteServerState.Terminated) return;
    this.state = NonInviteServerState.Terminated;
    this.timerJ?.cancel();
    this.ctx.onTerminated(this.key);
  }

  private transmit(response: SipResponse): void {
    this.ctx.transport.sendResponse(response, this.route).catch((err: unknown) => {
      this.ctx.log.warn('response send failed', { status: response.status, err });
    });
  }
}
