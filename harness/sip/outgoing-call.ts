/**
 * A call the client places (UAC): the INVITE transaction, the responses as
 * they arrive, the dialog once a 2xx comes, and ACK/BYE/CANCEL with the
 * header rules of RFC 3261 §9.1 (CANCEL), §13.2.2.4 (ACK for 2xx) and §15 (BYE).
 */
import type { ClientTransaction, ClientTransactionUser } from './client-transaction';
import { requestInDialog, transact } from './core';
import type { ClientCore, DialogOwner, IncomingRequest, RequestOptions } from './core';
import { Dialog } from './dialog';
import { SipStateError } from './errors';
import type { SipClientError } from './errors';
import { getHeader, getHeaders } from './message';
import type { SipRequest, SipResponse } from './message';
import type { Endpoint } from './transport';
import { Watch } from './wait';

export type OutgoingCallState = 'calling' | 'proceeding' | 'confirmed' | 'rejected' | 'terminated' | 'failed';

export class OutgoingCall implements ClientTransactionUser, DialogOwner {
  state: OutgoingCallState = 'calling';
  readonly provisional: SipResponse[] = [];
  final: SipResponse | undefined;
  dialog: Dialog | undefined;
  /** The ACK we sent for the 2xx (the one for a non-2xx is in the ladder). */
  ackRequest: SipRequest | undefined;
  /** Requests the peer sent inside the dialog (BYE, re-INVITE, INFO, ...). */
  readonly inDialog = new Watch<IncomingRequest>('request in the dialog');
  /** Answers in-dialog requests other than BYE; without it they get 200 OK. */
  requestHandler: ((request: IncomingRequest) => void) | undefined;
  /** Last error of the INVITE transaction (timeout or transport failure). */
  error: SipClientError | undefined;
  private readonly responses = new Watch<SipResponse>('response to the INVITE');
  private tx: ClientTransaction | undefined;
  private ackRaw: string | undefined;
  private ackDest: Endpoint | undefined;

  constructor(
    private readonly core: ClientCore,
    readonly invite: SipRequest,
    /** Where the INVITE went; CANCEL and the non-2xx ACK follow it. */
    private readonly dest: Endpoint | undefined,
    private readonly autoAck: boolean,
    private readonly localTag: string,
  ) {}

  get callId(): string {
    return getHeader(this.invite, 'call-id') ?? '';
  }

  /** @internal Called by the client once the INVITE transaction has started. */
  attach(tx: ClientTransaction): void {
    this.tx = tx;
  }

  onResponse(response: SipResponse, retransmission: boolean): void {
    if (response.status < 200) {
      this.provisional.push(response);
      if (this.state === 'calling') this.state = 'proceeding';
      this.responses.push(response);
      return;
    }
    if (retransmission) {
      this.onStrayResponse(response);
      return;
    }
    this.final = response;
    if (response.status < 300) {
      this.dialog = Dialog.asUac(this.invite, response);
      this.state = 'confirmed';
      if (this.autoAck) this.ack().catch((err: unknown) => (this.error = err as SipClientError));
    } else {
      this.state = 'rejected';
      this.core.unregisterDialog(this.callId, this.localTag);
    }
    this.responses.push(response);
  }

  onFailure(error: SipClientError): void {
    this.error = error;
    if (this.final === undefined) {
      this.state = 'failed';
      this.responses.fail(error);
      this.core.unregisterDialog(this.callId, this.localTag);
    }
  }

  /** A retransmitted 2xx means our ACK was lost: send it again (§13.2.2.4). */
  onStrayResponse(response: SipResponse): void {
    if (response.status >= 200 && response.status < 300 && this.ackRaw !== undefined) {
      this.core.resend(this.ackRaw, this.ackDest).catch(() => undefined);
    }
  }

  onAck(): void {
    // We are the UAC; an ACK from the peer has no meaning here and stays in the ladder only.
  }

  onRequest(request: IncomingRequest): void {
    const method = request.request.method.toUpperCase();
    this.inDialog.push(request);
    if (method === 'BYE') {
      this.state = 'terminated';
      request.respond(200).catch(() => undefined);
      this.core.unregisterDialog(this.callId, this.localTag);
    } else if (this.requestHandler) {
      this.requestHandler(request);
    } else {
      // An offer in a re-INVITE/UPDATE needs an answer: repeat our current session description.
      const offer = (method === 'INVITE' || method === 'UPDATE') && request.request.body.trim() !== '';
      request.respond(200, undefined, offer ? { body: this.invite.body } : {}).catch(() => undefined);
    }
  }

  private timeout(ms: number | undefined): number {
    return ms ?? this.core.defaultTimeoutMs;
  }

