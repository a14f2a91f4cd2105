/**
 * RFC 3261 §17.1 client transactions, as a test UAC needs them: retransmission
 * over UDP (Timer A for INVITE, Timer E for the rest), time-out (Timer B/F),
 * and the ACK a non-2xx final response needs (§17.1.1.3), sent again for every
 * retransmission of that response while in Completed (Timer D).
 */
import { SipTimeoutError, SipTransportError } from './errors';
import type { SipClientError } from './errors';
import { buildRequest, getHeader, getHeaders, topViaOf } from './message';
import type { SipRequest, SipResponse } from './message';

/** Timer values; tests shorten T1 to make retransmission checks quick (STYLE.md 4). */
export interface SipTimers {
  /** RTT estimate, 500 ms by default (§17.1.1.1). */
  t1Ms: number;
  /** Cap on non-INVITE and response retransmission intervals, 4 s by default. */
  t2Ms: number;
  /** How long the network holds a message, 5 s by default (Timer K). */
  t4Ms: number;
}

export const DEFAULT_TIMERS: Readonly<SipTimers> = Object.freeze({ t1Ms: 500, t2Ms: 4000, t4Ms: 5000 });

/** What the transaction reports to whoever started it (the call or a one-shot request). */
export interface ClientTransactionUser {
  /** Every response; `retransmission` is true for a final response after the first. */
  onResponse(response: SipResponse, retransmission: boolean): void;
  onFailure(error: SipClientError): void;
}

/** String states with the transitions of RFC 3261 figures 5 and 6. */
export type ClientTransactionState = 'calling' | 'trying' | 'proceeding' | 'completed' | 'accepted' | 'terminated';

export class ClientTransaction {
  state: ClientTransactionState;
  readonly isInvite: boolean;
  private retransmitTimer: NodeJS.Timeout | undefined;
  private timeoutTimer: NodeJS.Timeout | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private interval: number;
  private ack: string | undefined;
  private finalSeen = false;

  constructor(
    readonly request: SipRequest,
    private readonly raw: string,
    private readonly send: (raw: string) => Promise<void>,
    private readonly timers: SipTimers,
    private readonly reliable: boolean,
    private readonly user: ClientTransactionUser,
    private readonly onTerminated: () => void,
  ) {
    this.isInvite = request.method.toUpperCase() === 'INVITE';
    this.state = this.isInvite ? 'calling' : 'trying';
    this.interval = timers.t1Ms;
  }

  /** Sends the request and arms the timers. Rejects if the first send fails. */
  async start(): Promise<void> {
    // §17.1.1.2 / §17.1.2.2: Timer B / F = 64*T1, on every transport.
    this.timeoutTimer = setTimeout(() => this.timeout(), 64 * this.timers.t1Ms);
    try {
      await this.send(this.raw);
    } catch (err) {
      this.fail(err instanceof SipTransportError ? err : new SipTransportError(String(err), undefined, err));
      throw err;
    }
    if (!this.reliable) this.armRetransmit();
  }

  private armRetransmit(): void {
    this.retransmitTimer = setTimeout(() => {
      if (this.state === 'terminated' || this.state === 'completed' || this.state === 'accepted') return;
      // Timer A stops once a provisional arrives (§17.1.1.2).
      if (this.isInvite && this.state === 'proceeding') return;
      this.send(this.raw).catch((err: unknown) => this.fail(new SipTransportError(String(err), undefined, err)));
      // Timer A doubles without cap; Timer E doubles up to T2, and stays at T2 once Proceeding (§17.1.2.2).
      this.interval = this.isInvite ? this.interval * 2 : Math.min(this.interval * 2, this.timers.t2Ms);
      if (!this.isInvite && this.state === 'proceeding') this.interval = this.timers.t2Ms;
      this.armRetransmit();
    }, this.interval);
  }

  receive(response: SipResponse): void {
    if (this.state === 'terminated') return;
    if (response.status < 200) {
      if (this.state === 'calling' || this.state === 'trying') {
        this.state = 'proceeding';
        // §17.1.1.2: in Proceeding an INVITE transaction waits without Timer B.
        if (this.isInvite) clearTimeout(this.timeoutTimer);
      }
      this.user.onResponse(response, false);
      return;
    }
    const retransmission = this.finalSeen;
    this.finalSeen = true;
    this.stopTimers();
    if (this.isInvite && response.status >= 300) {
      // §17.1.1.3: ACK in the transaction, then again for every retransmitted final while Completed.
      this.ack ??= this.buildNon2xxAck(response);
      this.send(this.ack).catch((err: unknown) => this.user.onFailure(new SipTransportError(String(err), undefined, err)));
      if (!retransmission) {
        this.state = 'completed';
        this.linger(this.reliable ? 0 : 32_000);
      }
    } else if (!retransmission) {
      // RFC 6026 Accepted: 2xx retransmissions still reach the user, who re-sends its own ACK.
      this.state = this.isInvite ? 'accepted' : 'completed';
      this.linger(this.isInvite ? 64 * this.timers.t1Ms : this.reliable ? 0 : this.timers.t4Ms);
    }
    this.user.onResponse(response, retransmission);
  }

  /** §17.1.1.3: same Request-URI, top Via, From, Call-ID and CSeq number; To from the response; same Routes. */
  private buildNon2xxAck(response: SipResponse): string {
    const req = this.request;
    const topVia = getHeaders(req, 'via')[0] ?? '';
    const cseq = (getHeader(req, 'cseq') ?? '').trim().split(/\s+/)[0] ?? '1';
    const headers: Array<[string, string]> = [['Via', topVia], ['Max-Forwards', getHeader(req, 'max-forwards') ?? '70']];
    for (const route of getHeaders(req, 'route')) headers.push(['Route', route]);
    headers.push(
      ['From', getHeader(req, 'from') ?? ''],
      ['To', getHeader(response, 'to') ?? getHeader(req, 'to') ?? ''],
      ['Call-ID', getHeader(req, 'call-id') ?? ''],
      ['CSeq', `${cseq} ACK`],
    );
    return buildRequest({ method: 'ACK', uri: req.uri, headers });
  }

  get branch(): string | undefined {
    return topViaOf(this.request)?.branch;
  }

  private timeout(): void {
    if (this.state === 'terminated' || this.finalSeen) return;
    const timer = this.isInvite ? 'B' : 'F';
    this.fail(new SipTimeoutError(`${this.request.method} got no final response (Timer ${timer}, 64*T1)`, 64 * this.timers.t1Ms, 408));
  }

  /** Fails a transaction still waiting for its final response (e.g. the connection closed). */
  abort(error: SipClientError): void {
    if (!this.finalSeen) this.fail(error);
  }

  private fail(error: SipClientError): void {
    if (this.state === 'terminated') return;
    this.terminate();
    this.user.onFailure(error);
  }

  private linger(ms: number): void {
    clearTimeout(this.lingerTimer);
    // Lingering only absorbs retransmissions; it must not keep the process alive.
    this.lingerTimer = setTimeout(() => this.terminate(), ms).unref();
  }

  private stopTimers(): void {
    clearTimeout(this.retransmitTimer);
    clearTimeout(this.timeoutTimer);
  }

  /** Ends the transaction now (also used when the client closes). */
  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.stopTimers();
    clearTimeout(this.lingerTimer);
    this.onTerminated();
  }
}
