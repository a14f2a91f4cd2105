import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../src/config';
import { silentLogger } from '../src/logger';
import { startSbc, type Sbc } from '../src/sbc';

/**
 * The SBC in-process on 127.0.81.x: OPTIONS health probes of two core servers (one answers, one is
 * silent) seen on GET /core-servers, and users provisioned through POST/DELETE /users.
 */
const PUBLIC = '127.0.81.10';
const CORE = '127.0.81.11';
const ALIVE = '127.0.81.21';
const SILENT = '127.0.81.22';

function admin(socketPath: string, method: string, path: string, body?: string): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => { text += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as unknown }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('routing admin API', () => {
  let dir = '';
  let sbc: Sbc;
  let coreServer: Socket;
  let silent: Socket;
  let probes = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sbc-routing-'));
    // A core server that answers every OPTIONS 200 (the headers a response needs, copied back).
    coreServer = createSocket('udp4');
    coreServer.on('message', (m, rinfo) => {
      probes++;
      const head = m.toString('latin1').split('\r\n').filter((l) => /^(Via|From|To|Call-ID|CSeq):/i.test(l));
      coreServer.send(Buffer.from(['SIP/2.0 200 OK', ...head, 'Content-Length: 0', '', ''].join('\r\n')), rinfo.port, rinfo.address);
    });
    await new Promise<void>((r) => coreServer.bind(5060, ALIVE, () => r()));
    silent = createSocket('udp4');
    await new Promise<void>((r) => silent.bind(5060, SILENT, () => r()));
    sbc = await startSbc(validateConfig({
      zones: { public: { address: PUBLIC, udp: 5060 }, core: { address: CORE, udp: 5060 } },
      coreServers: [{ host: ALIVE }, { host: SILENT }],
      coreHealth: { enabled: true, intervalMs: 100, timeoutMs: 80, downAfter: 2, upAfter: 1 },
      registrar: { realm: 'test' },
      admin: { socket: join(dir, 'admin.sock') },
    }), { log: silentLogger });
  });

  afterAll(async () => {
    await sbc?.close();
    coreServer?.close();
    silent?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the answering core server up and the silent one down after its probes went unanswered', async () => {
    await new Promise((r) => setTimeout(r, 600));
    const { status, json } = await admin(join(dir, 'admin.sock'), 'GET', '/core-servers');
    expect(status).toBe(200);
    const servers = json as Array<{ host: string; state: string; inRotation: boolean; lastResult: string }>;
    expect(servers.map((s) => [s.host, s.state, s.inRotation, s.lastResult])).toEqual([[ALIVE, 'up', true, '200'], [SILENT, 'down', false, 'timeout']]);
    expect(probes).toBeGreaterThanOrEqual(3);
  });

  it('adds and removes SIP users', async () => {
    const sock = join(dir, 'admin.sock');
    expect((await admin(sock, 'POST', '/users', '{"username":"alice","password":"pw"}')).status).toBe(201);
    expect((await admin(sock, 'POST', '/users', '{"username":"a b","password":"pw"}')).status).toBe(400);
    expect((await admin(sock, 'POST', '/users', '{"username":"bob"}')).status).toBe(400);
    expect(await admin(sock, 'GET', '/registrations')).toEqual({ status: 200, json: [] });
    expect(await admin(sock, 'DELETE', '/users/alice')).toEqual({ status: 200, json: { username: 'alice', removed: true } });
    expect(await admin(sock, 'DELETE', '/users/alice')).toEqual({ status: 200, json: { username: 'alice', removed: false } });
  });
});
