import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTestPki } from '../sip/test-pki';
import { MARKER_PREFIX, startCapture } from './capture';
import { readCapture } from './pcap-read';

function hasDumpcap(): boolean {
  try {
    execFileSync('dumpcap', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// Capturing needs root (or capabilities) and dumpcap; CI runs as root with tshark installed.
const canCapture = process.getuid?.() === 0 && hasDumpcap();
const dir = mkdtempSync(join(tmpdir(), 'capture-live-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Ports of our own, so that other tests using loopback at the same time stay out of the capture.
const base = 40000 + Math.floor(Math.random() * 10000) * 2;

async function sendUdp(port: number, payloads: string[]): Promise<void> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  for (const p of payloads) await new Promise<void>((r, j) => s.send(p, port, '127.0.0.1', (e) => (e ? j(e) : r())));
  s.close();
}

describe.skipIf(!canCapture)('startCapture on loopback', () => {
  it('captures from the moment it resolves, and sync() makes the file complete up to now', async () => {
    const file = join(dir, 'udp.pcap');
    const cap = await startCapture({ interface: 'lo', file, filter: `udp port ${base}` });
    try {
      const first = 'OPTIONS sip:127.0.0.1 SIP/2.0\r\nCall-ID: first\r\nContent-Length: 0\r\n\r\n';
      await sendUdp(base, [first, 'second datagram, not SIP']);
      await cap.sync();
      const { flows, sip, payloads } = await readCapture(file);
      const ours = payloads.filter((p) => p.dstPort === base);
      expect(ours.map((p) => p.payload.toString())).toEqual([first, 'second datagram, not SIP']);
      expect(sip.map((m) => m.text)).toEqual([first]);
      // The marker passed the filter and is the only other traffic captured.
      expect(payloads.filter((p) => p.dstPort !== base).every((p) => p.payload.toString().startsWith(MARKER_PREFIX))).toBe(true);
      expect(flows.every((f) => f.src === '127.0.0.1')).toBe(true);
    } finally {
      const summary = await cap.stop();
      expect(summary.log).toMatch(/Packets captured: \d+/);
      expect(summary.dropped).toBe(0);
    }
  });

  it('sees SIP over TCP however the sender splits it', async () => {
    const file = join(dir, 'tcp.pcap');
    const port = base + 1;
    const cap = await startCapture({ interface: 'lo', file, filter: `tcp port ${port}` });
    const server: Server = createServer((s) => s.on('data', () => undefined));
    try {
      await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
      const a = 'OPTIONS sip:127.0.0.1 SIP/2.0\r\nCall-ID: tcp-a\r\nContent-Length: 5\r\n\r\nhello';
      const b = 'BYE sip:127.0.0.1 SIP/2.0\r\nCall-ID: tcp-b\r\nContent-Length: 0\r\n\r\n';
      const client = connect({ host: '127.0.0.1', port });
      client.setNoDelay(true);
      await new Promise<void>((r) => client.on('connect', r));
      const all = `${a}\r\n${b}`;
      await new Promise<void>((r) => client.write(all.slice(0, 20), () => r()));
      await new Promise((r) => setTimeout(r, 50));
      await new Promise<void>((r) => client.write(all.slice(20), () => r()));
      await new Promise<void>((r) => client.end(r));
      await new Promise((r) => setTimeout(r, 50));
      await cap.sync();
      const { sip, flows } = await readCapture(file);
      expect(sip.map((m) => [m.transport, m.text])).toEqual([['tcp', a], ['tcp', b]]);
      expect(flows.some((f) => f.proto === 'tcp' && f.tcpFlags === 'S' && f.dstPort === port)).toBe(true);
    } finally {
      server.close();
      await cap.stop();
    }
  });

  it('reads SIP over TLS with the client\'s key log, and counts TLS it cannot read without one', async () => {
    const file = join(dir, 'tls.pcap');
    const keylog = join(dir, 'keys.log');
    const port = base + 3;
    const pki = await makeTestPki();
    const cap = await startCapture({ interface: 'lo', file, filter: `tcp port ${port}` });
    const options = 'OPTIONS sip:127.0.0.1;transport=tls SIP/2.0\r\nCall-ID: tls-1\r\nContent-Length: 0\r\n\r\n';
    const ok = 'SIP/2.0 200 OK\r\nCall-ID: tls-1\r\nContact: <sip:10.20.0.21>\r\nContent-Length: 0\r\n\r\n';
    const server = tls.createServer({ cert: pki.cert, key: pki.key }, (s) => s.on('data', () => s.write(ok)));
    try {
      await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
      const client = tls.connect({ host: '127.0.0.1', port, ca: pki.ca });
      client.on('keylog', (line) => appendFileSync(keylog, line));
      await new Promise<void>((r) => client.on('secureConnect', r));
      client.write(options);
      await new Promise((r) => client.once('data', r));
      await new Promise<void>((r) => client.end(r));
      await cap.sync();
      const clear = await readCapture(file, { tlsKeylog: keylog });
      expect(clear.tls).toEqual({ streams: 1, decrypted: 1 });
      expect(clear.sip.map((m) => [m.transport, m.dstPort === port ? 'to-server' : 'to-client', m.text])).toEqual([
        ['tls', 'to-server', options],
        ['tls', 'to-client', ok],
      ]);
      const opaque = await readCapture(file);
      expect(opaque.tls).toEqual({ streams: 1, decrypted: 0 });
      expect(opaque.sip).toEqual([]);
    } finally {
      server.close();
      await cap.stop();
      await pki.cleanup();
    }
  });

  it('fails to start on an interface that does not exist, leaving no process', async () => {
    await expect(startCapture({ interface: 'no-such-if0', file: join(dir, 'none.pcap'), readyTimeoutMs: 5000 })).rejects.toThrow(/dumpcap exited/);
  });

  it('is safe to stop twice', async () => {
    const cap = await startCapture({ interface: 'lo', file: join(dir, 'twice.pcap'), filter: `udp port ${base + 2}` });
    const [a, b] = await Promise.all([cap.stop(), cap.stop()]);
    expect(a).toBe(b);
    await expect(cap.sync()).rejects.toThrow(/has ended/);
  });
});
