import { connect as netConnect, type Socket } from 'node:net';
import { connect, createServer, type Server, type TLSSocket } from 'node:tls';
import { TransportError } from '../errors';
import type { Logger } from '../logger';
import { StreamFramer } from './stream-framer';
import { endpointKey, type Endpoint, type Listener } from './types';

export interface TlsListenerOptions {
  zone: string;
  local: Endpoint;
  cert: Buffer;
  key: Buffer;
  maxMessageBytes: number;
  log: Logger;
  /** Called when a stream breaks its framing; the connection is closed right after. */
  onFramingError(zone: string, reason: string): void;
  /** How long an idle connection stays open. */
  idleTimeoutMs?: number;
  /** Decides before the handshake whether a new inbound connection is served; false = closed at once. */
  admit?(source: Endpoint): boolean;
}

interface Connection {
  id: string;
  socket: TLSSocket;
  remote: Endpoint;
}

/**
 * SIP over TLS (RFC 3261 26.2, TLS 1.2 or newer) on one zone address. Inbound connections are
 * kept so responses and in-dialog requests reuse them (18.2.2); when a peer has no open
 * connection the SBC opens one as a client from the same address.
 */
export class TlsListener implements Listener {
  readonly protocol = 'tls';
  readonly zone: string;
  readonly local: Endpoint;
  private readonly options: TlsListenerOptions;
  private readonly server: Server;
  private readonly connections = new Map<string, Connection>();
  private readonly byRemote = new Map<string, Connection>();
  private handler: ((data: Buffer, source: Endpoint, connectionId?: string) => void) | undefined;
  private nextId = 1;

  constructor(options: TlsListenerOptions) {
    this.options = options;
    this.zone = options.zone;
    this.local = options.local;
    this.server = createServer({ cert: options.cert, key: options.key, minVersion: 'TLSv1.2' }, (socket) => {
      this.adopt(socket, { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 });
    });
    // A refused source gets its TCP connection closed before any TLS byte is sent: no certificate, no banner.
    this.server.on('connection', (raw: Socket) => {
      if (options.admit && !options.admit({ address: raw.remoteAddress ?? '', port: raw.remotePort ?? 0 })) raw.destroy();
    });
    // A failed handshake (plain TCP, old TLS version) only concerns that client.
    this.server.on('tlsClientError', (err) => options.log.debug('tls handshake failed', { zone: this.zone, err }));
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(new TransportError(this.zone, `cannot listen on tls ${this.local.address}:${this.local.port}: ${err.message}`, err));
      this.server.once('error', onError);
      this.server.listen(this.local.port, this.local.address, () => {
        this.server.off('error', onError);
        this.server.on('error', (err) => this.options.log.warn('tls server error', { zone: this.zone, err }));
        resolve();
      });
    });
  }

  onData(handler: (data: Buffer, source: Endpoint, connectionId?: string) => void): void {
    this.handler = handler;
  }

  async send(data: Buffer, to: Endpoint, connectionId?: string): Promise<void> {
    let conn = connectionId === undefined ? undefined : this.connections.get(connectionId);
    conn ??= this.byRemote.get(endpointKey(to));
    conn ??= await this.open(to);
    const socket = conn.socket;
    await new Promise<void>((resolve, reject) => {
      socket.write(data, (err) => {
        if (err) reject(new TransportError(this.zone, `tls write to ${endpointKey(conn.remote)} failed: ${err.message}`, err));
        else resolve();
      });
    });
  }

  async close(): Promise<void> {
    for (const c of this.connections.values()) c.socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private open(to: Endpoint): Promise<Connection> {
    return new Promise((resolve, reject) => {
      // Peers present self-signed certificates in practice and RFC 5922 domain checks need a
      // domain, which a Via/Contact IP address does not give: encrypt without verifying.
      // The TCP socket is bound to the zone address so the peer sees the SBC's own address in this zone.
      const raw = netConnect({ host: to.address, port: to.port, localAddress: this.local.address });
      const socket = connect({
        socket: raw,
        minVersion: 'TLSv1.2',
        rejectUnauthorized: false,
        cert: this.options.cert,
        key: this.options.key,
      });
      const onError = (err: Error): void => reject(new TransportError(this.zone, `tls connect to ${endpointKey(to)} failed: ${err.message}`, err));
      raw.once('error', onError);
      socket.once('error', onError);
      socket.once('secureConnect', () => {
        socket.off('error', onError);
        raw.off('error', onError);
        resolve(this.adopt(socket, to));
      });
    });
  }

  private adopt(socket: TLSSocket, remote: Endpoint): Connection {
    const conn: Connection = { id: `${this.zone}-tls-${this.nextId++}`, socket, remote };
    this.connections.set(conn.id, conn);
    this.byRemote.set(endpointKey(remote), conn);
    const framer = new StreamFramer(this.options.maxMessageBytes);
    socket.setTimeout(this.options.idleTimeoutMs ?? 600_000, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      for (const frame of framer.push(chunk)) {
        if (frame.kind === 'message') this.handler?.(frame.data, remote, conn.id);
        else if (frame.kind === 'ping') socket.write('\r\n');
        else {
          this.options.onFramingError(this.zone, frame.reason);
          socket.destroy();
        }
      }
    });
    socket.on('error', (err) => this.options.log.debug('tls connection error', { zone: this.zone, remote, err }));
    socket.on('close', () => {
      this.connections.delete(conn.id);
      if (this.byRemote.get(endpointKey(remote)) === conn) this.byRemote.delete(endpointKey(remote));
    });
    return conn;
  }
}
