import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isGone, reapAll, run, waitUntil } from '../util/process';
import { SutControl, SutLifecycleError, startSut, type SutHost } from './lifecycle';
import { busySipPorts, type ZoneExec } from './probe';
import { parseSutProfile } from './profile';

/** Probes run right here (no namespaces in a unit test). */
const localExec: ZoneExec = (_zone, argv, o) => run(argv[0]!, argv.slice(1), { check: false, timeoutMs: o.timeoutMs });

// A stand-in SUT: reads its config, answers /health on a unix socket with its pid and that config.
const FAKE_SUT = `
const http = require('node:http');
const fs = require('node:fs');
const [sock, config] = process.argv.slice(1);
const body = JSON.stringify({ pid: process.pid, config: fs.readFileSync(config, 'utf8').trim() });
try { fs.unlinkSync(sock); } catch {}
http.createServer((req, res) => res.end(body)).listen(sock);
process.on('SIGTERM', () => process.exit(0));
`;

let dir: string;
// The SUT's SIP ports, checked free after a kill: high enough that nothing else on the machine holds them.
const SIP_PORT = 46000 + (process.pid % 1000) * 2;

// A forking SUT: the parent answers /health, its child holds the SIP port (as Kamailio's workers do).
const FORKING_SUT = `
const http = require('node:http');
const fs = require('node:fs');
const { spawn } = require('node:child_process');
const [sock, port] = process.argv.slice(1);
const child = spawn(process.execPath, ['-e', "require('node:dgram').createSocket('udp4').bind(" + port + ", '127.0.0.1'); setInterval(() => {}, 1000)"], { stdio: 'ignore' });
try { fs.unlinkSync(sock); } catch {}
http.createServer((req, res) => res.end(JSON.stringify({ pid: process.pid, child: child.pid }))).listen(sock);
`;

function host(control: string, command = `[node, -e, "\${SCRIPT}", "\${RUN_DIR}/admin.sock", "\${RUN_DIR}/sut.conf"]`): SutHost {
  const profile = parseSutProfile(
    `
name: fake
sbc: { public: { address: 127.0.0.1, udp: ${SIP_PORT} }, core: { address: 127.0.0.1, udp: ${SIP_PORT + 1} } }
start:
  command: ${command}
  config: { template: sut.conf.tpl, path: "\${RUN_DIR}/sut.conf" }
  ready: { http: "unix:\${RUN_DIR}/admin.sock:/health", timeoutMs: 5000 }
${control}`,
    join(dir, 'fake.yaml'),
    { extraPlaceholders: ['SCRIPT', 'NAME'] },
  );
  return { profile, vars: { RUN_DIR: dir, SCRIPT: FAKE_SUT, NAME: 'one' }, exec: localExec, logFile: join(dir, 'sut.log') };
}

async function health(): Promise<{ pid: number; config: string }> {
  const { httpRequest } = await import('../util/http');
  return JSON.parse((await httpRequest(`unix:${dir}/admin.sock:/health`)).body) as { pid: number; config: string };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sut-lifecycle-'));
  writeFileSync(join(dir, 'sut.conf.tpl'), 'name=${NAME}\n');
});

afterEach(async () => {
  await reapAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('SUT lifecycle', () => {
  it('starts from the start section, writing the config from its template', async () => {
    const proc = await startSut(host(''), { writeConfig: true });
    expect(readFileSync(join(dir, 'sut.conf'), 'utf8')).toBe('name=one\n');
    expect(await health()).toEqual({ pid: proc.child.pid, config: 'name=one' });
    await proc.stop();
  });

  it('fails fast with the log tail when the SUT exits during start-up', async () => {
    const h = host('', `[node, -e, "console.error('bad config'); process.exit(2)"]`);
    const t0 = Date.now();
    await expect(startSut(h, { writeConfig: true })).rejects.toThrow(/fake exited \(2\) during start-up:\nbad config/);
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('has no controller without a control section', () => {
    expect(SutControl.for(host(''), 1)).toBeUndefined();
  });

  it('kills with SIGKILL and starts again with the same command and configuration', async () => {
    const h = host('control: { kill: sigkill, start: start }');
    const first = await startSut(h, { writeConfig: true });
    const control = SutControl.for(h, first.child.pid)!;
    // The restart must not re-render the configuration: change the template to prove the file is reused.
    writeFileSync(join(dir, 'sut.conf.tpl'), 'name=changed\n');

    const killed = await control.kill();
    expect(killed.how).toMatch(new RegExp(`^SIGKILL to pid ${first.child.pid}`));
    expect(await first.exited).toBe('SIGKILL');

    const started = await control.start();
    expect(started.pid).not.toBe(first.child.pid);
    expect(await health()).toEqual({ pid: started.pid, config: 'name=one' });

    // A second crash kills the restarted process, not the first one again.
    await control.kill();
    await expect(health()).rejects.toThrow();
    await control.start();
    expect((await health()).pid).toBe(control.currentPid);
    await control.stop();
    await expect(health()).rejects.toThrow();
  });

  it('kills every process of a forking SUT and waits until its SIP port is free', async () => {
    const h = host('control: { kill: sigkill, start: start }', `[node, -e, "\${SCRIPT}", "\${RUN_DIR}/admin.sock", "${SIP_PORT}"]`);
    h.vars.SCRIPT = FORKING_SUT;
    const first = await startSut(h, { writeConfig: true });
    const { child } = (await health()) as unknown as { child: number };
    // The child binds the SIP port shortly after it is spawned.
    await waitUntil('the child to bind', async () => (await busySipPorts(h.profile.sbc, localExec)).length > 0, 5000);
    const control = SutControl.for(h, first.child.pid)!;
    const killed = await control.kill();
    expect(killed.how).toContain(`and 1 more (${child})`);
    expect(isGone(child)).toBe(true);
    expect(await busySipPorts(h.profile.sbc, localExec)).toEqual([]);
    await control.stop();
  });

  it('runs shell actions for an SBC the suite does not start', async () => {
    const h = host(`control:
  kill: { shell: "echo killed > \${RUN_DIR}/kill.txt" }
  start: { shell: "echo started > \${RUN_DIR}/start.txt" }
  ready: { http: "unix:\${RUN_DIR}/admin.sock:/health", timeoutMs: 500 }`);
    const control = SutControl.for(h, undefined)!;
    expect((await control.kill()).how).toBe(`echo killed > ${dir}/kill.txt`);
    expect(readFileSync(join(dir, 'kill.txt'), 'utf8')).toBe('killed\n');
    // Nothing answers the probe: the restart is not ready.
    await expect(control.start()).rejects.toThrow(/timed out after 500 ms waiting for fake to answer/);
    expect(readFileSync(join(dir, 'start.txt'), 'utf8')).toBe('started\n');
  });

  it('refuses a sigkill control for an SBC without a start section', () => {
    expect(() =>
      parseSutProfile(
        `
name: x
sbc: { public: { address: 203.0.113.10 }, core: { address: 10.20.0.10 } }
control: { kill: sigkill, start: { shell: "true" } }`,
        'x.yaml',
      ),
    ).toThrow(/control\.kill: needs the start section[\s\S]*control\.ready: required when there is no start section/);
  });

  it('reports a failing kill action', async () => {
    const h = host('control: { kill: { shell: "echo nope >&2; exit 3" }, start: start }');
    await expect(SutControl.for(h, undefined)!.kill()).rejects.toThrow(SutLifecycleError);
  });
});
