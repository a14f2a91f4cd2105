/**
 * SIP over TLS (RFC 3261 §18, §26.2): a client transport with one connection to
 * the SBC's 5061, and a listening transport for the calls an SBC sends out to
 * a public device. TLS 1.2 is the floor (GEN-08).
 */
import { connect, createServer } from 'node:tls';
import type { ConnectionOptions, SecureVersion, Server, TLSSocket } from 'node:tls';
import { isIP } from 'node:net';
import { SipTransportError } from './errors';
import { StreamFramer } from './parse';
import { endpointKey, Listeners, normaliseIp } from './transport';
import type { Endpoint, Inbound, SentTo, SipTransport } from './transport';

export interface TlsInfo {
  protocol: string | null;
  cipher: string;
  authorized: boolean;
  authorizationError?: string;
  peerSubject?: string;
}

export interface TlsConnectOptions {
  remote: Endpoint;
  /** CA certificate(s) (PEM) that must have signed the peer's certificate. */
  ca?: string | Buffer;
  /** Set false to accept any certificate (self-signed SUTs). Defaults to true. */
  rejectUnauthorized?: boolean;
  /** SNI and the name checked in the certificate; an IP address is checked against IP SANs instead. */
  servername?: string;
  localIp?: string;
  /** Client certificate (mutual TLS), PEM. */
  cert?: string | Buffer;
  key?: string | Buffer;
  minVersion?: SecureVersion;
  maxVersion?: SecureVersion;
  connectTimeoutMs?: number;
}

export interface TlsListenOptions {
  ip: string;
  port: number;
  cert: string | Buffer;
  key: string | Buffer;
  ca?: string | Buffer;
  minVersion?: SecureVersion;
  /** Used when we must open a connection ourselves (no open one to the peer). */
  rejectUnauthorized?: boolean;
}

function tlsInfoOf(socket: TLSSocket): TlsInfo {
  const info: TlsInfo = {
    protocol: socket.getProtocol(),
    cipher: socket.getCipher()?.name ?? '',
    authorized: socket.authorized,
  };
  if (socket.authorizationError) info.authorizationError = String(socket.authorizationError);
  const peer = socket.getPeerCertificate();
  if (peer && peer.subject) info.peerSubject = Object.entries(peer.subject).map(([k, v]) => `${k}=${String(v)}`).join(', ');
  return info;
}

/** Opens a TLS connection and resolves once the handshake is done. */
function openTls(options: TlsConnectOptions): Promise<TLSSocket> {
  const { remote } = options;
  const opts: ConnectionOptions & { localAddress?: string } = {
    host: remote.ip,
    port: remote.port,
    minVersion: options.minVersion ?? 'TLSv1.2',
    rejectUnauthorized: options.rejectUnauthorized ?? true,
  };
  if (options.maxVersion) opts.maxVersion = options.maxVersion;
  if (options.ca) opts.ca = options.ca;
  if (options.cert) opts.cert = options.cert;
  if (options.key) opts.key = options.key;
  if (options.localIp) opts.localAddress = options.localIp;
  // RFC 6066 forbids an IP address as SNI; Node then checks the IP against the certificate's IP SANs.
  if (options.servername) opts.servername = options.servername;
  else if (isIP(remote.ip) === 0) opts.servername = remote.ip;
  return new Promise((resolve, reject) => {
    const socket = connect(opts);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new SipTransportError(`TLS connect to ${endpointKey(remote)} timed out`, endpointKey(remote)));
    }, options.connectTimeoutMs ?? 5000);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(new SipTransportError(`TLS connect to ${endpointKey(remote)} failed: ${err.message}`, endpointKey(remote), err));
    });
  });
}

/** One framed TLS connection feeding whole messages to its owner. */
class Connection {
  private readonly framer = new StreamFramer();
  open = true;
  readonly local: Endpoint;
  readonly remote: Endpoint;

  constructor(readonly socket: TLSSocket, deliver: (inbound: Inbound) => void, onError: (err: Error) => void, onClose: () => void) {
    this.local = { ip: normaliseIp(socket.localAddress), port: socket.localPort ?? 0 };
    this.remote = { ip: normaliseIp(socket.remoteAddress), port: socket.remotePort ?? 0 };
    socket.on('data', (chunk: Buffer) => {
      for (const data of this.framer.push(chunk)) deliver({ data, local: this.local, remote: this.remote });
    });
    socket.on('error', onError);
    socket.on('close', () => {
      this.open = false;
      // Bytes that never made a whole message are still evidence.
      const rest = this.framer.flush();
      if (rest.length > 0) deliver({ data: rest, local: this.local, remote: this.remote });
      onClose();
    });
  }

  write(data: Buffer): Promise<SentTo> {
    if (!this.open || this.socket.destroyed) {
      return Promise.reject(new SipTransportError('TLS connection closed', endpointKey(this.remote)));
    }
    return new Promise((resolve, reject) => {
      this.socket.write(data, (err) => {
        if (err) reject(new SipTransportError(`TLS write failed: ${err.message}`, endpointKey(this.remote), err));
        else resolve({ local: this.local, remote: this.remote });
      });
    });
  }

