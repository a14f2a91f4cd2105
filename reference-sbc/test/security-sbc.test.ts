import { createSocket, type Socket } from 'node:dgram';
import { request } from 'node:http';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../src/config';
import { silentLogger } from '../src/logger';
import { startSbc, type Sbc } from '../src/sbc';
import { makeCertificate } from './helpers/tls-peer';

/**
 * The SBC in-process on loopback addresses of its own (127.0.79.x) with the security gate: block list
 * through the admin API on a unix socket, zone source rules, flood ban, scanner drop, no Server banner.
 */
const PUBLIC = '127.0.79.10';
const CORE = '127.0.79.11';
const CORE_SERVER = '127.0.79.21';
const CALLER = '127.0.79.30';
const ATTACKER = '127.0.79.66';
const FOREIGN = '127.0.80.5';

interface Peer {
  sock: Socket;
  port: number;
  replies: string[];
  /** Sizes of the requests sent, in bytes. */
  sent: number[];
  options(to: string, extra?: string[]): Promise<void>;
  /** Waits up to `ms` for `n` replies; returns how many arrived. */
  wait(n: number, ms: number): Promise<number>;
}

let seq = 0;

async function peer(address: string): Promise<Peer> {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, address, () => r()));
  const port = sock.address().port;
  const replies: string[] = [];
  const sent: number[] = [];
  sock.on('message', (m) => replies.push(m.toString('latin1')));
  return {
    sock,
    port,
    replies,
    sent,
    options: (to, extra = []) => {
      seq++;
      const text = [
        `OPTIONS sip:ping@${to} SIP/2.0`,
        `Via: SIP/2.0/UDP ${address}:${port};branch=z9hG4bKsec${seq};rport`,
        'Max-Forwards: 70',
        `From: <sip:probe@${address}>;tag=t${seq}`,
        `To: <sip:ping@${to}>`,
        `Call-ID: sec-${seq}@${address}`,
        `CSeq: ${seq} OPTIONS`,
        ...extra,
        'Content-Length: 0',
        '', '',
      ].join('\r\n');
      sent.push(Buffer.byteLength(text));
      return new Promise((r) => sock.send(Buffer.from(text), 5060, to, () => r()));
    },
    wait: async (n, ms) => {
      for (let waited = 0; waited < ms && replies.length < n; waited += 20) await new Promise((r) => setTimeout(r, 20));
      return replies.length;
    },
  };
}

function admin(socketPath: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers: body === undefined ? {} : { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body));
  });
}

