import { withoutParam } from '../sip/grammar';
import { Headers } from '../sip/headers';
import { nameAddrTag, parseNameAddr, serializeNameAddr, serializeVia } from '../sip/header-values';
import { newBranch } from '../sip/ids';
import { SipRequest, type SipResponse } from '../sip/message';
import { addressToHost, hostToAddress, parseSipUri, serializeUri } from '../sip/uri';
import type { Endpoint, Protocol, Target } from '../transport/types';

export enum DialogState {
  Early = 'early',
  Confirmed = 'confirmed',
  Terminated = 'terminated',
}

/** Where this side of the SBC lives in a dialog: the zone socket and the address it advertises. */
export interface LocalSide {
  zone: string;
  protocol: Protocol;
  local: Endpoint;
}

export interface DialogInit {
  callId: string;
  localTag: string;
  remoteTag: string;
  /** From/To values of our side and the peer's side, without tags. */
  localUri: string;
  remoteUri: string;
  localSeq: number;
  remoteSeq: number;
  remoteTarget: string;
  /** Route set in the order requests use it (RFC 3261 12.1.1 / 12.1.2). */
  routeSet: string[];
  side: LocalSide;
  /**
   * Where to send in-dialog requests when the route set is empty. For public peers this is the
   * address their INVITE came from (they are often behind NAT, so their Contact is unreachable).
   */
  latchedPeer: Endpoint | undefined;
  /** The TLS connection the peer's INVITE came on, reused for requests to it (RFC 3261 18.2.2 spirit). */
  latchedConnection?: string | undefined;
  /** Where requests go when neither route set nor remote target yields an address (e.g. a tel: Contact). */
  fallback: Endpoint;
}

/** One SIP dialog (RFC 3261 12): identifiers, sequence numbers, route set and remote target. */
export class Dialog {
  state = DialogState.Early;
  readonly callId: string;
  readonly localTag: string;
  remoteTag: string;
  readonly localUri: string;
  readonly remoteUri: string;
  localSeq: number;
  remoteSeq: number;
  remoteTarget: string;
  routeSet: string[];
  readonly side: LocalSide;
  private readonly latchedPeer: Endpoint | undefined;
  private readonly latchedConnection: string | undefined;
  private readonly fallback: Endpoint;

  constructor(init: DialogInit) {
    this.callId = init.callId;
    this.localTag = init.localTag;
    this.remoteTag = init.remoteTag;
    this.localUri = init.localUri;
    this.remoteUri = init.remoteUri;
    this.localSeq = init.localSeq;
    this.remoteSeq = init.remoteSeq;
    this.remoteTarget = init.remoteTarget;
    this.routeSet = init.routeSet;
    this.side = init.side;
    this.latchedPeer = init.latchedPeer;
    this.latchedConnection = init.latchedConnection;
    this.fallback = init.fallback;
  }

  /** RFC 3261 12.1.1: the UAS side of a dialog created by the INVITE it received. */
  static asUas(invite: SipRequest, localTag: string, side: LocalSide, source: Endpoint, connectionId?: string): Dialog {
    const from = invite.from();
    return new Dialog({
      callId: invite.callId(),
      localTag,
      remoteTag: nameAddrTag(from) ?? '',
      localUri: serializeNameAddr({ ...invite.to(), params: withoutParam(invite.to().params, 'tag') }),
      remoteUri: serializeNameAddr({ ...from, params: withoutParam(from.params, 'tag') }),
      localSeq: 0,
      remoteSeq: invite.cseq().seq,
      remoteTarget: contactUri(invite) ?? invite.uri,
      routeSet: invite.headers.getValues('record-route'),
      side,
      latchedPeer: source,
      latchedConnection: connectionId,
      fallback: source,
    });
  }

  /** RFC 3261 12.1.2: the UAC side, from the INVITE we sent and the response that set the remote tag. */
  static asUac(invite: SipRequest, response: SipResponse, side: LocalSide, firstHop: Endpoint): Dialog {
    const from = invite.from();
    const to = response.to();
    return new Dialog({
      callId: invite.callId(),
      localTag: nameAddrTag(from) ?? '',
      remoteTag: nameAddrTag(to) ?? '',
      localUri: serializeNameAddr({ ...from, params: withoutParam(from.params, 'tag') }),
      remoteUri: serializeNameAddr({ ...to, params: withoutParam(to.params, 'tag') }),
      localSeq: invite.cseq().seq,
      remoteSeq: 0,
      remoteTarget: contactUri(response) ?? invite.uri,
      routeSet: [...response.headers.getValues('record-route')].reverse(),
      side,
      latchedPeer: undefined,
      fallback: firstHop,
    });
  }