  close(): Promise<void> {
    if (this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.end();
      // A peer that never answers our close_notify must not hold the suite up.
      setTimeout(() => this.socket.destroy(), 500).unref();
    });
  }
}

/** Client side: one connection to the SBC; requests and responses both ride on it. */
export class TlsClientTransport implements SipTransport {
  readonly kind = 'tls' as const;
  readonly reliable = true;
  private readonly received = new Listeners<Inbound>();
  private readonly errors = new Listeners<Error>();
  private readonly closes = new Listeners<void>();
  private readonly connection: Connection;

  private constructor(socket: TLSSocket) {
    this.connection = new Connection(
      socket,
      (inbound) => this.received.emit(inbound),
      (err) => this.errors.emit(err),
      () => this.closes.emit(),
    );
  }

  static async connect(options: TlsConnectOptions): Promise<TlsClientTransport> {
    return new TlsClientTransport(await openTls(options));
  }

  get local(): Endpoint {
    return this.connection.local;
  }

  get remote(): Endpoint {
    return this.connection.remote;
  }

  get isOpen(): boolean {
    return this.connection.open;
  }

  get info(): TlsInfo {
    return tlsInfoOf(this.connection.socket);
  }

  send(data: Buffer): Promise<SentTo> {
    return this.connection.write(data);
  }

  onReceive(listener: (inbound: Inbound) => void): void {
    this.received.add(listener);
  }

  onError(listener: (error: Error) => void): void {
    this.errors.add(listener);
  }

  /** Called when the peer (or we) closed the connection. */
  onClose(listener: () => void): void {
    this.closes.add(listener);
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}

/**
 * Listening side: accepts the SBC's connections. A message to a peer goes over
 * the connection it came from (RFC 3261 §18.2.2), else over any open connection
 * from that host, else over a new connection we open.
 */
export class TlsServerTransport implements SipTransport {
  readonly kind = 'tls' as const;
  readonly reliable = true;
  private readonly received = new Listeners<Inbound>();
  private readonly errors = new Listeners<Error>();
  private readonly connections = new Map<string, Connection>();

  private constructor(private readonly server: Server, readonly local: Endpoint, private readonly options: TlsListenOptions) {
    server.on('secureConnection', (socket: TLSSocket) => this.adopt(socket));
    server.on('tlsClientError', (err) => this.errors.emit(err));
  }

  static async listen(options: TlsListenOptions): Promise<TlsServerTransport> {
    const tlsOptions: Parameters<typeof createServer>[0] = {
      cert: options.cert,
      key: options.key,
      minVersion: options.minVersion ?? 'TLSv1.2',
    };
    if (options.ca) tlsOptions.ca = options.ca;
    const server = createServer(tlsOptions);
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void =>
        reject(new SipTransportError(`cannot listen on TLS ${options.ip}:${options.port}: ${err.message}`, undefined, err));
      server.once('error', onError);
      server.listen(options.port, options.ip, () => {
        server.off('error', onError);
        resolve();
      });
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : options.port;
    return new TlsServerTransport(server, { ip: options.ip, port }, options);
  }

  private adopt(socket: TLSSocket): Connection {
    const connection: Connection = new Connection(
      socket,
      (inbound) => this.received.emit(inbound),
      (err) => this.errors.emit(err),
      () => {
        if (this.connections.get(key) === connection) this.connections.delete(key);
      },
    );
    const key = endpointKey(connection.remote);
    this.connections.set(key, connection);
    return connection;
  }

  /** Remote endpoints of the connections open now. */
  get peers(): Endpoint[] {
    return [...this.connections.values()].map((c) => c.remote);
  }

  async send(data: Buffer, to?: Endpoint): Promise<SentTo> {
    if (!to) throw new SipTransportError('TLS listener send needs a destination');
    const exact = this.connections.get(endpointKey(to));
    if (exact?.open) return exact.write(data);
    const sameHost = [...this.connections.values()].reverse().find((c) => c.open && c.remote.ip === to.ip);
    if (sameHost) return sameHost.write(data);
    const socket = await openTls({ remote: to, localIp: this.local.ip, rejectUnauthorized: this.options.rejectUnauthorized ?? false, ...(this.options.ca ? { ca: this.options.ca } : {}) });
    return this.adopt(socket).write(data);
  }

  onReceive(listener: (inbound: Inbound) => void): void {
    this.received.add(listener);
  }

  onError(listener: (error: Error) => void): void {
    this.errors.add(listener);
  }

  async close(): Promise<void> {
    const closing = new Promise<void>((resolve) => this.server.close(() => resolve()));
    await Promise.all([...this.connections.values()].map((c) => c.close()));
    await closing;
  }
}
