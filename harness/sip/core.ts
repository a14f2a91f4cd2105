/**
 * The contract between `SipClient` and the call objects it creates: how a call
 * sends requests and responses through the client without knowing the
 * transport, and how the client hands in-dialog messages back to the call.
 */
import type { ClientTransaction, ClientTransactionUser, SipTimers } from './client-transaction';
import type { Dialog } from './dialog';
import { canonicalName } from './headers';
import type { SipRequest, SipResponse } from './message';
import type { ServerTransaction } from './server-transaction';
import type { Endpoint } from './transport';
import { Watch } from './wait';

/** Headers a test adds or overrides; `null` removes a header the client would write. */
export type ExtraHeaders =
  | ReadonlyArray<readonly [string, string | null]>
  | Readonly<Record<string, string | null>>;

/**
 * Applies `extra` to the client's own headers: a name already present is
 * replaced where it stood (all its lines), `null` drops it, new names go last.
 */
export function mergeHeaders(base: ReadonlyArray<readonly [string, string]>, extra: ExtraHeaders | undefined): Array<[string, string]> {
  const pairs: ReadonlyArray<readonly [string, string | null]> = extra === undefined
    ? []
    : Array.isArray(extra) ? (extra as ReadonlyArray<readonly [string, string | null]>) : Object.entries(extra as Record<string, string | null>);
  const overridden = new Set(pairs.map(([n]) => canonicalName(n)));
  const out: Array<[string, string]> = [];
  const placed = new Set<string>();
  const place = (name: string): void => {
    if (placed.has(name)) return;
    placed.add(name);
    for (const [n, v] of pairs) if (canonicalName(n) === name && v !== null) out.push([n, v]);
  };
  for (const [n, v] of base) {
    const c = canonicalName(n);
    if (overridden.has(c)) place(c);
    else out.push([n, v]);
  }
  for (const [n] of pairs) place(canonicalName(n));
  return out;
}

/** Adds Content-Type for a body unless the headers already name one (application/sdp by default). */
export function withContentType(headers: Array<[string, string]>, options: { body?: string; contentType?: string }): Array<[string, string]> {
  if (options.body !== undefined && options.body !== '' && !headers.some(([n]) => canonicalName(n) === 'content-type')) {
    headers.push(['Content-Type', options.contentType ?? 'application/sdp']);
  }
  return headers;
}

/** Options shared by every request a test sends. */
export interface RequestOptions {
  headers?: ExtraHeaders;
  body?: string;
  /** Defaults to application/sdp when a body is given. */
  contentType?: string;
  /** Where to send, overriding the route set, outbound proxy and Request-URI host. */
  dest?: Endpoint;
  timeoutMs?: number;
}

export interface ResponseOptions {
  headers?: ExtraHeaders;
  body?: string;
  contentType?: string;
}

export interface OutgoingRequestSpec {
  method: string;
  uri: string;
  /** From, To, Call-ID, CSeq and Route headers, in order. */
  headers: Array<[string, string]>;
  /** The URI whose host:port is the first hop when no `dest` is given. */
  nextHop?: string;
  /** Used when neither `dest`, the outbound proxy nor `nextHop` gives an IP address. */
  fallbackDest?: Endpoint;
  /** Exact top Via to reuse (CANCEL, §9.1); otherwise a new branch is made. */
  via?: string;
  contact?: boolean;
  options?: RequestOptions;
}

/** Something that owns a dialog: gets the requests (and stray 2xx) that belong to it. */
export interface DialogOwner {
  onRequest(request: IncomingRequest): void;
  onAck(ack: SipRequest): void;
  onStrayResponse?(response: SipResponse): void;
}

export interface ClientCore {
  readonly timers: SipTimers;
  readonly defaultTimeoutMs: number;
  readonly local: Endpoint;
  newTag(): string;
  /** Starts a client transaction for a request built from `spec`. */
  sendRequest(spec: OutgoingRequestSpec, user: ClientTransactionUser): Promise<ClientTransaction>;
  /** Sends a request outside any transaction (the ACK for a 2xx); returns what was sent and where. */
  sendStateless(spec: OutgoingRequestSpec): Promise<{ request: SipRequest; raw: string; dest: Endpoint | undefined }>;
  resend(raw: string, dest: Endpoint | undefined): Promise<void>;
  /** Builds a response to `tx`'s request and sends it through the transaction. */
  respond(tx: ServerTransaction, status: number, reason: string | undefined, options: ResponseOptions, toTag?: string): Promise<SipResponse>;
  registerDialog(callId: string, localTag: string, owner: DialogOwner): void;
  unregisterDialog(callId: string, localTag: string): void;
}

/** A request the client received, with the means to answer it once. */
export class IncomingRequest {
  constructor(
    private readonly core: ClientCore,
    readonly tx: ServerTransaction,
    private readonly toTag?: string,
  ) {}

  get request(): SipRequest {
    return this.tx.request;
  }

  get remote(): Endpoint {
    return this.tx.remote;
  }

  get answered(): boolean {
    return this.tx.hasFinal;
  }

  respond(status: number, reason?: string, options: ResponseOptions = {}): Promise<SipResponse> {
    return this.core.respond(this.tx, status, reason, options, this.toTag);
  }
}

/** Runs one client transaction and resolves with its final response. */
export async function transact(core: ClientCore, spec: OutgoingRequestSpec): Promise<SipResponse> {
  const final = new Watch<SipResponse>(`final response to ${spec.method}`);
  await core.sendRequest(spec, {
    onResponse: (r) => {
      if (r.status >= 200) final.push(r);
    },
    onFailure: (e) => final.fail(e),
  });
  return final.find(() => true, spec.options?.timeoutMs ?? core.defaultTimeoutMs);
}

/**
 * A request inside `dialog` (BYE, INFO, UPDATE, re-INVITE). A 2xx to a
 * re-INVITE is ACKed at once (§13.2.2.4); `fallbackDest` is used when the
 * route set and remote target name no IP address.
 */
export async function requestInDialog(
  core: ClientCore, dialog: Dialog, method: string, options: RequestOptions, fallbackDest: Endpoint | undefined,
): Promise<SipResponse> {
  const spec = dialog.request(method);
  const fallback = fallbackDest ? { fallbackDest } : {};
  const isInvite = spec.method === 'INVITE';
  const response = await transact(core, {
    method: spec.method, uri: spec.uri, headers: spec.headers, nextHop: spec.nextHop, contact: isInvite, options, ...fallback,
  });
  if (isInvite && response.status >= 200 && response.status < 300) {
    const ack = dialog.request('ACK');
    await core.sendStateless({ method: 'ACK', uri: ack.uri, headers: ack.headers, nextHop: ack.nextHop, options: options.dest ? { dest: options.dest } : {}, ...fallback });
  }
  return response;
}
