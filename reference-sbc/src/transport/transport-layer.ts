import { SipParseError, TransportError } from '../errors';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { getParam, hasControl, hasParam, withParam } from '../sip/grammar';
import { Headers } from '../sip/headers';
import { parseVia, serializeVia, type Via } from '../sip/header-values';
import { newTag } from '../sip/ids';
import { createResponse, SipRequest, SipResponse, type SipMessage } from '../sip/message';
import { checkMessageLimits, type LimitBreach, type MessageLimits } from '../sip/message-limits';
import { isKeepAlive, parseMessage } from '../sip/parser';
import { serializeMessage } from '../sip/serializer';
import { hostToAddress } from '../sip/uri';
import type { Endpoint, InboundGate, Inbound, Listener, Protocol, Target } from './types';

export interface TransportLayerOptions {
  log: Logger;
  metrics: Metrics;
  /** Datagrams or stream messages bigger than this are dropped and counted. */
  maxMessageBytes: number;
  /** Checks every message and connection before parsing; absent = everything is read. */
  gate?: InboundGate | undefined;
  /** A Server header for the SBC's own responses and User-Agent for its requests; absent = none (no banner). */
  serverHeader?: string | undefined;
  /** Header and body size limits: a request over them is answered 400/413, a response dropped. Absent = none. */
  limits?: MessageLimits | undefined;
  /** Zones where every message the SBC sends is checked against `limits` again (the core). */
  guardedZones?: readonly string[] | undefined;
}

/**
 * Owns the listeners of every zone. Turns bytes into messages (never throwing: a malformed message
 * is answered 400 when it is a request whose Via, From, To, Call-ID and CSeq survived, otherwise
 * dropped; both are counted), stamps received/rport on requests, and sends responses where the
 * Via says (RFC 3261 18.2.2, RFC 3581 4).
 */
export class TransportLayer {
  private readonly listeners: Listener[] = [];
  private handler: ((inbound: Inbound) => void) | undefined;
  private readonly log: Logger;
  private readonly metrics: Metrics;
  private readonly maxMessageBytes: number;
  private readonly gate: InboundGate | undefined;
  private readonly serverHeader: string | undefined;
  private readonly limits: MessageLimits | undefined;
  private readonly guardedZones: ReadonlySet<string>;

  constructor(options: TransportLayerOptions) {
    this.log = options.log;
    this.metrics = options.metrics;
    this.maxMessageBytes = options.maxMessageBytes;
    this.gate = options.gate;
    this.serverHeader = options.serverHeader;
    this.limits = options.limits;
    this.guardedZones = new Set(options.guardedZones ?? []);
    this.metrics.counter('sbc_sip_over_limits_total', 'Messages over the header/body limits, by zone and direction (in: refused on arrival, out: not sent)');
    this.metrics.counter('sbc_sip_messages_total', 'SIP messages by zone, direction (in/out) and kind (request/response)');
    this.metrics.counter('sbc_sip_dropped_total', 'Received data dropped, by zone and reason (malformed, too_large, framing, foreign-source, blocked, scanner, flood)');
    this.metrics.counter('sbc_sip_malformed_total', 'Malformed SIP messages received, by zone (answered 400 or dropped)');
    this.metrics.counter('sbc_sip_send_errors_total', 'Messages the transport failed to send, by zone');
  }

  add(listener: Listener): void {
    listener.onData((data, source, connectionId) => this.receive(listener, data, source, connectionId));
    this.listeners.push(listener);
  }

  async listen(): Promise<void> {
    for (const l of this.listeners) {
      await l.listen();
      this.log.info('listening', { zone: l.zone, protocol: l.protocol, address: l.local.address, port: l.local.port });
    }
  }

  onMessage(handler: (inbound: Inbound) => void): void {
    this.handler = handler;
  }

  /** The address and port the SBC advertises in `zone` over `protocol` (Via, Contact). */
  local(zone: string, protocol: Protocol): Endpoint | undefined {
    return this.listener(zone, protocol)?.local;
  }

  hasListener(zone: string, protocol: Protocol): boolean {
    return this.listener(zone, protocol) !== undefined;
  }

  async send(message: SipMessage, target: Target): Promise<void> {
    const listener = this.listener(target.zone, target.protocol);
    if (!listener) throw new TransportError(target.zone, `no ${target.protocol} listener in zone ${target.zone}`);
    if (this.serverHeader !== undefined) {
      const name = message.kind === 'response' ? 'Server' : 'User-Agent';
      if (message.headers.get(name) === undefined) message.headers.append(name, this.serverHeader);
    }
    const breach = this.limits && this.guardedZones.has(target.zone) ? checkMessageLimits(message, this.limits) : undefined;
    if (breach) {
      // Everything arriving was checked against the same limits, so this is an SBC bug; it still
      // must not reach the core.
      this.metrics.inc('sbc_sip_over_limits_total', { zone: target.zone, direction: 'out' });
      this.log.error('outgoing message over the limits, not sent', { zone: target.zone, first: firstLine(message), reason: breach.reason });
      throw new TransportError(target.zone, `message over the limits not sent: ${breach.reason}`);
    }
    const data = serializeMessage(message);
    try {
      await listener.send(data, target.endpoint, target.connectionId);
      this.metrics.inc('sbc_sip_messages_total', { zone: target.zone, direction: 'out', kind: message.kind });
      this.log.debug('sent', { zone: target.zone, to: target.endpoint, first: firstLine(message) });
    } catch (err) {
      this.metrics.inc('sbc_sip_send_errors_total', { zone: target.zone });
      throw err;
    }
  }

