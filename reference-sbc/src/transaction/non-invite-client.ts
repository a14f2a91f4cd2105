import { TransactionTimeoutError, TransportError } from '../errors';
import type { SipRequest, SipResponse } from '../sip/message';
import type { Target } from '../transport/types';
import type { Timer } from './timers';
import { isReliable, type ClientHandlers, type TransactionContext } from './types';

export enum NonInviteClientState {
  Trying = 'trying',
  Proceeding = 'proceeding',
  Completed = 'completed',
  Terminated = 'terminated',
}

/** RFC 3261 17.1.2: the non-INVITE client transaction (BYE, CANCEL, OPTIONS, INFO, ...). */
export class NonInviteClientTransaction {
  state = NonInviteClientState.Trying;
  readonly key: string;
  readonly request: SipRequest;
  readonly target: Target;
  private readonly ctx: TransactionContext;
  private readonly handlers: ClientHandlers;
  private readonly reliable: boolean;
  private timerE: Timer | undefined;
  private timerF: Timer | undefined;
  private timerK: Timer | undefined;

  constructor(key: string, request: SipRequest, target: Target, ctx: TransactionContext, handlers: ClientHandlers) {
    this.key = key;
    this.request = request;
    this.target = target;
    this.ctx = ctx;
    this.handlers = handlers;
    this.reliable = isReliable(target.protocol);
  }

  start(): void {
    this.transmit();
    // 17.1.2.2: Timer E only for unreliable transports, Timer F always.
    if (!this.reliable) this.armTimerE(this.ctx.timers.E);
    this.timerF = this.ctx.timers.start(this.ctx.timers.F, () => {
      if (this.state !== NonInviteClientState.Trying && this.state !== NonInviteClientState.Proceeding) return;
      // 17.1.2.2: Timer F fires in Trying/Proceeding -> timeout to the TU, Terminated.
      this.handlers.onFailure(new TransactionTimeoutError('F'));
      this.terminate();
    });
  }

  receiveResponse(response: SipResponse): void {
    if (this.state === NonInviteClientState.Completed || this.state === NonInviteClientState.Terminated) {
      // 17.1.2.2: retransmitted finals are absorbed in Completed.
      return;
    }
    if (response.status < 200) {
      // 17.1.2.2: a provisional moves Trying -> Proceeding and goes to the TU.
      this.state = NonInviteClientState.Proceeding;
      this.handlers.onResponse(response);
      return;
    }
    // 17.1.2.2: a final response -> Completed, to the TU, Timer K (0 when reliable).
    this.state = NonInviteClientState.Completed;
    this.timerE?.cancel();
    this.timerF?.cancel();
    this.handlers.onResponse(response);
    this.timerK = this.ctx.timers.start(this.reliable ? 0 : this.ctx.timers.K, () => this.terminate());
  }

  terminate(): void {
    if (this.state === NonInviteClientState.Terminated) return;
    this.state = NonInviteClientState.Terminated;
    this.timerE?.cancel();
    this.timerF?.cancel();
    this.timerK?.cancel();
    this.ctx.onTerminated(this.key);
  }

  private armTimerE(interval: number): void {
    this.timerE = this.ctx.timers.start(interval, () => {
      if (this.state === NonInviteClientState.Trying) {
        // 17.1.2.2: Timer E in Trying -> retransmit, interval min(2*E, T2).
        this.transmit();
        this.armTimerE(Math.min(interval * 2, this.ctx.timers.t2));
      } else if (this.state === NonInviteClientState.Proceeding) {
        // 17.1.2.2: Timer E in Proceeding -> retransmit every T2.
        this.transmit();
        this.armTimerE(this.ctx.timers.t2);
      }
    });
  }

  private transmit(): void {
    this.ctx.transport.send(this.request, this.target).catch((err: unknown) => {
      if (this.state !== NonInviteClientState.Trying && this.state !== NonInviteClientState.Proceeding) return;
      // 17.1.4: transport error -> 503 to the TU, Terminated.
      this.terminate();
      try {
        this.handlers.onFailure(err instanceof TransportError ? err : new TransportError(this.target.zone, String(err), err));
      } catch (tuErr) {
        this.ctx.log.error('transaction user failed on a transport error', { err: tuErr });
      }
    });
  }
}