  /** The first provisional response (with `status`, if given), past or future. */
  waitProvisional(status?: number, timeoutMs?: number): Promise<SipResponse> {
    const what = status === undefined ? 'provisional response' : `${status} response`;
    return this.responses.find((r) => (status === undefined ? r.status < 200 : r.status === status), this.timeout(timeoutMs), what);
  }

  /** The final response; rejects with SipTimeoutError (Timer B) or SipTransportError. */
  waitFinal(timeoutMs?: number): Promise<SipResponse> {
    return this.responses.find((r) => r.status >= 200, this.timeout(timeoutMs), 'final response to the INVITE');
  }

  /**
   * Sends the ACK for the 2xx (§13.2.2.4): a new transaction inside the
   * dialog, same CSeq number as the INVITE. Sent automatically unless the
   * call was made with `autoAck: false`; calling it again re-sends the same ACK.
   */
  async ack(options: RequestOptions = {}): Promise<SipRequest> {
    if (!this.dialog || !this.final || this.final.status >= 300) {
      throw new SipStateError('ACK needs a 2xx; the transaction ACKs a non-2xx itself', this.state);
    }
    if (this.ackRaw !== undefined && this.ackRequest) {
      await this.core.resend(this.ackRaw, this.ackDest);
      return this.ackRequest;
    }
    const spec = this.dialog.request('ACK');
    // ACK carries the INVITE's credentials (§22.1).
    const extra: Array<[string, string]> = [];
    for (const name of ['authorization', 'proxy-authorization']) {
      for (const value of getHeaders(this.invite, name)) extra.push([name === 'authorization' ? 'Authorization' : 'Proxy-Authorization', value]);
    }
    const sent = await this.core.sendStateless({
      method: 'ACK', uri: spec.uri, headers: [...spec.headers, ...extra], nextHop: spec.nextHop, options,
      ...(this.dest ? { fallbackDest: this.dest } : {}),
    });
    this.ackRequest = sent.request;
    this.ackRaw = sent.raw;
    this.ackDest = sent.dest;
    return sent.request;
  }

  /** Ends the confirmed call; resolves with the final response to the BYE. */
  async bye(options: RequestOptions = {}): Promise<SipResponse> {
    const response = await this.request('BYE', options);
    this.state = 'terminated';
    this.core.unregisterDialog(this.callId, this.localTag);
    return response;
  }

  /** Any request inside the dialog (INFO, UPDATE, re-INVITE, ACKed on 2xx); resolves with its final response. */
  request(method: string, options: RequestOptions = {}): Promise<SipResponse> {
    if (!this.dialog) return Promise.reject(new SipStateError(`${method} needs a confirmed dialog`, this.state));
    return requestInDialog(this.core, this.dialog, method, options, this.dest);
  }

  /**
   * Cancels the pending INVITE (§9.1). Waits for a provisional response first,
   * since a CANCEL must not overtake the INVITE's first answer; resolves with
   * the final response to the CANCEL (the INVITE's 487 is then in `waitFinal`).
   */
  async cancel(options: RequestOptions = {}): Promise<SipResponse> {
    if (this.final) throw new SipStateError(`INVITE already answered ${this.final.status}`, this.state);
    await this.waitProvisional(undefined, this.timeout(options.timeoutMs));
    if (this.final) throw new SipStateError(`INVITE answered ${(this.final as SipResponse).status} before CANCEL`, this.state);
    const inv = this.invite;
    const headers: Array<[string, string]> = [];
    for (const route of getHeaders(inv, 'route')) headers.push(['Route', route]);
    const seq = (getHeader(inv, 'cseq') ?? '1').trim().split(/\s+/)[0] ?? '1';
    headers.push(['From', getHeader(inv, 'from') ?? ''], ['To', getHeader(inv, 'to') ?? ''], ['Call-ID', this.callId], ['CSeq', `${seq} CANCEL`]);
    const via = getHeaders(inv, 'via')[0] ?? '';
    return transact(this.core, { method: 'CANCEL', uri: inv.uri, headers, via, options: { ...options, ...(this.dest ? { dest: options.dest ?? this.dest } : {}) } });
  }

  /** The peer's BYE, past or future. */
  waitBye(timeoutMs?: number): Promise<IncomingRequest> {
    return this.inDialog.find((r) => r.request.method.toUpperCase() === 'BYE', this.timeout(timeoutMs), 'BYE from the peer');
  }

  /** Stops timers of the INVITE transaction (used when the client closes). */
  dispose(): void {
    this.tx?.terminate();
    if (!this.final) this.responses.fail(new SipStateError('client closed before a final response', this.state));
  }
}
