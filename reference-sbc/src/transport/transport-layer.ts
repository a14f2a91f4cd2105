import { SipParseError, TransportError } from '../errors';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { getParam, hasParam, withParam } from '../sip/grammar';
import { Headers } from '../sip/headers';
import { parseVia, serializeVia, type Via } from '../sip/header-values';
import { SipRequest, SipResponse, type SipMessage } from '../sip/message';
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

  constructor(options: TransportLayerOptions) {
    this.log = options.log;
    this.metrics = options.metrics;
    this.maxMessageBytes = options.maxMessageBytes;
    this.gate = options.gate;
    this.serverHeader = options.serverHeader;
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
    this.log.debug('received', { zone, from: source, first: firstLine(message) });
    const inbound: Inbound = { message, zone, protocol: listener.protocol, source, local: listener.local, ...(connectionId === undefined ? {} : { connectionId }) };
    try {
      this.handler?.(inbound);
    } catch (err) {
      // A bug above must not take the socket down; the peer's retransmission gets another chance.
      this.log.error('message handler failed', { zone, err, first: firstLine(message) });
    }
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
    this.sendResponse(response, { zone, protocol: listener.protocol, ...(connectionId === undefined ? {} : { connectionId }) })
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
 * A 400 for a request the parser rejected, if the essentials survived. ACKs are never answered
 * (RFC 3261 17.2.1), and neither is anything whose Via cannot be read (no address to answer to).
 */
function badRequestFor(err: SipParseError, source: Endpoint): SipResponse | undefined {
  const partial = err.partial;
  if (!partial) return undefined;
  const m = /^([A-Za-z]+) \S+ SIP\/\d+\.\d+$/i.exec(partial.startLine);
  if (!m || m[1] === undefined || m[1].toUpperCase() === 'ACK') return undefined;
  const headers = new Headers(partial.headers.map((h) => ({ ...h })));
  const needed = ['via', 'from', 'to', 'call-id', 'cseq'];
  if (needed.some((n) => headers.get(n) === undefined)) return undefined;
  let topVia: Via;
  try {
    topVia = parseVia(headers.getValues('via')[0] ?? '');
  } catch {
    return undefined;
  }
  const response = new SipResponse(400, reasonFromError(err.message));
  const viaParams = withParam(withParam(topVia.params, 'received', source.address), 'rport', String(source.port));
  response.headers.append('Via', serializeVia({ ...topVia, params: viaParams }));
  for (const name of ['from', 'to', 'call-id', 'cseq']) response.headers.append(capitalize(name), headers.get(name) ?? '');
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