  /** Updates the remote target from a 2xx or target-refresh request (RFC 3261 12.2.1.2 / 12.2.2). */
  refreshTarget(message: SipRequest | SipResponse): void {
    const target = contactUri(message);
    if (target !== undefined) this.remoteTarget = target;
  }

  /**
   * A new in-dialog request (RFC 3261 12.2.1.1): Request-URI = remote target, Route = route set,
   * CSeq incremented (ACK reuses the INVITE's number), fresh Via branch on our address.
   */
  createRequest(method: string, ackSeq?: number): SipRequest {
    const seq = method === 'ACK' && ackSeq !== undefined ? ackSeq : ++this.localSeq;
    const headers = new Headers();
    const { local, protocol } = this.side;
    headers.append('Via', serializeVia({
      protocol: 'SIP/2.0',
      transport: protocol.toUpperCase(),
      host: addressToHost(local.address),
      port: local.port,
      params: [{ name: 'branch', value: newBranch() }, { name: 'rport', value: undefined }],
    }));
    for (const route of this.routeSet) headers.append('Route', route);
    headers.append('Max-Forwards', '70');
    headers.append('From', `${this.localUri};tag=${this.localTag}`);
    headers.append('To', this.remoteTag === '' ? this.remoteUri : `${this.remoteUri};tag=${this.remoteTag}`);
    headers.append('Call-ID', this.callId);
    headers.append('CSeq', `${seq} ${method}`);
    if (method === 'INVITE' || method === 'UPDATE') headers.append('Contact', this.contact());
    return new SipRequest(method, this.remoteTarget, headers);
  }

  /** Our Contact on this leg: the SBC's own address in this zone, never the other leg's. */
  contact(): string {
    const { local, protocol } = this.side;
    const transport = protocol === 'tls' ? ';transport=tls' : '';
    return `<sip:${addressToHost(local.address)}:${local.port}${transport}>`;
  }

  /**
   * Where in-dialog requests go: the first route (loose routing) when there is a route set, else
   * the latched peer address for public peers, else the remote target.
   */
  target(): Target {
    const { zone, protocol } = this.side;
    const first = this.routeSet[0];
    let endpoint: Endpoint;
    try {
      if (first !== undefined) endpoint = uriEndpoint(serializeUri(parseNameAddr(first).uri), protocol);
      else endpoint = this.latchedPeer ?? uriEndpoint(this.remoteTarget, protocol);
    } catch {
      // A peer's unusable Route/Contact must not break the call: use the address we know works.
      endpoint = this.fallback;
    }
    const connectionId = first === undefined ? this.latchedConnection : undefined;
    return { zone, protocol, endpoint, ...(connectionId === undefined ? {} : { connectionId }) };
  }

  /**
   * Checks an in-dialog request's CSeq (RFC 3261 12.2.2): lower than the last one is out of order.
   * Returns false for out-of-order requests, which the caller answers 500.
   */
  acceptRemoteSeq(request: SipRequest): boolean {
    const seq = request.cseq().seq;
    if (request.method === 'ACK' || request.method === 'CANCEL') return true;
    if (this.remoteSeq !== 0 && seq < this.remoteSeq) return false;
    this.remoteSeq = seq;
    return true;
  }
}

/** host:port of a SIP URI, with the RFC 3263 default port for the protocol. */
export function uriEndpoint(uri: string, protocol: Protocol): Endpoint {
  const parsed = parseSipUri(uri);
  return { address: hostToAddress(parsed.host), port: parsed.port ?? (protocol === 'tls' ? 5061 : 5060) };
}

/** The URI of a message's first Contact, or undefined when absent or unparsable (peer input). */
function contactUri(message: SipRequest | SipResponse): string | undefined {
  const contact = message.headers.getValues('contact')[0];
  if (contact === undefined) return undefined;
  try {
    return serializeUri(parseNameAddr(contact).uri);
  } catch {
    return undefined;
  }
}