  /**
   * Sends a response back along the request's top Via (RFC 3261 18.2.2 / RFC 3581 4): over the
   * connection it came on when that still exists, else to received/rport, else to sent-by.
   */
  sendResponse(response: SipResponse, via: { zone: string; protocol: Protocol; connectionId?: string }): Promise<void> {
    const top = response.topVia();
    return this.send(response, { zone: via.zone, protocol: via.protocol, endpoint: responseDestination(top, via.protocol), ...(via.connectionId === undefined ? {} : { connectionId: via.connectionId }) });
  }

  /** Whether a new stream connection from `source` may proceed (the gate's verdict, counted like a drop). */
  admitConnection(zone: string, source: Endpoint): boolean {
    const reason = this.gate?.checkConnection(zone, source);
    if (reason === undefined) return true;
    this.metrics.inc('sbc_sip_dropped_total', { zone, reason });
    return false;
  }

  /** A stream broke its framing (the listener closes that connection); counted like a malformed message. */
  reportFramingError(zone: string, reason: string): void {
    this.metrics.inc('sbc_sip_malformed_total', { zone });
    this.metrics.inc('sbc_sip_dropped_total', { zone, reason: 'framing' });
    this.log.info('stream framing error, connection closed', { zone, reason });
  }

  async close(): Promise<void> {
    await Promise.all(this.listeners.map((l) => l.close()));
  }

  private listener(zone: string, protocol: Protocol): Listener | undefined {
    return this.listeners.find((l) => l.zone === zone && l.protocol === protocol);
  }

  private receive(listener: Listener, data: Buffer, source: Endpoint, connectionId?: string): void {
    const zone = listener.zone;
    const refused = this.gate?.check(zone, source, data);
    if (refused !== undefined) {
      // No log line per drop: a flood would become a flood of log lines.
      this.metrics.inc('sbc_sip_dropped_total', { zone, reason: refused });
      return;
    }
    if (data.length > this.maxMessageBytes) {
      this.metrics.inc('sbc_sip_dropped_total', { zone, reason: 'too_large' });
      this.log.warn('message too large, dropped', { zone, source, bytes: data.length });
      return;
    }
    if (isKeepAlive(data)) return;
    let message: SipMessage;
    try {
      message = parseMessage(data);
    } catch (err) {
      this.rejectMalformed(listener, err, source, connectionId);
      return;
    }
    this.metrics.inc('sbc_sip_messages_total', { zone, direction: 'in', kind: message.kind });
    if (message.kind === 'request') stampVia(message, source);
    const breach = this.limits ? checkMessageLimits(message, this.limits) : undefined;
    if (breach) {
      this.rejectOverLimits(listener, message, breach, connectionId);
      return;
    }
    this.log.debug('received', { zone, from: source, first: firstLine(message) });
    const inbound: Inbound = { message, zone, protocol: listener.protocol, source, local: listener.local, ...(connectionId === undefined ? {} : { connectionId }) };
    try {
      this.handler?.(inbound);
    } catch (err) {
      // A bug above must not take the socket down; the peer's retransmission gets another chance.
      this.log.error('message handler failed', { zone, err, first: firstLine(message) });
    }
  }

  /** A request over the limits is answered (400 or 413) on its own route; a response is dropped. */
  private rejectOverLimits(listener: Listener, message: SipMessage, breach: LimitBreach, connectionId?: string): void {
    const zone = listener.zone;
    this.metrics.inc('sbc_sip_over_limits_total', { zone, direction: 'in' });
    if (message.kind === 'response' || message.method === 'ACK') {
      this.metrics.inc('sbc_sip_dropped_total', { zone, reason: 'too_large' });
      this.log.info('message over the limits dropped', { zone, first: firstLine(message), reason: breach.reason });
      return;
    }
    this.log.info('request over the limits refused', { zone, first: firstLine(message), status: breach.status, reason: breach.reason });
    const response = createResponse(message, breach.status, breach.reason, newTag());
    this.sendResponse(response, { zone, protocol: listener.protocol, ...(connectionId === undefined ? {} : { connectionId }) })
      .catch((sendErr: unknown) => this.log.warn(`cannot send ${breach.status}`, { zone, err: sendErr }));
  }

