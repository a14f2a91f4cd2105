import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { basename, join, resolve } from 'node:path';
import { reapAll, type Managed } from '../harness/util/process';
import { startSut, stopSut, type SutHost } from '../harness/sut/lifecycle';
import { describeProbe } from '../harness/sut/probe';
import { loadSutProfile } from '../harness/sut/profile';
import { runSutAction } from '../harness/sut/provision';
import { ADDRESSES } from './addresses';
import { createTestPki } from './certs';
import { createNetwork, destroyNetwork, interfacesFor, NETNS_PREFIX, removeStale, type Namespaces } from './netns';
import { removeNetnsResolver, staleResolvers, writeNetnsResolver } from './netns-resolver';
import { startKnot } from './services/knot';
import { applySqlFiles, startPostgres } from './services/postgres';
import { startRtpengine } from './services/rtpengine';
import { netnsSutHost, sutVars } from './sut-host';
import type { TopologyState } from './state';

export { REPO_ROOT } from './paths';
import { REPO_ROOT } from './paths';
import { keepRunLogs, timedSteps } from './bring-up';
const LOCK_DIR = '/run/sbcx';
/** The core servers' SIP port (topology/core-servers.ts listens there). */
const CORE_SIP_PORT = 5060;

export interface Topology {
  state: TopologyState;
  stateFile: string;
  /** Tears everything down; safe to call twice and after a failed `up`. Returns problems found while cleaning. */
  down(): Promise<string[]>;
}

const pidAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

function isLive(id: string): boolean {
  const lock = join(LOCK_DIR, `${id}.pid`);
  if (!existsSync(lock)) return false;
  return pidAlive(Number(readFileSync(lock, 'utf8')));
}

/**
 * Builds the netns topology of DESIGN.md and starts every component in it, each probed for readiness.
 * If anything fails on the way up, what was started is torn down before the error is thrown.
 */
