/**
 * What the SIP client needs from a socket, and the UDP implementation. Stream
 * transports (TLS) frame their bytes into whole messages before handing them
 * up, so the client above sees one message per `Inbound` on every transport.
 */
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { SipTransportError } from './errors';
import type { TransportKind } from './ladder';

export interface Endpoint {
  ip: string;
  port: number;
}

export function endpointKey(e: Endpoint): string {
  return e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}

/** Node reports IPv4 peers of dual-stack sockets as `::ffff:a.b.c.d`. */
export function normaliseIp(ip: string | undefined): string {
  if (ip === undefined) return '';
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

export interface Inbound {
  data: Buffer;
  local: Endpoint;
  remote: Endpoint;
}

export interface SentTo {
  local: Endpoint;
  remote: Endpoint;
}

export interface SipTransport {
  readonly kind: TransportKind;
  /** Reliable transports get no retransmissions (RFC 3261 §17.1.1.2, §17.1.2.2). */
  readonly reliable: boolean;
  /** The address our Via and Contact advertise. */
  readonly local: Endpoint;
  /**
   * Sends one message. `to` is needed by UDP and by the TLS listener; a TLS
   * client has one connection and sends everything over it.
   */
  send(data: Buffer, to?: Endpoint): Promise<SentTo>;
  onReceive(listener: (inbound: Inbound) => void): void;
  onError(listener: (error: Error) => void): void;
  close(): Promise<void>;
}

/** A small listener list shared by the transports. */
export class Listeners<T> {
  private readonly list: Array<(value: T) => void> = [];
  add(listener: (value: T) => void): void {
    this.list.push(listener);
  }
  emit(value: T): void {
    for (const listener of this.list) listener(value);
  }
}

export class UdpTransport implements SipTransport {
  readonly kind = 'udp' as const;
  readonly reliable = false;
  private readonly received = new Listeners<Inbound>();
  private readonly errors = new Listeners<Error>();
  private closed = false;

  private constructor(private readonly socket: Socket, readonly local: Endpoint) {
    socket.on('message', (data, rinfo) => {
      this.received.emit({ data, local: this.local, remote: { ip: normaliseIp(rinfo.address), port: rinfo.port } });
    });
    socket.on('error', (err) => this.errors.emit(err));
  }

  /** Binds a datagram socket to `ip:port` (port 0 picks a free one). */
  static async bind(ip: string, port: number): Promise<UdpTransport> {
    const socket = createSocket({ type: ip.includes(':') ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(new SipTransportError(`cannot bind UDP ${ip}:${port}: ${err.message}`, undefined, err));
      socket.once('error', onError);
      socket.bind(port, ip, () => {
        socket.off('error', onError);
        resolve();
      });
    });
    const address = socket.address();
    return new UdpTransport(socket, { ip: normaliseIp(address.address), port: address.port });
  }

  send(data: Buffer, to?: Endpoint): Promise<SentTo> {
    if (!to) return Promise.reject(new SipTransportError('UDP send needs a destination'));
    if (this.closed) return Promise.reject(new SipTransportError('UDP socket closed', endpointKey(to)));
    return new Promise((resolve, reject) => {
      this.socket.send(data, to.port, to.ip, (err) => {
        if (err) reject(new SipTransportError(`UDP send to ${endpointKey(to)} failed: ${err.message}`, endpointKey(to), err));
        else resolve({ local: this.local, remote: to });
      });
    });
  }

  onReceive(listener: (inbound: Inbound) => void): void {
    this.received.add(listener);
  }

  onError(listener: (error: Error) => void): void {
    this.errors.add(listener);
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