  private rejectMalformed(listener: Listener, err: unknown, source: Endpoint, connectionId?: string): void {
    const zone = listener.zone;
    this.metrics.inc('sbc_sip_malformed_total', { zone });
    const reason = err instanceof Error ? err.message : String(err);
    const response = err instanceof SipParseError ? badRequestFor(err, source) : undefined;
    if (!response) {
      this.metrics.inc('sbc_sip_dropped_total', { zone, reason: 'malformed' });
      this.log.info('malformed message dropped', { zone, source, reason });
      return;
    }
    this.log.info('malformed request answered 400', { zone, source, reason });
    // To the packet's source: the Via the 400 carries says the same (received/rport), or could not be parsed.
    this.send(response, { zone, protocol: listener.protocol, endpoint: source, ...(connectionId === undefined ? {} : { connectionId }) })
      .catch((sendErr: unknown) => this.log.warn('cannot send 400', { zone, err: sendErr }));
  }
}

/** Where a response to a request with this top Via goes (RFC 3261 18.2.2, RFC 3581 4). */
export function responseDestination(via: Via, protocol: Protocol): Endpoint {
  const received = getParam(via.params, 'received');
  const rport = getParam(via.params, 'rport');
  const address = hostToAddress(received ?? via.host);
  const port = rport !== undefined && /^\d+$/.test(rport) ? Number(rport) : via.port ?? (protocol === 'tls' ? 5061 : 5060);
  return { address, port };
}

/**
 * RFC 3261 18.2.1: add received= when sent-by differs from the packet source; RFC 3581 3: fill in
 * an empty rport with the source port (and then always add received).
 */
function stampVia(request: SipRequest, source: Endpoint): void {
  const top = request.headers.getValues('via')[0];
  if (top === undefined) return;
  const via = parseVia(top);
  const wantsRport = hasParam(via.params, 'rport');
  let params = via.params;
  if (wantsRport || hostToAddress(via.host) !== source.address) params = withParam(params, 'received', source.address);
  if (wantsRport) params = withParam(params, 'rport', String(source.port));
  if (params === via.params) return;
  request.headers.replaceFirstValue('via', serializeVia({ ...via, params }));
}

/**
 * A 400 for a request the parser rejected (RFC 3261 8.2, RFC 4475 3.1.2): whenever the start line is
 * a request's and the top Via can be read, since a response can then be routed back to the source;
 * whatever of From, To, Call-ID and CSeq survived is copied. ACKs are never answered (RFC 3261
 * 17.2.1), responses neither; without a readable top Via there is nowhere to answer, so it is dropped.
 */
function badRequestFor(err: SipParseError, source: Endpoint): SipResponse | undefined {
  const partial = err.partial;
  if (!partial) return undefined;
  const method = /^([^\s]+)[ \t]+\S/.exec(partial.startLine)?.[1];
  if (method === undefined || /^SIP\//i.test(method) || method.toUpperCase() === 'ACK') return undefined;
  const headers = new Headers(partial.headers.map((h) => ({ ...h })));
  // The first Via field as written; its first element is cut at a comma only if the list splits.
  const topText = (headers.getFields('via')[0] ?? '').trim();
  let via: string;
  try {
    const topVia = parseVia(headers.getValues('via')[0] ?? '');
    via = serializeVia({ ...topVia, params: withParam(withParam(topVia.params, 'received', source.address), 'rport', String(source.port)) });
  } catch {
    // A top Via that names SIP/2.0 and a transport but has a bad sent-by (port 0, a bad host) still
    // identifies the request's hop: it is echoed as written and the answer goes to the packet's
    // source (RFC 3581 symmetric response), which is where `received`/`rport` would send it anyway.
    if (!/^SIP\s*\/\s*2\.0\s*\/\s*[A-Za-z]+\s+[^\s;,]+/i.test(topText) || hasControl(topText) || topText.length > 1024) return undefined;
    via = `${topText.split(',')[0]};received=${source.address};rport=${source.port}`;
  }
  const response = new SipResponse(400, reasonFromError(err.message));
  response.headers.append('Via', via);
  for (const name of ['from', 'to', 'call-id', 'cseq']) {
    const value = headers.get(name);
    // Copied only when printable: a NUL or a CR would break the answer's own framing.
    if (value !== undefined && !hasControl(value)) response.headers.append(capitalize(name), value);
  }
  return response;
}

/** A reason phrase must be UTF8-TEXT without CR/LF; keep it short and printable. */
function reasonFromError(message: string): string {
  return `Bad Request (${message.replace(/[^\x20-\x7e]/g, '?').slice(0, 80)})`;
}

function capitalize(name: string): string {
  return name.split('-').map((p) => (p === 'id' ? 'ID' : p.charAt(0).toUpperCase() + p.slice(1))).join('-');
}

function firstLine(m: SipMessage): string {
  return m.kind === 'request' ? `${m.method} ${m.uri}` : `${m.status} ${m.reason}`;
}
