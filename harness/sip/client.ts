/**
 * The suite's scriptable SIP user agent: caller (UAC) or callee (UAS) on one
 * transport (UDP, TLS client or TLS listener), recording every message in a
 * ladder. Steps drive it like a script: `invite`, wait for responses, `bye`.
 */
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { ClientTransaction, DEFAULT_TIMERS } from './client-transaction';
import type { ClientTransactionUser, SipTimers } from './client-transaction';
import { IncomingRequest, mergeHeaders, transact, withContentType } from './core';
import type { ClientCore, DialogOwner, ExtraHeaders, OutgoingRequestSpec, RequestOptions, ResponseOptions } from './core';
import { digestAuthorization, parseChallenge } from './digest';
import type { Credentials } from './digest';
import { SipTransportError } from './errors';
import { canonicalName, parseNameAddr, parseUri } from './headers';
import { IncomingCall } from './incoming-call';
import { Ladder } from './ladder';
import type { LadderEntry, MessageFilter } from './ladder';
import { matches } from './ladder';
import { buildRequest, callIdOf, cseqOf, getHeader, toOf, topViaOf } from './message';
import type { SipMessage, SipRequest, SipResponse } from './message';
import { OutgoingCall } from './outgoing-call';
import { parseMessage } from './parse';
import { ServerTransaction, transactionKey } from './server-transaction';
import { endpointKey, UdpTransport } from './transport';
import type { Endpoint, Inbound, SipTransport } from './transport';
import { TlsClientTransport, TlsServerTransport } from './transport-tls';
import type { TlsConnectOptions, TlsInfo, TlsListenOptions } from './transport-tls';
import { buildReply } from './reply';
import { Watch } from './wait';

export interface SipClientOptions {
  /** T1/T2/T4; tests use a small T1 to see retransmissions quickly. */
  timers?: Partial<SipTimers>;
  /** User part of our From and Contact URIs. */
  user?: string;
  /** User-Agent / Server header value; null writes none. */
  userAgent?: string | null;
  /** Send 100 Trying at once for every new INVITE (default true). */
  autoTrying?: boolean;
  /** Send every request here, whatever the Request-URI or route set says (UDP, TLS listener). */
  outboundProxy?: Endpoint;
  /** Default for every wait without its own time-out; 64*T1 by default. */
  defaultTimeoutMs?: number;
}

export interface UdpClientOptions extends SipClientOptions {
  ip: string;
  /** 0 or absent: any free port. */
  port?: number;
}

export type TlsClientOptions = SipClientOptions & TlsConnectOptions;
export type TlsListenerOptions = SipClientOptions & TlsListenOptions;

export interface OutOfDialogOptions extends RequestOptions {
  /** From value (URI or name-addr); a tag is appended. Defaults to our user at our address. */
  from?: string;
  /** Request-URI; defaults to the target's URI. */
  requestUri?: string;
  callId?: string;
  cseq?: number;
  /** Answer a 401/407 once with digest authentication (non-INVITE requests). */
  credentials?: Credentials;
}

export interface RegisterOptions extends OutOfDialogOptions {
  /** Address of record: To and From of the REGISTER. */
  aor: string;
  /** Seconds; 0 removes the binding. Default 3600. */
  expires?: number;
  /** Contact to bind; defaults to this client's own. */
  contact?: string;
}

export interface InviteOptions extends OutOfDialogOptions {
  /** To value: URI or name-addr. */
  to: string;
  sdp?: string;
  /** ACK a 2xx at once (default true); false leaves it to `call.ack()`. */
  autoAck?: boolean;
}

function randomToken(bytes = 6): string {
  return randomBytes(bytes).toString('hex');
}

/** A bare URI becomes `<uri>`, so header parameters (tag) cannot attach to the URI. */
function asNameAddr(value: string): string {
  return value.includes('<') ? value : `<${value.trim()}>`;
}

function headerRecord(headers: ExtraHeaders | undefined): Record<string, string | null> {
  if (headers === undefined) return {};
  return Array.isArray(headers) ? Object.fromEntries(headers as ReadonlyArray<readonly [string, string | null]>) : { ...(headers as Record<string, string | null>) };
}

function hostPort(e: Endpoint): string {
  return endpointKey(e);
}

