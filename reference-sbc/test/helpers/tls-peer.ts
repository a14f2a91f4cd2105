import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { connect as netConnect } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import { StreamFramer } from '../../src/transport/stream-framer';

/** A throw-away self-signed certificate for the SBC's TLS listeners. */
export function makeCertificate(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=sbc.test'], { stdio: 'ignore' });
  return { cert, key };
}

/** A minimal SIP-over-TLS peer for tests: sends text, collects the messages the SBC sends back. */
export class TlsPeer {
  readonly socket: TLSSocket;
  readonly received: string[] = [];
  private readonly framer = new StreamFramer(65535);
  private readonly waiters: Array<() => void> = [];

  private constructor(socket: TLSSocket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      for (const f of this.framer.push(chunk)) if (f.kind === 'message') this.received.push(f.data.toString('latin1'));
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static open(host: string, port: number, localAddress: string, maxVersion?: 'TLSv1.1'): Promise<TlsPeer> {
    return new Promise((resolve, reject) => {
      const raw = netConnect({ host, port, localAddress });
      const socket = connect({ socket: raw, rejectUnauthorized: false, ...(maxVersion ? { maxVersion, minVersion: 'TLSv1' as const } : {}) });
      raw.once('error', reject);
      socket.once('error', reject);
      socket.once('secureConnect', () => {
        socket.off('error', reject);
        resolve(new TlsPeer(socket));
      });
    });
  }

  get localPort(): number {
    return this.socket.localPort ?? 0;
  }

  send(lines: string[], body = ''): void {
    const head = lines.filter((l) => !/^content-length:/i.test(l));
    this.socket.write(`${[...head, `Content-Length: ${Buffer.byteLength(body)}`].join('\r\n')}\r\n\r\n${body}`);
  }

  /** Waits for a received message matching `pattern` (already received ones count). */
  async waitFor(pattern: RegExp, timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.received.find((m) => pattern.test(m));
      if (hit) return hit;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no message matching ${pattern} in ${JSON.stringify(this.received.map((m) => m.split('\r\n')[0]))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }
}
