import { TransactionTimeoutError, TransportError } from '../errors';
import { Headers } from '../sip/headers';
import { SipRequest, type SipResponse } from '../sip/message';
import type { Target } from '../transport/types';
import type { Timer } from './timers';
import { isReliable, type ClientHandlers, type TransactionContext } from './types';

export enum InviteClientState {
  Calling = 'calling',
  Proceeding = 'proceeding',
  Completed = 'completed',
  /** RFC 6026 7.2: after a 2xx, so 2xx retransmissions still reach the TU. */
  Accepted = 'accepted',
  Terminated = 'terminated',
}

/** RFC 3261 17.1.1: the INVITE client transaction, with the RFC 6026 Accepted state. */
export class InviteClientTransaction {
  state = InviteClientState.Calling;
  readonly key: string;
  readonly request: SipRequest;
  readonly target: Target;
  /** Whether a provisional arrived, which is when a CANCEL may be sent (RFC 3261 9.1). */
  receivedProvisional = false;
  private readonly ctx: TransactionContext;
  private readonly handlers: ClientHandlers;
  private readonly reliable: boolean;
  private timerA: Timer | undefined;
  private timerB: Timer | undefined;
  private timerD: Timer | undefined;
  private timerM: Timer | undefined;
  private ack: SipRequest | undefined;

  constructor(key: string, request: SipRequest, target: Target, ctx: TransactionContext, handlers: ClientHandlers) {
    this.key = key;
    this.request = request;
    this.target = target;
    this.ctx = ctx;
    this.handlers = handlers;
    this.reliable = isReliable(target.protocol);
  }

  start(): void {
    this.transmit(this.request);
    // 17.1.1.2: Timer A only for unreliable transports; Timer B always.
    if (!this.reliable) this.armTimerA(this.ctx.timers.A);
    this.timerB = this.ctx.timers.start(this.ctx.timers.B, () => {
      if (this.state !== InviteClientState.Calling) return;
      // 17.1.1.2: Timer B fires in Calling -> inform the TU of the timeout, Terminated.
      this.handlers.onFailure(new TransactionTimeoutError('B'));
      this.terminate();
    });
  }

  receiveResponse(response: SipResponse): void {
    const status = response.status;
    switch (this.state) {
      case InviteClientState.Calling:
      case InviteClientState.Proceeding:
        if (status < 200) {
          // 17.1.1.2: a provisional moves Calling -> Proceeding and stops retransmission.
          this.state = InviteClientState.Proceeding;
          this.receivedProvisional = true;
          this.timerA?.cancel();
          this.handlers.onResponse(response);
        } else if (status < 300) {
          // RFC 6026 7.2: a 2xx moves Calling/Proceeding -> Accepted, start Timer M.
          this.state = InviteClientState.Accepted;
          this.stopRequestTimers();
          this.timerM = this.ctx.timers.start(this.ctx.timers.M, () => this.terminate());
          this.handlers.onResponse(response);
        } else {
          // 17.1.1.2: 300-699 -> Completed, send ACK, pass to TU, Timer D (0 when reliable).
          this.state = InviteClientState.Completed;
          this.stopRequestTimers();
          this.sendAck(response);
          this.handlers.onResponse(response);
          this.timerD = this.ctx.timers.start(this.reliable ? 0 : this.ctx.timers.D, () => this.terminate());
        }
        return;
      case InviteClientState.Completed:
        // 17.1.1.2: a retransmitted final response is re-ACKed, not passed up.
        if (status >= 300 && this.ack) this.transmit(this.ack);
        return;
      case InviteClientState.Accepted:
        // RFC 6026 7.2: 2xx retransmissions go to the TU (it re-sends its ACK); others are dropped.
        if (status >= 200 && status < 300) this.handlers.onResponse(response);
        return;
      case InviteClientState.Terminated:
        return;
    }
  }

  /**
   * Builds the CANCEL for this INVITE (RFC 3261 9.1): same Request-URI, Call-ID, From, To, CSeq
   * number and top Via (so the same branch), Route copied.
   */
  createCancel(): SipRequest {
    return this.sameHopRequest('CANCEL', this.request.headers.get('to') ?? '');
  }

  /**
   * A request that travels on this INVITE's hop (CANCEL, ACK for a non-2xx): its top Via (same
   * branch), Route set, From, Call-ID and CSeq number; only the method and To differ.
   */
  private sameHopRequest(method: 'CANCEL' | 'ACK', to: string): SipRequest {
    const src = this.request.headers;
    const headers = new Headers();
    headers.append('Via', src.getValues('via')[0] ?? '');
    for (const route of src.getFields('route')) headers.append('Route', route);
    headers.append('Max-Forwards', '70');
    headers.append('From', src.get('from') ?? '');
    headers.append('To', to);
    headers.append('Call-ID', src.get('call-id') ?? '');
    headers.append('CSeq', `${this.request.cseq().seq} ${method}`);
    return new SipRequest(method, this.request.uri, headers);
  }

  /** Forgets the transaction at once (shutdown). */
  terminate(): void {
    if (this.state === InviteClientState.Terminated) return;
    this.state = InviteClientState.Terminated;
    this.stopRequestTimers();
    this.timerD?.cancel();
    this.timerM?.cancel();
    this.ctx.onTerminated(this.key);
  }

  private armTimerA(interval: number): void {
    this.timerA = this.ctx.timers.start(interval, () => {
      if (this.state !== InviteClientState.Calling) return;
      // 17.1.1.2: Timer A fires -> retransmit and double the interval.
      this.transmit(this.request);
      this.armTimerA(interval * 2);
    });
  }

  private stopRequestTimers(): void {
    this.timerA?.cancel();
    this.timerB?.cancel();
  }

  /** 17.1.1.3: the ACK for a non-2xx final response belongs to this transaction. */
  private sendAck(response: SipResponse): void {
    this.ack = this.sameHopRequest('ACK', response.headers.get('to') ?? '');
    this.transmit(this.ack);
  }

  private transmit(message: SipRequest): void {
    this.ctx.transport.send(message, this.target).catch((err: unknown) => {
      if (this.state !== InviteClientState.Calling || message !== this.request) return;
      // 17.1.4: a transport error while sending the INVITE -> 503 to the TU, Terminated.
      this.terminate();
      try {
        this.handlers.onFailure(err instanceof TransportError ? err : new TransportError(this.target.zone, String(err), err));
      } catch (tuErr) {
        this.ctx.log.error('transaction user failed on a transport error', { err: tuErr });
      }
    });
  }
}
