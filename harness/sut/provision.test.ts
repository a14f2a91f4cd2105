import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSutProfile } from './profile';
import type { ZoneExec } from './probe';
import { provision, ProvisionError, readHealth } from './provision';

// An HTTP health URL is read from here: nothing runs in a zone.
const noExec: ZoneExec = () => Promise.reject(new Error('no zone in this test'));

describe('SUT provisioning actions', () => {
  let dir: string;
  let server: Server;
  const seen: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sbcx-provision-'));
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        seen.push(`${req.method} ${req.url} ${body}`);
        if (req.url === '/health') {
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok","pid":4242}');
          return;
        }
        res.writeHead(req.url?.includes('203.0.113.99') ? 500 : 201).end('{"ok":true}');
      });
    });
    await new Promise<void>((r) => server.listen(join(dir, 'admin.sock'), r));
  });

  afterAll(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  const profile = (): ReturnType<typeof parseSutProfile> =>
    parseSutProfile(`
name: t
sbc: { public: { address: 203.0.113.10 }, core: { address: 10.20.0.10 } }
health: { http: "unix:\${RUN_DIR}/admin.sock:/health" }
provision:
  blockIp: { http: { method: POST, url: "unix:\${RUN_DIR}/admin.sock:/blocklist", body: '{"address":"\${ip}"}' } }
  unblockIp: { http: { method: DELETE, url: "unix:\${RUN_DIR}/admin.sock:/blocklist/\${ip}" } }
  removeUser: { shell: "echo removed \${user} > \${RUN_DIR}/out.txt" }
`, 't.yaml');

  it('calls the HTTP action with the placeholders filled in', async () => {
    const out = await provision(profile(), 'blockIp', { ip: '203.0.113.66' }, { vars: { RUN_DIR: dir } });
    expect(out).toMatchObject({ action: 'blockIp', status: 201 });
    expect(seen.at(-1)).toBe('POST /blocklist {"address":"203.0.113.66"}');
    await provision(profile(), 'unblockIp', { ip: '203.0.113.66' }, { vars: { RUN_DIR: dir } });
    expect(seen.at(-1)).toBe('DELETE /blocklist/203.0.113.66 ');
  });

  it('fails loudly when the SBC refuses the action', async () => {
    await expect(provision(profile(), 'unblockIp', { ip: '203.0.113.99' }, { vars: { RUN_DIR: dir } })).rejects.toThrow(ProvisionError);
    await expect(provision(profile(), 'unblockIp', { ip: '203.0.113.66' }, { vars: { RUN_DIR: join(dir, 'nowhere') } })).rejects.toThrow(/provision\.unblockIp/);
  });

  it('runs a shell action', async () => {
    const out = await provision(profile(), 'removeUser', { user: 'alice' }, { vars: { RUN_DIR: dir } });
    expect(out?.status).toBe(0);
    expect(readFileSync(join(dir, 'out.txt'), 'utf8')).toBe('removed alice\n');
  });

  it('returns undefined for an action the profile does not have', async () => {
    expect(await provision(profile(), 'addUser', {}, { vars: { RUN_DIR: dir } })).toBeUndefined();
  });

  it('reads the health URL and its pid', async () => {
    expect(await readHealth(profile(), { RUN_DIR: dir }, noExec)).toMatchObject({ ok: true, status: 200, pid: 4242 });
    expect((await readHealth(profile(), { RUN_DIR: join(dir, 'nowhere') }, noExec))?.ok).toBe(false);
  });
});
