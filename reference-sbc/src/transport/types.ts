import type { SipMessage } from '../sip/message';

/** The wire protocols the SBC speaks; TCP is deliberately absent (GEN-08). */
export type Protocol = 'udp' | 'tls';

export interface Endpoint {
  address: string;
  port: number;
}

/** Where an outgoing message goes: the zone picks the socket, the endpoint the peer. */
export interface Target {
  zone: string;
  protocol: Protocol;
  endpoint: Endpoint;
  /** An existing TLS connection to reuse (responses, RFC 3261 18.2.2). */
  connectionId?: string;
}

/** A message as it arrived, with the facts the upper layers route on. */
export interface Inbound {
  message: SipMessage;
  /** The zone is the socket the message arrived on, never something the message claims. */
  zone: string;
  protocol: Protocol;
  source: Endpoint;
  local: Endpoint;
  connectionId?: string;
}

/**
 * Decides, before anything is parsed, whether data from a source is read at all (block list, zone
 * source rules, flood and scanner checks live above this layer). A returned reason means: drop it
 * silently and count it under that reason.
 */
export interface InboundGate {
  check(zone: string, source: Endpoint, data: Buffer): string | undefined;
  /** A new stream connection, before its handshake. */
  checkConnection(zone: string, source: Endpoint): string | undefined;
}

/** One listening socket (or TLS server) in one zone. */
export interface Listener {
  readonly zone: string;
  readonly protocol: Protocol;
  readonly local: Endpoint;
  listen(): Promise<void>;
  /** Sends bytes; rejects with TransportError when the socket or connection cannot take them. */
  send(data: Buffer, to: Endpoint, connectionId?: string): Promise<void>;
  onData(handler: (data: Buffer, source: Endpoint, connectionId?: string) => void): void;
  close(): Promise<void>;
}

export function endpointKey(e: Endpoint): string {
  return e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
}