export async function bringUp(o: { profileFile: string; reportDir: string; log: (line: string) => void }): Promise<Topology> {
  if (process.getuid?.() !== 0) throw new Error('the netns topology needs root (ip netns, veth); run as root or in CI');
  const profile = loadSutProfile(o.profileFile);
  mkdirSync(LOCK_DIR, { recursive: true });
  const stale = await tearDownStaleOnly();
  if (stale.length) o.log(`topology: removed namespaces left by an interrupted run (${stale.join(', ')})`);

  const runId = randomBytes(2).toString('hex');
  writeFileSync(join(LOCK_DIR, `${runId}.pid`), String(process.pid));
  const runDir = mkdtempSync(join(tmpdir(), `sbcx-${runId}-`));
  chmodSync(runDir, 0o755); // PostgreSQL runs as its own user and must reach its directories
  const topoDir = join(o.reportDir, 'topology');
  mkdirSync(topoDir, { recursive: true });
  let ns: Namespaces | undefined;
  let sbc: Managed | undefined;
  let sutHost: SutHost | undefined;

  // Every caller (the run's own finally, a signal handler) awaits the same teardown: returning early
  // to a second caller would let the process exit while the first teardown is still running.
  let downPromise: Promise<string[]> | undefined;
  const down = (): Promise<string[]> => (downPromise ??= teardown());
  const teardown = async (): Promise<string[]> => {
    const problems: string[] = [];
    if (sbc && sutHost) await stopSut(sutHost, sbc, 5000);
    await reapAll();
    if (ns) {
      problems.push(...(await destroyNetwork(ns)));
      removeNetnsResolver(ns.sbc);
    }
    keepRunLogs(runDir, topoDir, ['postgres.log', 'pgdata/restart.log', 'knot.log', 'rtpengine.log', 'sbc.yaml']);
    rmSync(runDir, { recursive: true, force: true });
    rmSync(join(LOCK_DIR, `${runId}.pid`), { force: true });
    return problems;
  };

  const step = timedSteps(o.log);

  try {
    ns = await step(`namespaces ${runId} with veth pairs, IP forwarding off`, () => createNetwork(runId));
    const netns = ns;
    writeNetnsResolver(netns.sbc, ADDRESSES.enumDns);
    const pki = await step('test CA and certificates', () =>
      createTestPki(runDir, [profile.sbc.public.address, profile.sbc.core.address], ADDRESSES.publicHosts.slice(0, 10)),
    );
    const pg = await step(`PostgreSQL on ${ADDRESSES.postgres}`, () => startPostgres({ netns: netns.core, address: ADDRESSES.postgres, runDir }));
    const dns = await step(`Knot DNS for e164.arpa on ${ADDRESSES.enumDns}, resolver of the SBC namespace`, () => startKnot({ netns: netns.core, address: ADDRESSES.enumDns, runDir }));
    const rtp = profile.media.relay === 'rtpengine'
      ? await step('rtpengine (userspace) on the SBC public and core addresses', () =>
        startRtpengine({ netns: netns.sbc, publicAddress: ADDRESSES.sbcPublic, coreAddress: ADDRESSES.sbcCore, runDir }))
      : undefined;
    if (!rtp) o.log(`topology: no rtpengine (the profile brings its own media relay)`);
    const ifs = interfacesFor(runId);
    const vars = sutVars({
      runDir,
      repoRoot: REPO_ROOT,
      plan: ADDRESSES,
      interfaces: { sbcPublic: ifs.sbcPubIf, sbcCore: ifs.sbcCoreIf },
      corePort: CORE_SIP_PORT,
      enum: { address: dns.address, port: 53, suffix: 'e164.arpa' },
      db: { host: ADDRESSES.postgres, port: pg.port, name: 'sbc', user: 'sbc', password: 'sbc', socketDir: pg.socketDir, url: pg.url, localUrl: pg.localUrl },
      tls: { cert: pki.sbcCert, key: pki.sbcKey, ca: pki.caCert },
      rtpengine: rtp && { ngHost: rtp.ngHost, ngPort: rtp.ngPort, publicIf: rtp.publicIf, coreIf: rtp.coreIf },
    }, profile);
    const logFile = join(o.reportDir, 'sbc.log');
    sutHost = netnsSutHost({ profile, vars, namespaces: netns, keepPids: rtp?.proc.child.pid === undefined ? [] : [rtp.proc.child.pid], logFile });
    const host = sutHost;
    if (profile.database) {
      const db = profile.database;
      await step(`database prepared by the profile (${'sql' in db ? db.sql.map((f) => basename(f)).join(', ') : 'command'})`, () =>
        'sql' in db ? applySqlFiles(pg, db.sql) : runSutAction({ shell: db.command }, vars, 'database.command', {
          netns: netns.sbc, timeoutMs: 60_000, fail: (m) => new Error(m),
        }).then(() => undefined));
    }
    const state: TopologyState = {
      provider: 'netns',
      runId,
      runDir,
      reportDir: o.reportDir,
      namespaces: netns,
      addresses: ADDRESSES,
      profileFile: resolve(o.profileFile),
      vars,
      enumDns: { netns: dns.netns, address: dns.address, controlSocket: dns.controlSocket, configFile: dns.configFile, zoneFile: dns.zoneFile },
      postgres: { localUrl: pg.localUrl, url: pg.url, socketDir: pg.socketDir, dataDir: pg.dataDir, serverOptions: pg.serverOptions, logFile: join(runDir, 'pgdata', 'restart.log') },
      pki,
      sbc: {},
      ...(rtp ? { rtpengine: { pid: rtp.proc.child.pid } } : {}),
    };
    if (profile.start) {
      state.sbc.logFile = logFile;
      sbc = await step(`SUT ${profile.name} started and ready (${describeProbe(profile.start.ready)})`, () => startSut(host, { writeConfig: true }));
      state.sbc.pid = sbc.child.pid;
    } else {
      o.log(`topology: SUT ${profile.name} is not started by the suite (no start section); expecting it at ${profile.sbc.public.address}`);
    }
    const stateFile = join(runDir, 'topology.json');
    writeFileSync(stateFile, JSON.stringify(state, null, 2));
    copyFileSync(stateFile, join(topoDir, 'topology.json'));
    return { state, stateFile, down };
  } catch (err) {
    const problems = await down();
    if (problems.length) o.log(`topology: cleanup after failed start-up: ${problems.join('; ')}`);
    throw err;
  }
}

/**
 * Cleans up after runs that were killed outright: their namespaces (and the processes in them), their
 * run directories under /tmp and their lock files. A run whose process is alive is left alone.
 */
export async function tearDownStaleOnly(): Promise<string[]> {
  const removed = new Set(await removeStale(isLive));
  for (const dir of staleResolvers(NETNS_PREFIX, isLive)) removeNetnsResolver(dir);
  const locks = existsSync(LOCK_DIR) ? readdirSync(LOCK_DIR).filter((f) => f.endsWith('.pid')).map((f) => f.slice(0, -4)) : [];
  const dirs = readdirSync(tmpdir()).filter((d) => /^sbcx-[0-9a-f]{4}-/.test(d));
  for (const id of new Set([...locks, ...dirs.map((d) => d.split('-')[1]!)])) {
    if (isLive(id)) continue;
    for (const d of dirs.filter((x) => x.startsWith(`sbcx-${id}-`))) rmSync(join(tmpdir(), d), { recursive: true, force: true });
    rmSync(join(LOCK_DIR, `${id}.pid`), { force: true });
    removed.add(id);
  }
  return [...removed];
}

