import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { run } from '../harness/util/process';
import { loadSutProfile } from '../harness/sut/profile';
import { ADDRESSES } from './addresses';
import { createTestPki } from './certs';
import { planProblems, readComposeFile, type ComposeFile, type ComposeService } from './compose-file';
import type { Topology } from './netns-provider';
import { REPO_ROOT } from './paths';
import { writeKnotFiles } from './services/knot';
import { postgresOptions } from './services/postgres';
import { rtpengineArgs } from './services/rtpengine';
import { sutVars } from './sut-host';
import type { TopologyState } from './state';
import { keepRunLogs, timedSteps } from './bring-up';

/**
 * The compose provider: the hosts of docker-compose.yml as containers of a Docker engine, for machines
 * without root or `ip netns`. It reads the file and drives the engine with the docker CLI (no Compose
 * binary needed: Debian has only Compose v1, and testcontainers' compose support needs a Compose binary
 * while its container API cannot give a container a fixed address). The runner container then attaches
 * every container's network namespace by name and runs the features as the netns provider does
 * (topology/compose-runner.ts), so the steps reach each host the same way in both topologies.
 */
export const COMPOSE_FILE = join(REPO_ROOT, 'docker-compose.yml');
/** Every container and network of a run carries this label (its value: the run id), and the owner's pid. */
const LABEL = 'sbcx.run';
const PID_LABEL = 'sbcx.pid';
const BASE_SCRIPT = join(REPO_ROOT, 'topology', 'compose', 'base-image.sh');
const CORE_SIP_PORT = 5060;
const PG_PORT = 5432;

async function docker(args: string[], timeoutMs = 120_000): Promise<string> {
  return (await run('docker', args, { timeoutMs })).stdout.trim();
}

/** The engine's version, or why there is none (no CLI, no daemon, no permission). */
export async function dockerEngine(): Promise<{ ok: true; version: string } | { ok: false; why: string }> {
  const r = await run('docker', ['version', '--format', '{{.Server.Version}}'], { check: false, timeoutMs: 15_000 }).catch((err: unknown) => ({ code: 127, stdout: '', stderr: (err as Error).message }));
  return r.code === 0 ? { ok: true, version: r.stdout.trim() } : { ok: false, why: (r.stderr || r.stdout).trim().split('\n')[0] ?? `docker exited ${r.code}` };
}

const pidAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Removes the containers and networks of runs whose owner process is gone (a run killed outright). */
export async function removeStaleCompose(): Promise<string[]> {
  const rows = async (kind: 'ps' | 'network'): Promise<{ id: string; run: string; pid: number }[]> => {
    const format = `{{.ID}} {{.Label "${LABEL}"}} {{.Label "${PID_LABEL}"}}`;
    const out = await docker(kind === 'ps' ? ['ps', '-a', '--filter', `label=${LABEL}`, '--format', format] : ['network', 'ls', '--filter', `label=${LABEL}`, '--format', format]);
    return out.split('\n').filter(Boolean).map((l) => l.split(' ')).map(([id, runId, pid]) => ({ id: id!, run: runId ?? '', pid: Number(pid) }));
  };
  const stale = (r: { pid: number }): boolean => !(r.pid > 0 && pidAlive(r.pid));
  const containers = (await rows('ps')).filter(stale);
  if (containers.length) await docker(['rm', '-f', '-v', ...containers.map((c) => c.id)]);
  const networks = (await rows('network')).filter(stale);
  if (networks.length) await docker(['network', 'rm', ...networks.map((n) => n.id)]);
  return [...new Set([...containers, ...networks].map((r) => r.run))];
}

/**
 * Builds the images the file names (the base image first, made locally when absent). The node binary
 * of this machine goes into the build context: Debian's own Node is 18.
 */
async function buildImages(f: ComposeFile, log: (line: string) => void): Promise<void> {
  const base = process.env.SBCX_BASE;
  if (!base || base === 'sbcx-base:bookworm') {
    const r = await run('bash', [BASE_SCRIPT], { timeoutMs: 900_000 });
    log(`topology: ${r.stdout.trim()}`);
  }
  const builds = new Map<string, NonNullable<ComposeService['build']> & { image: string }>();
  for (const s of f.services) if (s.build) builds.set(s.image, { ...s.build, image: s.image });
  for (const b of builds.values()) {
    const context = resolve(REPO_ROOT, b.context);
    const node = join(context, 'node');
    if (!existsSync(node) || statSync(node).size !== statSync(process.execPath).size) copyFileSync(process.execPath, node);
    const args = Object.entries(b.args).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]);
    const t0 = Date.now();
    await docker(['build', '-q', '--target', b.target, '-t', b.image, ...args, context], 1_800_000);
    log(`topology: image ${b.image} (${b.target}) built (${Date.now() - t0} ms)`);
  }
}