export class SipClient implements ClientCore {
  readonly ladder = new Ladder();
  readonly timers: SipTimers;
  readonly defaultTimeoutMs: number;
  /** Socket errors after start-up and errors thrown by handlers (sends report their own errors). */
  readonly errors: Error[] = [];
  private readonly clientTx = new Map<string, ClientTransaction>();
  private readonly serverTx = new Map<string, ServerTransaction>();
  private readonly incomingCalls = new Map<string, IncomingCall>();
  private readonly dialogs = new Map<string, DialogOwner>();
  private readonly calls = new Set<OutgoingCall>();
  private readonly invites = new Watch<IncomingCall>('incoming INVITE');
  private readonly requests = new Watch<IncomingRequest>('incoming request');
  private inviteHandler: ((call: IncomingCall) => void | Promise<void>) | undefined;
  private requestHandler: ((request: IncomingRequest) => void | Promise<void>) | undefined;

  private constructor(readonly transport: SipTransport, private readonly config: SipClientOptions) {
    this.timers = { ...DEFAULT_TIMERS, ...config.timers };
    this.defaultTimeoutMs = config.defaultTimeoutMs ?? 64 * this.timers.t1Ms;
    transport.onReceive((inbound) => this.onInbound(inbound));
    transport.onError((err) => this.errors.push(err));
    if (transport instanceof TlsClientTransport) {
      // Nothing more can arrive on a closed connection: fail what is pending now, not at Timer B/F.
      transport.onClose(() => {
        const error = new SipTransportError('TLS connection closed by the peer', endpointKey(transport.remote));
        for (const tx of [...this.clientTx.values()]) tx.abort(error);
      });
    }
  }

  static async udp(options: UdpClientOptions): Promise<SipClient> {
    return new SipClient(await UdpTransport.bind(options.ip, options.port ?? 0), options);
  }

  /** Connects to the peer's TLS port (e.g. the SBC's 5061); TLS 1.2 minimum. */
  static async connectTls(options: TlsClientOptions): Promise<SipClient> {
    return new SipClient(await TlsClientTransport.connect(options), options);
  }

  /** Listens for TLS connections, to act as the callee of calls an SBC sends out. */
  static async listenTls(options: TlsListenerOptions): Promise<SipClient> {
    return new SipClient(await TlsServerTransport.listen(options), options);
  }

  get local(): Endpoint {
    return this.transport.local;
  }

  /** Negotiated protocol and cipher of a TLS client connection. */
  get tlsInfo(): TlsInfo | undefined {
    return this.transport instanceof TlsClientTransport ? this.transport.info : undefined;
  }

  /** False once a TLS client connection was closed (by either side). */
  get connected(): boolean {
    return this.transport instanceof TlsClientTransport ? this.transport.isOpen : true;
  }

  newTag(): string {
    return randomToken(5);
  }

  // ---- sending -------------------------------------------------------------

  private async transmit(raw: string, dest: Endpoint | undefined): Promise<void> {
    const at = Date.now();
    const sent = await this.transport.send(Buffer.from(raw, 'utf8'), dest);
    this.ladder.record({
      at, direction: 'sent', transport: this.transport.kind,
      local: endpointKey(sent.local), remote: endpointKey(sent.remote), raw,
    });
  }

  resend(raw: string, dest: Endpoint | undefined): Promise<void> {
    return this.transmit(raw, dest);
  }

  /** Sends bytes exactly as given (crafted or malformed messages); `to` is needed except on a TLS client. */
  sendRaw(data: string | Buffer, to?: Endpoint): Promise<void> {
    return this.transmit(typeof data === 'string' ? data : data.toString('utf8'), to ?? this.config.outboundProxy);
  }

  private resolveDest(spec: OutgoingRequestSpec): Endpoint | undefined {
    if (this.transport instanceof TlsClientTransport) return undefined;
    const chosen = spec.options?.dest ?? this.config.outboundProxy;
    if (chosen) return chosen;
    const uri = parseUri(parseNameAddr(spec.nextHop ?? spec.uri).uri);
    if (uri && isIP(uri.host) !== 0) {
      const secure = uri.scheme === 'sips' || uri.params.transport?.toLowerCase() === 'tls' || this.transport.kind === 'tls';
      return { ip: uri.host, port: uri.port ?? (secure ? 5061 : 5060) };
    }
    if (spec.fallbackDest) return spec.fallbackDest;
    throw new SipTransportError(`no IP address to send ${spec.method} to: give options.dest or outboundProxy`);
  }

  private get userAgent(): string | null {
    return this.config.userAgent === undefined ? 'sbc-certify-sip' : this.config.userAgent;
  }

  private contact(): string {
    const tls = this.transport.kind === 'tls' ? ';transport=tls' : '';
    return `<sip:${this.config.user ?? 'harness'}@${hostPort(this.local)}${tls}>`;
  }