describe('security gate on loopback', () => {
  let sbc: Sbc;
  let work: string;
  let sock: string;
  const peers: Peer[] = [];
  const open = async (address: string): Promise<Peer> => {
    const p = await peer(address);
    peers.push(p);
    return p;
  };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'sbc-security-'));
    sock = join(work, 'admin.sock');
    const config = validateConfig({
      zones: { public: { address: PUBLIC, udp: 5060, tls: 5061 }, core: { address: CORE, udp: 5060, allowedSources: [`${CORE_SERVER}`, '127.0.79.0/28'] } },
      coreServers: [{ host: CORE_SERVER, port: 5060 }],
      admin: { socket: sock },
      tls: makeCertificate(work),
      timers: { t1Ms: 100 },
      security: { blocklist: ['127.0.79.96/30'], flood: { windowMs: 1000, maxRequests: 20, banS: 30 } },
    });
    sbc = await startSbc(config, { log: silentLogger });
  });

  afterAll(async () => {
    for (const p of peers) p.sock.close();
    await sbc?.close();
    rmSync(work, { recursive: true, force: true });
  });

  const dropped = (zone: string, reason: string): number => sbc.metrics.value('sbc_sip_dropped_total', { zone, reason });

  it('answers a permitted caller 200 with no Server banner, and small', async () => {
    const p = await open(CALLER);
    await p.options(PUBLIC);
    expect(await p.wait(1, 2000)).toBe(1);
    expect(p.replies[0]).toMatch(/^SIP\/2\.0 200 /);
    expect(p.replies[0]).not.toMatch(/^(server|user-agent):/im);
    // No amplification: even this minimal request (about 250 bytes) gets back less than twice its size.
    expect(Buffer.byteLength(p.replies[0]!)).toBeLessThan(p.sent[0]! * 2);
  });

  it('blocks and unblocks an address at run time through the admin API', async () => {
    const p = await open('127.0.79.40');
    const before = dropped('public', 'blocked');
    expect((await admin(sock, 'POST', '/blocklist', { address: '127.0.79.40', reason: 'test' })).status).toBe(201);
    const listed = (await admin(sock, 'GET', '/blocklist')).json as { address: string; source: string }[];
    expect(listed).toContainEqual(expect.objectContaining({ address: '127.0.79.40', source: 'api' }));
    expect(listed).toContainEqual(expect.objectContaining({ address: '127.0.79.96/30', source: 'config' }));
    await p.options(PUBLIC);
    expect(await p.wait(1, 600)).toBe(0);
    expect(dropped('public', 'blocked')).toBe(before + 1);
    const del = await admin(sock, 'DELETE', '/blocklist/127.0.79.40');
    expect(del).toEqual({ status: 200, json: { address: '127.0.79.40', removed: ['api'] } });
    await p.options(PUBLIC);
    expect(await p.wait(1, 2000)).toBe(1);
  });

  it('blocks a configured range, removable with an encoded or plain CIDR path', async () => {
    const p = await open('127.0.79.97');
    await p.options(PUBLIC);
    expect(await p.wait(1, 500)).toBe(0);
    expect((await admin(sock, 'DELETE', '/blocklist/127.0.79.96%2F30')).json).toMatchObject({ removed: ['config'] });
    expect((await admin(sock, 'DELETE', '/blocklist/127.0.79.96/30')).json).toMatchObject({ removed: [] });
    await p.options(PUBLIC);
    expect(await p.wait(1, 2000)).toBe(1);
  });

  it('refuses malformed admin requests with 400', async () => {
    expect((await admin(sock, 'POST', '/blocklist', { address: 'example.org' })).status).toBe(400);
    expect((await admin(sock, 'POST', '/blocklist', { address: '10.0.0.1/8' })).status).toBe(400);
    expect((await admin(sock, 'POST', '/blocklist', { address: '10.0.0.1', expiresInS: -1 })).status).toBe(400);
    expect((await admin(sock, 'POST', '/blocklist', { address: '10.0.0.1', what: 1 })).status).toBe(400);
    expect((await admin(sock, 'POST', '/blocklist', 'not json')).status).toBe(400);
    expect((await admin(sock, 'DELETE', '/blocklist/nonsense')).status).toBe(400);
    expect((await admin(sock, 'PUT', '/blocklist')).status).toBe(405);
  });

  it('expires an entry added with expiresInS', async () => {
    const added = await admin(sock, 'POST', '/blocklist', { address: '127.0.79.41', expiresInS: 0.3 });
    expect(added.json).toMatchObject({ source: 'api', expiresAt: expect.any(String) });
    const p = await open('127.0.79.41');
    await p.options(PUBLIC);
    expect(await p.wait(1, 200)).toBe(0);
    await new Promise((r) => setTimeout(r, 300));
    await p.options(PUBLIC);
    expect(await p.wait(1, 2000)).toBe(1);
  });

  it('drops what reaches the core socket from outside the core networks, and core addresses on the public socket', async () => {
    const foreign = await open(FOREIGN);
    const before = dropped('core', 'foreign-source');
    await foreign.options(CORE);
    expect(await foreign.wait(1, 500)).toBe(0);
    expect(dropped('core', 'foreign-source')).toBe(before + 1);
    const spoof = await open(CORE_SERVER);
    await spoof.options(PUBLIC);
    expect(await spoof.wait(1, 500)).toBe(0);
    expect(dropped('public', 'foreign-source')).toBeGreaterThan(0);
    // A core server itself is answered on the core socket (a 200 to its OPTIONS).
    await spoof.options(CORE);
    expect(await spoof.wait(1, 2000)).toBe(1);
  });

  it('closes a blocked source\'s TLS connection before the handshake, and serves others', async () => {
    const handshake = (from: string): Promise<string> => new Promise((resolve) => {
      const raw = netConnect({ host: PUBLIC, port: 5061, localAddress: from });
      raw.on('error', () => undefined);
      const tls = tlsConnect({ socket: raw, rejectUnauthorized: false });
      tls.on('secureConnect', () => {
        tls.destroy();
        resolve('handshake');
      });
      tls.on('error', () => resolve('closed'));
      tls.on('close', () => resolve('closed'));
    });
    expect(await handshake('127.0.79.42')).toBe('handshake');
    await admin(sock, 'POST', '/blocklist', { address: '127.0.79.42' });
    const before = dropped('public', 'blocked');
    expect(await handshake('127.0.79.42')).toBe('closed');
    expect(dropped('public', 'blocked')).toBe(before + 1);
    await admin(sock, 'DELETE', '/blocklist/127.0.79.42');
  });

  it('drops scanners without an answer and bans them', async () => {
    const p = await open('127.0.79.50');
    await p.options(PUBLIC, ['User-Agent: friendly-scanner']);
    expect(await p.wait(1, 500)).toBe(0);
    expect(dropped('public', 'scanner')).toBe(1);
    await p.options(PUBLIC);
    expect(await p.wait(1, 500)).toBe(0);
    const listed = (await admin(sock, 'GET', '/blocklist')).json as { address: string; source: string }[];
    expect(listed).toContainEqual(expect.objectContaining({ address: '127.0.79.50', source: 'scan' }));
  });

  it('bans a flooding source within the window while a legitimate caller is still served', async () => {
    const attacker = await open(ATTACKER);
    const caller = await open('127.0.79.31');
    for (let i = 0; i < 60; i++) await attacker.options(PUBLIC);
    await attacker.wait(60, 500);
    // Answered up to the limit, then silence.
    expect(attacker.replies.length).toBeLessThanOrEqual(20);
    expect(attacker.replies.length).toBeGreaterThan(0);
    const answered = attacker.replies.length;
    await attacker.options(PUBLIC);
    await attacker.wait(answered + 1, 400);
    expect(attacker.replies.length).toBe(answered);
    expect(sbc.metrics.value('sbc_security_bans_total', { reason: 'flood' })).toBe(1);
    await caller.options(PUBLIC);
    expect(await caller.wait(1, 2000)).toBe(1);
    const listed = (await admin(sock, 'GET', '/blocklist')).json as { address: string; source: string; expiresAt: string }[];
    const ban = listed.find((e) => e.address === ATTACKER);
    expect(ban?.source).toBe('flood');
    expect(Date.parse(ban!.expiresAt) - Date.now()).toBeGreaterThan(25_000);
    expect((await admin(sock, 'DELETE', `/blocklist/${ATTACKER}`)).json).toMatchObject({ removed: ['flood'] });
    await attacker.options(PUBLIC);
    expect(await attacker.wait(answered + 1, 2000)).toBe(answered + 1);
  });
});
