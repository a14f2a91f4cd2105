/**
 * A call the client receives (UAS): answer it with 18x/2xx and SDP or reject
 * it, see the ACK, CANCEL and BYE, and hang up. The INVITE server transaction
 * keeps re-sending the final response over UDP until the ACK arrives.
 */
import { requestInDialog } from './core';
import type { ClientCore, DialogOwner, IncomingRequest, RequestOptions, ResponseOptions } from './core';
import { Dialog } from './dialog';
import { SipStateError } from './errors';
import { getHeader } from './message';
import type { SipRequest, SipResponse } from './message';
import { parseSdp } from './sdp';
import type { ParsedSdp } from './sdp';
import type { ServerTransaction } from './server-transaction';
import type { Endpoint } from './transport';
import { Watch } from './wait';

export type IncomingCallState = 'received' | 'early' | 'confirmed' | 'rejected' | 'cancelled' | 'terminated';

export interface AnswerOptions extends ResponseOptions {
  sdp?: string;
}

export class IncomingCall implements DialogOwner {
  state: IncomingCallState = 'received';
  dialog: Dialog | undefined;
  readonly localTag: string;
  /** Every response we sent to the INVITE. */
  readonly responses: SipResponse[] = [];
  readonly acks = new Watch<SipRequest>('ACK');
  readonly cancels = new Watch<SipRequest>('CANCEL');
  readonly inDialog = new Watch<IncomingRequest>('request in the dialog');
  /** Answers in-dialog requests other than BYE; without it they get 200 OK. */
  requestHandler: ((request: IncomingRequest) => void) | undefined;

  constructor(
    private readonly core: ClientCore,
    readonly tx: ServerTransaction,
  ) {
    this.localTag = core.newTag();
  }

  get invite(): SipRequest {
    return this.tx.request;
  }

  get remote(): Endpoint {
    return this.tx.remote;
  }

  get callId(): string {
    return getHeader(this.invite, 'call-id') ?? '';
  }

  /** The SDP offer in the INVITE, if it has one. */
  get offer(): ParsedSdp | undefined {
    return this.invite.body.trim() === '' ? undefined : parseSdp(this.invite.body);
  }

  /** Sends any response to the INVITE; 101-199 with a tag and 2xx create the dialog (§12.1.1). */
  async respond(status: number, reason?: string, options: AnswerOptions = {}): Promise<SipResponse> {
    if (this.tx.hasFinal) throw new SipStateError(`INVITE already answered ${this.tx.final}`, this.state);
    const { sdp, ...rest } = options;
    // State first: the peer's ACK or BYE may come back before the send completes.
    if (status > 100 && status < 300 && !this.dialog) {
      this.dialog = Dialog.asUas(this.invite, this.localTag);
      this.core.registerDialog(this.callId, this.localTag, this);
    }
    if (status > 100 && status < 200) this.state = 'early';
    else if (status >= 200 && status < 300) this.state = 'confirmed';
    else if (status >= 300) {
      this.state = this.state === 'cancelled' ? 'cancelled' : 'rejected';
      this.core.unregisterDialog(this.callId, this.localTag);
    }
    const response = await this.core.respond(this.tx, status, reason, sdp === undefined ? rest : { ...rest, body: sdp }, status > 100 ? this.localTag : undefined);
    this.responses.push(response);
    return response;
  }

  trying(): Promise<SipResponse> {
    return this.respond(100);
  }

  ringing(options: AnswerOptions = {}): Promise<SipResponse> {
    return this.respond(180, undefined, options);
  }

  /** 183 Session Progress, usually with early-media SDP. */
  progress(sdp: string, options: ResponseOptions = {}): Promise<SipResponse> {
    return this.respond(183, undefined, { ...options, sdp });
  }

  answer(sdp: string, options: ResponseOptions = {}): Promise<SipResponse> {
    return this.respond(200, undefined, { ...options, sdp });
  }

  reject(status: number, reason?: string, options: ResponseOptions = {}): Promise<SipResponse> {
    if (status < 300) throw new SipStateError(`reject needs a status of 300 or more, not ${status}`, this.state);
    return this.respond(status, reason, options);
  }

  /** The ACK for our final response (2xx: in the dialog; non-2xx: in the transaction). */
  waitAck(timeoutMs?: number): Promise<SipRequest> {
    return this.acks.find(() => true, timeoutMs ?? this.core.defaultTimeoutMs);
  }

  waitCancel(timeoutMs?: number): Promise<SipRequest> {
    return this.cancels.find(() => true, timeoutMs ?? this.core.defaultTimeoutMs);
  }

  waitBye(timeoutMs?: number): Promise<IncomingRequest> {
    return this.inDialog.find((r) => r.request.method.toUpperCase() === 'BYE', timeoutMs ?? this.core.defaultTimeoutMs, 'BYE from the peer');
  }

  /** @internal The client saw an ACK for this call. */
  onAck(ack: SipRequest): void {
    this.tx.ackReceived();
    this.acks.push(ack);
  }

  /** @internal The client answered a CANCEL for this INVITE with 200; we end the INVITE with 487 (§9.2). */
  onCancel(cancel: SipRequest): void {
    this.cancels.push(cancel);
    if (this.tx.hasFinal) return;
    this.state = 'cancelled';
    this.respond(487).catch(() => undefined);
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
      request.respond(200, undefined, offer ? { body: this.responses.find((r) => r.status >= 200 && r.status < 300)?.body ?? '' } : {}).catch(() => undefined);
    }
  }

  /** Any request inside the dialog as callee (INFO, UPDATE, re-INVITE, ACKed on 2xx). */
  request(method: string, options: RequestOptions = {}): Promise<SipResponse> {
    if (!this.dialog || this.state !== 'confirmed') return Promise.reject(new SipStateError(`${method} needs a confirmed call`, this.state));
    // The route set decides; the INVITE's source is the way back when the route names no IP.
    return requestInDialog(this.core, this.dialog, method, options, this.remote);
  }

  /** Hangs up as callee; resolves with the final response to our BYE. */
  async bye(options: RequestOptions = {}): Promise<SipResponse> {
    const response = await this.request('BYE', options);
    this.state = 'terminated';
    this.core.unregisterDialog(this.callId, this.localTag);
    return response;
  }
}