  private build(spec: OutgoingRequestSpec): { raw: string; request: SipRequest; dest: Endpoint | undefined } {
    const dest = this.resolveDest(spec);
    const proto = this.transport.kind.toUpperCase();
    const via = spec.via ?? `SIP/2.0/${proto} ${hostPort(this.local)};branch=z9hG4bK${randomToken(8)};rport`;
    const base: Array<[string, string]> = [['Via', via], ['Max-Forwards', '70'], ...spec.headers];
    if (spec.contact) base.push(['Contact', this.contact()]);
    if (this.userAgent !== null) base.push(['User-Agent', this.userAgent]);
    const options = spec.options ?? {};
    const headers = withContentType(mergeHeaders(base, options.headers), options);
    const raw = buildRequest({ method: spec.method, uri: spec.uri, headers, ...(options.body !== undefined ? { body: options.body } : {}) });
    return { raw, request: parseMessage(raw) as SipRequest, dest };
  }

  private createTransaction(spec: OutgoingRequestSpec, user: ClientTransactionUser): { tx: ClientTransaction; dest: Endpoint | undefined } {
    const { raw, request, dest } = this.build(spec);
    const key = `${topViaOf(request)?.branch ?? ''}|${spec.method.toUpperCase()}`;
    const tx: ClientTransaction = new ClientTransaction(
      request, raw, (r) => this.transmit(r, dest), this.timers, this.transport.reliable, user,
      () => {
        if (this.clientTx.get(key) === tx) this.clientTx.delete(key);
      },
    );
    this.clientTx.set(key, tx);
    return { tx, dest };
  }

  async sendRequest(spec: OutgoingRequestSpec, user: ClientTransactionUser): Promise<ClientTransaction> {
    const { tx } = this.createTransaction(spec, user);
    await tx.start();
    return tx;
  }

  async sendStateless(spec: OutgoingRequestSpec): Promise<{ request: SipRequest; raw: string; dest: Endpoint | undefined }> {
    const built = this.build(spec);
    await this.transmit(built.raw, built.dest);
    return built;
  }

  private outOfDialogHeaders(method: string, to: string, options: OutOfDialogOptions): Array<[string, string]> {
    const from = asNameAddr(options.from ?? `sip:${this.config.user ?? 'harness'}@${hostPort(this.local)}`);
    return [
      ['From', `${from};tag=${this.newTag()}`],
      ['To', asNameAddr(to)],
      ['Call-ID', options.callId ?? `${randomToken(10)}@${this.local.ip}`],
      ['CSeq', `${options.cseq ?? 1} ${method.toUpperCase()}`],
    ];
  }

  /** Places a call; resolves once the INVITE is sent, with the call to wait on. */
  async invite(options: InviteOptions): Promise<OutgoingCall> {
    const headers = this.outOfDialogHeaders('INVITE', options.to, options);
    const uri = options.requestUri ?? parseNameAddr(asNameAddr(options.to)).uri;
    const body = options.sdp ?? options.body;
    const spec: OutgoingRequestSpec = {
      method: 'INVITE', uri, headers, contact: true, options: body === undefined ? options : { ...options, body },
    };
    // The transaction exists before the call (the call needs the INVITE as built), so it reports through a holder.
    const holder: { call?: OutgoingCall } = {};
    const { tx, dest } = this.createTransaction(spec, {
      onResponse: (r, again) => holder.call?.onResponse(r, again),
      onFailure: (e) => holder.call?.onFailure(e),
    });
    const localTag = parseNameAddr(getHeader(tx.request, 'from') ?? '').tag ?? '';
    const call = new OutgoingCall(this, tx.request, dest, options.autoAck ?? true, localTag);
    holder.call = call;
    call.attach(tx);
    this.calls.add(call);
    this.registerDialog(call.callId, localTag, call);
    await tx.start();
    return call;
  }

  /**
   * A non-INVITE request outside any dialog (OPTIONS, REGISTER, MESSAGE);
   * resolves with the final response. With `credentials`, a 401/407 is answered
   * once with digest authentication: same Call-ID and From tag, CSeq + 1 (§22.2).
   */
  async request(method: string, target: string, options: OutOfDialogOptions = {}): Promise<SipResponse> {
    const upper = method.toUpperCase();
    const headers = this.outOfDialogHeaders(upper, target, options);
    if (upper === 'OPTIONS') headers.push(['Accept', 'application/sdp']);
    const uri = options.requestUri ?? parseNameAddr(asNameAddr(target)).uri;
    const spec: OutgoingRequestSpec = { method: upper, uri, headers, contact: true, options };
    const first = await transact(this, spec);
    const challenged = first.status === 401 || first.status === 407;
    if (!challenged || !options.credentials) return first;
    const challenge = parseChallenge(getHeader(first, first.status === 401 ? 'www-authenticate' : 'proxy-authenticate') ?? '');
    if (!challenge) return first;
    const seq = (options.cseq ?? 1) + 1;
    const authName = first.status === 401 ? 'Authorization' : 'Proxy-Authorization';
    const retry = headers.map(([n, v]): [string, string] => (canonicalName(n) === 'cseq' ? [n, `${seq} ${upper}`] : [n, v]));
    retry.push([authName, digestAuthorization(challenge, options.credentials, upper, uri)]);
    return transact(this, { ...spec, headers: retry });
  }