/** What each service runs in this topology (the file's hosts idle; the run gives them their servers). */
function commands(state: TopologyState, withRtpengine: boolean): Record<string, string[]> {
  const { runDir, addresses: a } = state;
  return {
    // The SBC host's own first process is the topology's rtpengine: a kill of the SUT spares it.
    ...(withRtpengine ? { sbc: ['rtpengine', ...rtpengineArgs({ publicAddress: a.sbcPublic, coreAddress: a.sbcCore, runDir })] } : {}),
    'enum-dns': ['knotd', '-c', state.enumDns.configFile],
    postgres: ['/usr/local/bin/sbcx-postgres', state.postgres.dataDir, ...state.postgres.serverOptions],
  };
}

/**
 * Brings the compose topology up: images, networks, containers, all labelled with the run id. The
 * SUT is started by the runner (compose-runner.ts), inside the SBC container's namespace. If anything
 * fails on the way, what was made is removed before the error is thrown.
 */
export async function bringUpCompose(o: { profileFile: string; reportDir: string; log: (line: string) => void }): Promise<Topology> {
  const engine = await dockerEngine();
  if (!engine.ok) throw new Error(`the compose topology needs a Docker engine: ${engine.why}`);
  const profile = loadSutProfile(o.profileFile);
  const runId = randomBytes(2).toString('hex');
  // Not sbcx-<id>-: the netns provider removes such directories when no lock of its own holds them.
  const runDir = mkdtempSync(join(tmpdir(), `sbcx-compose-${runId}-`));
  chmodSync(runDir, 0o755);
  const env = { ...process.env, SBCX_REPO: REPO_ROOT, SBCX_RUN_DIR: runDir };
  const file = readComposeFile(COMPOSE_FILE, env);
  const problems = planProblems(file, ADDRESSES);
  if (problems.length) throw new Error(`${COMPOSE_FILE} does not build the topology's address plan: ${problems.join('; ')}`);
  const stale = await removeStaleCompose();
  if (stale.length) o.log(`topology: removed containers and networks left by an interrupted run (${stale.join(', ')})`);
  const prefix = `sbcx-${runId}`;
  const labels = ['--label', `${LABEL}=${runId}`, '--label', `${PID_LABEL}=${process.pid}`];
  const made = { containers: [] as string[], networks: [] as string[] };

  let downPromise: Promise<string[]> | undefined;
  const down = (): Promise<string[]> => (downPromise ??= teardown());
  const teardown = async (): Promise<string[]> => {
    const out: string[] = [];
    const topoDir = join(o.reportDir, 'topology');
    mkdirSync(topoDir, { recursive: true });
    for (const c of made.containers) {
      const logs = await run('docker', ['logs', c], { check: false, timeoutMs: 15_000 });
      writeFileSync(join(topoDir, `${c.slice(prefix.length + 1)}.log`), `${logs.stdout}${logs.stderr}`);
    }
    if (made.containers.length) {
      const r = await run('docker', ['rm', '-f', '-v', ...made.containers], { check: false, timeoutMs: 60_000 });
      if (r.code !== 0) out.push(`docker rm: ${r.stderr.trim()}`);
    }
    if (made.networks.length) {
      const r = await run('docker', ['network', 'rm', ...made.networks], { check: false, timeoutMs: 60_000 });
      if (r.code !== 0) out.push(`docker network rm: ${r.stderr.trim()}`);
    }
    keepRunLogs(runDir, topoDir, ['sbc.yaml', 'pgdata/restart.log']);
    // The database ran as the postgres user of the containers; root removes what it left.
    rmSync(runDir, { recursive: true, force: true });
    return out;
  };
  const step = timedSteps(o.log);

  try {
    await step(`images built (Docker ${engine.version})`, () => buildImages(file, o.log));
    const nsName = (service: string): string => `${prefix}-${service}`;
    const containerOf = (service: string): string => `${prefix}-${service}`;
    const namespaceOf: Record<string, string> = {};
    for (const s of file.services) for (const [, address] of s.networks) namespaceOf[address] = nsName(s.name);
    const pki = await step('test CA and certificates', () =>
      createTestPki(runDir, [profile.sbc.public.address, profile.sbc.core.address], ADDRESSES.publicHosts.slice(0, 10)));
    const knot = writeKnotFiles({ address: ADDRESSES.enumDns, runDir });
    const socketDir = join(runDir, 'pgsock');
    const pgData = join(runDir, 'pgdata');
    const serverOptions = postgresOptions(socketDir, PG_PORT, ADDRESSES.postgres);
    const withRtpengine = profile.media.relay === 'rtpengine';
    const db = {
      host: ADDRESSES.postgres, port: PG_PORT, name: 'sbc', user: 'sbc', password: 'sbc', socketDir,
      url: `postgres://sbc:sbc@${ADDRESSES.postgres}:${PG_PORT}/sbc`,
      localUrl: `postgresql://sbc@/sbc?host=${encodeURIComponent(socketDir)}&port=${PG_PORT}`,
    };
    const vars = sutVars({
      runDir,
      repoRoot: REPO_ROOT,
      plan: ADDRESSES,
      // Docker names a container's interfaces in the order of its networks: the SBC's public one first.
      interfaces: { sbcPublic: 'eth0', sbcCore: 'eth1' },
      corePort: CORE_SIP_PORT,
      enum: { address: ADDRESSES.enumDns, port: 53, suffix: 'e164.arpa' },
      db,
      tls: { cert: pki.sbcCert, key: pki.sbcKey, ca: pki.caCert },
      rtpengine: withRtpengine ? { ngHost: '127.0.0.1', ngPort: 2223, publicIf: 'pub', coreIf: 'core' } : undefined,
    }, profile);
    const state: TopologyState = {
      provider: 'compose',
      runId,
      runDir,
      reportDir: o.reportDir,
      // core: the engine's host, where every container's veth ends (the core-zone capture).
      namespaces: { id: runId, pub: nsName('runner'), sbc: nsName('sbc'), core: nsName('engine-host') },
      addresses: ADDRESSES,
      profileFile: resolve(o.profileFile),
      vars,
      enumDns: { netns: nsName('enum-dns'), ...knot.info },
      postgres: { localUrl: db.localUrl, url: db.url, socketDir, dataDir: pgData, serverOptions, logFile: join(pgData, 'restart.log') },
      pki,
      sbc: {},
      compose: { namespaceOf, containers: {}, runner: containerOf('runner'), coreCapture: { interface: 'any', filter: `net ${ADDRESSES.coreNet} and inbound` } },
    };
    const cmd = commands(state, withRtpengine);

    await step(`networks ${file.networks.map((n) => `${n.name} ${n.subnet}${n.internal ? ' (internal)' : ''}`).join(', ')}`, async () => {
      for (const n of file.networks) {
        await docker(['network', 'create', ...labels, '--subnet', n.subnet, ...(n.internal ? ['--internal'] : []), `${prefix}-${n.name}`]);
        made.networks.push(`${prefix}-${n.name}`);
      }
    });
    await step(`containers ${file.services.map((s) => s.name).join(', ')} at their plan addresses`, async () => {
      for (const s of file.services) {
        const [first, ...more] = s.networks;
        const name = containerOf(s.name);
        const args = [
          'create', '--name', name, ...labels, '--hostname', s.name,
          '--network', `${prefix}-${first![0]}`, '--ip', first![1],
          ...(s.privileged ? ['--privileged'] : []), ...s.capAdd.flatMap((c) => ['--cap-add', c]), ...s.securityOpt.flatMap((x) => ['--security-opt', x]), ...(s.pidHost ? ['--pid', 'host'] : []), ...(s.init ? ['--init'] : []),
          ...Object.entries(s.sysctls).flatMap(([k, v]) => ['--sysctl', `${k}=${v}`]),
          ...s.volumes.flatMap((v) => ['-v', v]),
          ...(s.workingDir ? ['-w', s.workingDir] : []),
          s.image, ...(cmd[s.name] ?? []),
        ];
        await docker(args);
        made.containers.push(name);
        // Connected before it starts: its first process (the SBC host's rtpengine) binds both addresses.
        for (const [net, address] of more) await docker(['network', 'connect', '--ip', address, `${prefix}-${net}`, name]);
        await docker(['start', name]);
        const pid = Number(await docker(['inspect', '-f', '{{.State.Pid}}', name]));
        if (!(pid > 0)) throw new Error(`container ${name} is not running: ${(await run('docker', ['logs', name], { check: false })).stderr.trim().slice(-500)}`);
        state.compose!.containers[s.name] = { name, pid };
      }
    });
    if (withRtpengine) state.rtpengine = { pid: state.compose!.containers.sbc!.pid };
    const stateFile = join(runDir, 'topology.json');
    writeFileSync(stateFile, JSON.stringify(state, null, 2));
    return { state, stateFile, down };
  } catch (err) {
    const left = await down();
    if (left.length) o.log(`topology: cleanup after failed start-up: ${left.join('; ')}`);
    throw err;
  }
}
