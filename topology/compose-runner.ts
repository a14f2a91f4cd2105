import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { startSut, stopSut, type SutHost } from '../harness/sut/lifecycle';
import { describeProbe } from '../harness/sut/probe';
import { loadSutProfile } from '../harness/sut/profile';
import { runSutAction } from '../harness/sut/provision';
import { reapAll, run, splitProcStat, type Managed } from '../harness/util/process';
import { waitKnot } from './services/knot';
import { applySqlFiles, prepareSbcDatabase } from './services/postgres';
import { waitRtpengine } from './services/rtpengine';
import { netnsSutHost, topologyPids } from './sut-host';
import { readState, STATE_ENV, type TopologyState } from './state';
import { timedSteps } from './bring-up';

/**
 * The compose topology, inside its runner container (privileged, the host's pids): attaches every
 * container's network namespace under the name the state gives it, so `ip netns exec` reaches each
 * host as in the netns topology; gives the runner the public zone's other host addresses; waits for
 * the zone servers; prepares the database; starts the SUT in the SBC container's namespace; then runs
 * the features (the arguments after `--`) and stops what it started.
 *
 *   docker exec -e SBCX_TOPOLOGY=<state> <runner> node --import tsx topology/compose-runner.ts -- <cucumber args>
 */
const log = (line: string): void => void process.stdout.write(`${line}\n`);

const step = timedSteps(log);

async function attach(state: TopologyState): Promise<string[]> {
  const compose = state.compose!;
  const names: string[] = [];
  // The engine's host (the namespace of the runner container's parent, the engine's shim), where every
  // container's veth ends: the core zone is captured there, outside the SBC's namespace (a kill of the
  // SUT reaches every process in there).
  const shim = parentOf(compose.containers.runner!.pid);
  const own = { runner: { name: compose.runner, pid: process.pid }, 'engine-host': { name: 'engine host', pid: shim } };
  for (const [service, c] of Object.entries({ ...compose.containers, ...own })) {
    const ns = `sbcx-${state.runId}-${service}`;
    await run('ip', ['netns', 'delete', ns], { check: false });
    await run('ip', ['netns', 'attach', ns, String(c.pid)]);
    names.push(ns);
  }
  return names;
}

/** The parent of `pid`. */
function parentOf(pid: number): number {
  return Number(splitProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8')).fields[1]);
}

/** The interface holding `address` in `netns`. */
async function interfaceWith(netns: string, address: string): Promise<string> {
  const r = await run('ip', ['-o', '-4', 'addr', 'show'], { netns });
  const line = r.stdout.split('\n').find((l) => l.includes(` ${address}/`));
  const ifc = line?.split(/\s+/)[1]?.replace(/@.*/, '');
  if (!ifc) throw new Error(`no interface with ${address} in ${netns}: ${r.stdout.trim()}`);
  return ifc;
}

async function main(argv: string[]): Promise<number> {
  const features = argv.slice(argv.indexOf('--') + 1);
  const stateFile = process.env[STATE_ENV]!;
  const state = readState(stateFile);
  const profile = loadSutProfile(state.profileFile);
  const a = state.addresses;
  const names = await step('container namespaces attached', () => attach(state));
  let sut: Managed | undefined;
  let host: SutHost | undefined;
  try {
    const pubIf = await interfaceWith(state.namespaces.pub, a.publicHosts[0]!);
    await step(`public hosts ${a.publicHosts[1]}-${a.publicHosts.at(-1)!.split('.').pop()} and ${a.attacker} on the runner's ${pubIf}`, async () => {
      const mask = a.publicNet.split('/')[1];
      for (const address of [...a.publicHosts.slice(1), a.attacker]) await run('ip', ['addr', 'replace', `${address}/${mask}`, 'dev', pubIf]);
    });
    const sbcPublicIf = await interfaceWith(state.namespaces.sbc, a.sbcPublic);
    const sbcCoreIf = await interfaceWith(state.namespaces.sbc, a.sbcCore);
    Object.assign(state.vars, { SBC_PUBLIC_IF: sbcPublicIf, SBC_CORE_IF: sbcCoreIf });
    const fwd = await run('sysctl', ['-n', 'net.ipv4.ip_forward'], { netns: state.namespaces.sbc });
    if (fwd.stdout.trim() !== '0') throw new Error(`IP forwarding is on in the SBC container (${state.namespaces.sbc})`);
    await step(`Knot DNS for e164.arpa on ${a.enumDns}`, () => waitKnot(state.enumDns));
    const pg = await step(`PostgreSQL on ${a.postgres}`, () => prepareSbcDatabase({ socketDir: state.postgres.socketDir, port: Number(state.vars.DB_PORT), address: a.postgres }));
    if (state.rtpengine) await step('rtpengine (userspace) on the SBC public and core addresses', () => waitRtpengine(state.namespaces.sbc));
    host = netnsSutHost({ profile, vars: state.vars, namespaces: state.namespaces, keepPids: topologyPids(state), logFile: join(state.reportDir, 'sbc.log') });
    const sutHost = host;
    if (profile.database) {
      const db = profile.database;
      await step(`database prepared by the profile (${'sql' in db ? db.sql.map((f) => basename(f)).join(', ') : 'command'})`, () =>
        'sql' in db ? applySqlFiles(pg, db.sql) : runSutAction({ shell: db.command }, state.vars, 'database.command', {
          netns: state.namespaces.sbc, timeoutMs: 60_000, fail: (m) => new Error(m),
        }).then(() => undefined));
    }
    if (profile.start) {
      state.sbc.logFile = sutHost.logFile;
      sut = await step(`SUT ${profile.name} started and ready (${describeProbe(profile.start.ready)})`, () => startSut(sutHost, { writeConfig: true }));
      state.sbc.pid = sut.child.pid;
    } else {
      log(`topology: SUT ${profile.name} is not started by the suite (no start section); expecting it at ${profile.sbc.public.address}`);
    }
    writeFileSync(stateFile, JSON.stringify(state, null, 2));
    const child = spawn(process.execPath, features, { stdio: 'inherit', env: process.env });
    const stop = (): void => void child.kill('SIGTERM');
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    return await new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
  } finally {
    if (sut && host) await stopSut(host, sut, 5000);
    await reapAll();
    for (const ns of names) await run('ip', ['netns', 'delete', ns], { check: false });
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  async (err: unknown) => {
    process.stderr.write(`compose runner: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    await reapAll();
    process.exit(3);
  },
);