  /**
   * Registers `aor` (e.g. `sip:alice@203.0.113.10`) at `registrar` with our
   * Contact; `expires: 0` removes the binding.
   */
  register(registrar: string, options: RegisterOptions): Promise<SipResponse> {
    const { aor, expires = 3600, contact, ...rest } = options;
    const headers = { Contact: contact ?? this.contact(), Expires: String(expires), ...headerRecord(rest.headers) };
    return this.request('REGISTER', aor, { from: aor, ...rest, requestUri: registrar, headers });
  }

  options(target: string, options: OutOfDialogOptions = {}): Promise<SipResponse> {
    return this.request('OPTIONS', target, options);
  }

  // ---- responding ----------------------------------------------------------

  async respond(tx: ServerTransaction, status: number, reason: string | undefined, options: ResponseOptions, toTag?: string): Promise<SipResponse> {
    const raw = buildReply(tx.request, status, reason, options, { contact: this.contact(), userAgent: this.userAgent, ...(toTag !== undefined ? { toTag } : {}) });
    await tx.respond(raw, status);
    return parseMessage(raw) as SipResponse;
  }

  // ---- receiving -----------------------------------------------------------

  private onInbound(inbound: Inbound): void {
    const entry = this.ladder.record({
      at: Date.now(), direction: 'received', transport: this.transport.kind,
      local: endpointKey(inbound.local), remote: endpointKey(inbound.remote), raw: inbound.data.toString('utf8'),
    });
    const msg = entry.message;
    if (!msg) return;
    // Whatever a peer sends must not take the suite down: a failure here is evidence, not a crash.
    try {
      if (msg.kind === 'response') this.handleResponse(msg);
      else this.handleRequest(msg, inbound.remote);
    } catch (err) {
      this.errors.push(err as Error);
    }
  }

  private handleResponse(response: SipResponse): void {
    const branch = topViaOf(response)?.branch;
    const method = cseqOf(response)?.method;
    const tx = branch && method ? this.clientTx.get(`${branch}|${method}`) : undefined;
    if (tx) {
      tx.receive(response);
      return;
    }
    // Transaction gone: a late 2xx retransmission still belongs to our dialog (§13.2.2.4).
    const owner = this.dialogs.get(`${callIdOf(response)}|${parseNameAddr(getHeader(response, 'from') ?? '').tag ?? ''}`);
    owner?.onStrayResponse?.(response);
  }

  private newServerTransaction(request: SipRequest, remote: Endpoint, onAckTimeout?: () => void): ServerTransaction {
    const key = transactionKey(request, request.method);
    const tx: ServerTransaction = new ServerTransaction(
      request, remote, (raw) => this.transmit(raw, remote), this.timers, this.transport.reliable,
      () => {
        if (this.serverTx.get(key) === tx) this.serverTx.delete(key);
        if (this.incomingCalls.get(key)?.tx === tx) this.incomingCalls.delete(key);
      },
      onAckTimeout,
    );
    this.serverTx.set(key, tx);
    return tx;
  }

