import { createSocket, type Socket } from 'node:dgram';
import { TransportError } from '../errors';
import type { Endpoint, Listener } from './types';

const RECV_BUFFER_BYTES = 4 * 1024 * 1024;

/** SIP over UDP on one zone address (RFC 3261 18): one socket, one datagram per message. */
export class UdpListener implements Listener {
  readonly protocol = 'udp';
  readonly zone: string;
  readonly local: Endpoint;
  private readonly socket: Socket;
  private handler: ((data: Buffer, source: Endpoint) => void) | undefined;

  constructor(zone: string, local: Endpoint) {
    this.zone = zone;
    this.local = local;
    this.socket = createSocket({ type: local.address.includes(':') ? 'udp6' : 'udp4', reuseAddr: false });
    this.socket.on('message', (data, rinfo) => this.handler?.(data, { address: rinfo.address, port: rinfo.port }));
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(new TransportError(this.zone, `cannot bind udp ${this.local.address}:${this.local.port}: ${err.message}`, err));
      this.socket.once('error', onError);
      this.socket.bind(this.local.port, this.local.address, () => {
        this.socket.off('error', onError);
        // Bursts at high call rates overflow the default buffer (~200 KB) and look like packet loss;
        // the kernel caps the request at net.core.rmem_max.
        try {
          this.socket.setRecvBufferSize(RECV_BUFFER_BYTES);
          this.socket.setSendBufferSize(RECV_BUFFER_BYTES);
        } catch {
          // Keep the default size where the platform refuses.
        }
        // After binding, socket errors (e.g. ICMP unreachable surfaced on send) must not crash the process.
        this.socket.on('error', () => undefined);
        resolve();
      });
    });
  }

  send(data: Buffer, to: Endpoint): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.send(data, to.port, to.address, (err) => {
        if (err) reject(new TransportError(this.zone, `udp send to ${to.address}:${to.port} failed: ${err.message}`, err));
        else resolve();
      });
    });
  }

  onData(handler: (data: Buffer, source: Endpoint) => void): void {
    this.handler = handler;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}
