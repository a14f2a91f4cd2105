/**
 * RFC 3261 §17.2 server transactions for the client's UAS role: answer a
 * retransmitted request with the last response, and over UDP keep sending an
 * INVITE's final response until the ACK comes: Timer G for non-2xx (§17.2.1),
 * the UAS core's 2xx retransmission (§13.3.1.4); both give up at 64*T1.
 */
import type { SipTimers } from './client-transaction';
import { callIdOf, cseqOf, fromOf, topViaOf } from './message';
import type { SipMessage, SipRequest } from './message';
import type { Endpoint } from './transport';

/**
 * Identity of the transaction a request belongs to: the Via branch (§17.2.3),
 * or for pre-RFC 3261 peers without a magic-cookie branch, Call-ID + CSeq
 * number + From tag. ACK and CANCEL are matched to their INVITE by passing
 * `method` 'INVITE'.
 */
export function transactionKey(msg: SipMessage, method: string): string {
  const branch = topViaOf(msg)?.branch;
  const id = branch?.startsWith('z9hG4bK') ? branch : `${callIdOf(msg) ?? ''}|${cseqOf(msg)?.seq ?? ''}|${fromOf(msg)?.tag ?? ''}`;
  return `${id}|${method.toUpperCase()}`;
}

export type ServerTransactionState = 'proceeding' | 'completed' | 'confirmed' | 'terminated';

export class ServerTransaction {
  state: ServerTransactionState = 'proceeding';
  readonly isInvite: boolean;
  private lastResponse: string | undefined;
  private finalStatus: number | undefined;
  private retransmitTimer: NodeJS.Timeout | undefined;
  private giveUpTimer: NodeJS.Timeout | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  /** Set when an INVITE's final response was never acknowledged within 64*T1. */
  ackTimedOut = false;

  constructor(
    readonly request: SipRequest,
    readonly remote: Endpoint,
    private readonly send: (raw: string) => Promise<void>,
    private readonly timers: SipTimers,
    private readonly reliable: boolean,
    private readonly onTerminated: () => void,
    private readonly onAckTimeout: () => void = () => undefined,
  ) {
    this.isInvite = request.method.toUpperCase() === 'INVITE';
  }

  get hasFinal(): boolean {
    return this.finalStatus !== undefined;
  }

  get final(): number | undefined {
    return this.finalStatus;
  }

  async respond(raw: string, status: number): Promise<void> {
    if (this.finalStatus !== undefined) return this.send(raw);
    this.lastResponse = raw;
    if (status >= 200) {
      this.finalStatus = status;
      this.state = 'completed';
      if (this.isInvite) {
        if (!this.reliable) this.retransmit(this.timers.t1Ms);
        // Timer H (non-2xx) and the §13.3.1.4 2xx limit: 64*T1 without ACK ends it.
        this.giveUpTimer = setTimeout(() => {
          this.ackTimedOut = true;
          this.terminate();
          this.onAckTimeout();
        }, 64 * this.timers.t1Ms);
      } else {
        // Timer J: absorb request retransmissions for 64*T1 over UDP.
        this.linger(this.reliable ? 0 : 64 * this.timers.t1Ms);
      }
    }
    return this.send(raw);
  }

  private retransmit(interval: number): void {
    this.retransmitTimer = setTimeout(() => {
      if (this.state !== 'completed' || !this.lastResponse) return;
      this.send(this.lastResponse).catch(() => undefined);
      this.retransmit(Math.min(interval * 2, this.timers.t2Ms));
    }, interval);
  }

  /** The peer sent the request again: repeat the last response (§17.2.1, §17.2.2). */
  requestRetransmitted(): void {
    if (this.lastResponse && this.state !== 'terminated') this.send(this.lastResponse).catch(() => undefined);
  }

  /** The ACK arrived (same transaction for non-2xx, the dialog for 2xx). */
  ackReceived(): void {
    if (this.state !== 'completed') return;
    this.state = 'confirmed';
    clearTimeout(this.retransmitTimer);
    clearTimeout(this.giveUpTimer);
    // Timer I: absorb ACK retransmissions for T4 over UDP.
    this.linger(this.reliable ? 0 : this.timers.t4Ms);
  }

  private linger(ms: number): void {
    clearTimeout(this.lingerTimer);
    this.lingerTimer = setTimeout(() => this.terminate(), ms).unref();
  }

  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    clearTimeout(this.retransmitTimer);
    clearTimeout(this.giveUpTimer);
    clearTimeout(this.lingerTimer);
    this.onTerminated();
  }
}