  private handleRequest(request: SipRequest, remote: Endpoint): void {
    const method = request.method.toUpperCase();
    if (method === 'ACK') {
      // The ACK for any 2xx we keep re-sending (initial INVITE or re-INVITE) stops it: same Call-ID and CSeq number.
      const seq = cseqOf(request)?.seq;
      for (const tx of this.serverTx.values()) {
        if (tx.isInvite && tx.state === 'completed' && (tx.final ?? 0) < 300 && callIdOf(tx.request) === callIdOf(request) && cseqOf(tx.request)?.seq === seq) {
          tx.ackReceived();
        }
      }
      const call = this.incomingCalls.get(transactionKey(request, 'INVITE'));
      if (call && (call.tx.final ?? 0) >= 300) call.onAck(request);
      else this.dialogs.get(`${callIdOf(request)}|${toOf(request)?.tag ?? ''}`)?.onAck(request);
      return;
    }
    const existing = this.serverTx.get(transactionKey(request, method));
    if (existing) {
      existing.requestRetransmitted();
      return;
    }
    const tx = this.newServerTransaction(request, remote);
    if (method === 'CANCEL') {
      const call = this.incomingCalls.get(transactionKey(request, 'INVITE'));
      // §9.2: 481 when no transaction matches, else 200 to the CANCEL and 487 to the INVITE.
      void this.respond(tx, call ? 200 : 481, undefined, {}).then(() => call?.onCancel(request)).catch(() => undefined);
      return;
    }
    const toTag = toOf(request)?.tag;
    if (toTag !== undefined) {
      const owner = this.dialogs.get(`${callIdOf(request)}|${toTag}`);
      if (owner) owner.onRequest(new IncomingRequest(this, tx));
      else void this.respond(tx, 481, undefined, {}).catch(() => undefined);
      return;
    }
    if (method === 'INVITE') {
      const call = new IncomingCall(this, tx);
      this.incomingCalls.set(transactionKey(request, 'INVITE'), call);
      if (this.config.autoTrying ?? true) void call.trying().catch(() => undefined);
      const handler = this.inviteHandler;
      if (handler) void Promise.resolve().then(() => handler(call)).catch((err: unknown) => this.errors.push(err as Error));
      else this.invites.push(call);
      return;
    }
    const incoming = new IncomingRequest(this, tx, this.newTag());
    this.requests.push(incoming);
    const handler = this.requestHandler;
    if (handler) {
      void Promise.resolve().then(() => handler(incoming)).catch((err: unknown) => this.errors.push(err as Error));
    } else {
      void incoming.respond(method === 'OPTIONS' ? 200 : 501).catch(() => undefined);
    }
  }

  /** Handles every new incoming call; without a handler, calls queue for `waitInvite`. */
  onInvite(handler: (call: IncomingCall) => void | Promise<void>): void {
    this.inviteHandler = handler;
  }

  /** The next incoming call not yet taken. */
  waitInvite(timeoutMs?: number): Promise<IncomingCall> {
    return this.invites.take(timeoutMs ?? this.defaultTimeoutMs);
  }

  /** Answers out-of-dialog requests other than INVITE (default: 200 to OPTIONS, 501 to the rest). */
  onRequest(handler: (request: IncomingRequest) => void | Promise<void>): void {
    this.requestHandler = handler;
  }

  /** The first out-of-dialog non-INVITE request with this method, past or future. */
  waitRequest(method: string, timeoutMs?: number): Promise<IncomingRequest> {
    const upper = method.toUpperCase();
    return this.requests.find((r) => r.request.method.toUpperCase() === upper, timeoutMs ?? this.defaultTimeoutMs, `${upper} request`);
  }

  registerDialog(callId: string, localTag: string, owner: DialogOwner): void {
    this.dialogs.set(`${callId}|${localTag}`, owner);
  }

  unregisterDialog(callId: string, localTag: string): void {
    this.dialogs.delete(`${callId}|${localTag}`);
  }

  // ---- evidence ------------------------------------------------------------

  /** Parsed messages received so far that match `filter`. */
  received(filter: MessageFilter = {}): SipMessage[] {
    return this.ladder.messages({ ...filter, direction: 'received' });
  }

  sent(filter: MessageFilter = {}): SipMessage[] {
    return this.ladder.messages({ ...filter, direction: 'sent' });
  }

  /** The first received message matching `filter`, already there or arriving within `timeoutMs`. */
  waitReceived(filter: MessageFilter, timeoutMs?: number): Promise<SipMessage> {
    const wanted: MessageFilter = { ...filter, direction: 'received' };
    const found = this.ladder.find(wanted)[0]?.message;
    if (found) return Promise.resolve(found);
    const watch = new Watch<LadderEntry>('matching message');
    const unsubscribe = this.ladder.subscribe((e) => watch.push(e));
    return watch
      .find((e) => matches(e, wanted), timeoutMs ?? this.defaultTimeoutMs)
      .then((e) => e.message as SipMessage)
      .finally(unsubscribe);
  }

  /** Writes the ladder (text, or JSON for a `.json` path) as scenario evidence. */
  writeLadder(path: string): Promise<void> {
    return this.ladder.write(path);
  }

  /** Stops every timer and closes the transport. */
  async close(): Promise<void> {
    for (const call of this.calls) call.dispose();
    for (const tx of [...this.clientTx.values()]) tx.terminate();
    for (const tx of [...this.serverTx.values()]) tx.terminate();
    await this.transport.close();
  }
}
