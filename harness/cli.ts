import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { CAPACITY_USAGE, parseCapacityArgs } from './capacity/capacity-options';
import { runCapacityInTopology } from './capacity/capacity-run';
import { readCucumberMessages, type ScenarioResult } from './report/cucumber-results';
import { writeRunReport } from './report/run-report';
import { topologyHosts } from './report/sip-ladder';
import { SutProfileError } from './sut/profile';
import { bringUp, tearDownStaleOnly, type Topology } from '../topology/netns-provider';
import { REPO_ROOT } from '../topology/paths';
import { STATE_ENV } from '../topology/state';

const USAGE = `usage: tsx harness/cli.ts <command> [options]

commands:
  test                      unit tests, then every acceptance feature against the reference SBC
                            in a topology built for the run; prints "N passed, N failed"
  certify [--sut FILE]      bring the topology up, run the features against the SUT profile FILE
                            (default topology/profiles/reference-sbc.yaml), write the certificate
          [--tags EXPR]     only the scenarios matching a cucumber tag expression, e.g. "@GEN-04"
  topology up [--sut FILE]  bring the topology up and keep it until Ctrl-C (for exploring by hand)
  topology clean            remove namespaces and processes left by an interrupted run
${CAPACITY_USAGE}`;

interface Counts {
  passed: number;
  failed: number;
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (!v || v.startsWith('--')) throw new UsageError(`${name} needs a value`);
  return v;
}

class UsageError extends Error {}

function newRunDir(): { runId: string; dir: string } {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  const runId = `${stamp}-${Math.random().toString(16).slice(2, 6)}`;
  const dir = join(REPO_ROOT, 'reports', runId);
  mkdirSync(dir, { recursive: true });
  const latest = join(REPO_ROOT, 'reports', 'latest');
  rmSync(latest, { force: true });
  symlinkSync(runId, latest);
  return { runId, dir };
}

function spawnInherit(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): { done: Promise<number>; kill: () => void } {
  const child = spawn(cmd, args, { stdio: 'inherit', cwd: REPO_ROOT, env });
  const done = new Promise<number>((res) => {
    child.on('error', (err) => {
      log(`${cmd}: ${err.message}`);
      res(127);
    });
    child.on('exit', (code, signal) => res(code ?? (signal ? 128 : 1)));
  });
  return { done, kill: () => child.kill('SIGTERM') };
}

async function ensureTools(): Promise<void> {
  const code = await spawnInherit('bash', [join(REPO_ROOT, 'topology', 'install.sh')]).done;
  if (code !== 0) throw new Error('installing the system packages failed (see above)');
}

async function unitTests(reportDir: string): Promise<Counts> {
  log('\n== unit tests (vitest)');
  const out = join(reportDir, 'vitest.json');
  const code = await spawnInherit(process.execPath, [join(REPO_ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`]).done;
  if (!existsSync(out)) return { passed: 0, failed: 1 };
  const r = JSON.parse(readFileSync(out, 'utf8')) as { numPassedTests: number; numFailedTests: number; numTotalTestSuites: number; numFailedTestSuites: number };
  // A test file that fails to load has no failed test but is a failure all the same.
  const failed = r.numFailedTests + (r.numFailedTests === 0 && code !== 0 ? Math.max(1, r.numFailedTestSuites) : 0);
  return { passed: r.numPassedTests, failed };
}

let topology: Topology | undefined;
let cucumberKill: (() => void) | undefined;

let bringingUp: Promise<Topology> | undefined;

/** bringUp, remembered so that a signal arriving during start-up can wait for it and tear it down. */
async function up(o: Parameters<typeof bringUp>[0]): Promise<Topology> {
  bringingUp = bringUp(o);
  try {
    topology = await bringingUp;
    return topology;
  } finally {
    bringingUp = undefined;
  }
}

/** SIGINT/SIGTERM: stop cucumber, tear the topology down (also one still coming up), exit 130. */
async function shutdown(signal: string): Promise<void> {
  log(`\n${signal}: stopping, tearing the topology down`);
  cucumberKill?.();
  const t = topology ?? (await bringingUp?.catch(() => undefined));
  const problems = (await t?.down()) ?? [];
  for (const p of problems) log(`cleanup: ${p}`);
  process.exit(130);
}

async function features(o: { profileFile: string; reportDir: string; runId: string; tags?: string }): Promise<Counts & { scenarios: ScenarioResult[] }> {
  log(`\n== acceptance features against ${relative(REPO_ROOT, o.profileFile)}`);
  topology = await up({ profileFile: o.profileFile, reportDir: o.reportDir, log });
  const { state } = topology;
  let scenarios: ScenarioResult[] = [];
  const ndjson = join(o.reportDir, 'cucumber.ndjson');
  try {
    mkdirSync(join(o.reportDir, 'capture'), { recursive: true });
    const args = [
      'netns', 'exec', topology.state.namespaces.pub,
      // The key log lets the topology-hiding audit decrypt the TLS legs the suite's own client captured.
      process.execPath, `--tls-keylog=${join(o.reportDir, 'capture', 'tls-keys.log')}`, '--import', 'tsx',
      join(REPO_ROOT, 'node_modules', '@cucumber', 'cucumber', 'bin', 'cucumber.js'),
      '--format', `message:${ndjson}`,
      '--format', `html:${join(o.reportDir, 'cucumber.html')}`,
    ];
    if (o.tags) args.push('--tags', `(${o.tags}) and not @capacity`);
    const run = spawnInherit('ip', args, { ...process.env, [STATE_ENV]: topology.stateFile });
    cucumberKill = run.kill;
    await run.done;
    cucumberKill = undefined;
    scenarios = readCucumberMessages(ndjson).scenarios.filter((s) => s.selected && !s.tags.includes('capacity'));
  } finally {
    const problems = await topology.down();
    for (const p of problems) log(`cleanup: ${p}`);
    topology = undefined;
  }
  // The certificate (and junit.xml, with the unit tests of vitest.json) from the ndjson and the captures.
  const { certificate: cert, files } = await writeRunReport({ reportDir: o.reportDir, repoRoot: REPO_ROOT, runId: o.runId, profileFile: o.profileFile, tagFilter: o.tags, provider: state.provider, hosts: topologyHosts(state.addresses), log });
  log(`\n== certificate for ${cert.sut.name}: ${cert.summary.pass} pass, ${cert.summary.fail} fail, ${cert.summary.incomplete} incomplete${cert.run.complete ? '' : ' (partial run)'}`);
  for (const r of cert.requirements) log(`  ${r.id.padEnd(8)} ${r.verdict.padEnd(10)} ${r.title}${r.verdict === 'pass' ? '' : `: ${r.reason.slice(0, 160)}`}`);
  log(cert.summary.text);
  log(`reports: ${relative(process.cwd(), o.reportDir)}/ (certificate.html, cucumber.html, junit.xml, scenarios/)  ${relative(process.cwd(), files.html)}`);
  const passed = scenarios.filter((s) => s.status === 'passed').length;
  const failed = scenarios.filter((s) => s.status !== 'passed' && s.status !== 'skipped').length;
  return { passed, failed: failed + (scenarios.length === 0 ? 1 : 0), scenarios };
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  const profileFile = resolve(argValue(args, '--sut') ?? join(REPO_ROOT, 'topology', 'profiles', 'reference-sbc.yaml'));
  switch (command) {
    case 'test': {
      const t0 = Date.now();
      await ensureTools();
      const { runId, dir } = newRunDir();
      const unit = await unitTests(dir);
      const acc = await features({ profileFile, reportDir: dir, runId });
      const passed = unit.passed + acc.passed;
      const failed = unit.failed + acc.failed;
      log(`\nunit tests: ${unit.passed} passed, ${unit.failed} failed; acceptance scenarios: ${acc.passed} passed, ${acc.failed} failed (${Math.round((Date.now() - t0) / 1000)} s)`);
      log(`${passed} passed, ${failed} failed`);
      return failed === 0 ? 0 : 1;
    }
    case 'certify': {
      await ensureTools();
      const { runId, dir } = newRunDir();
      const acc = await features({ profileFile, reportDir: dir, runId, tags: argValue(args, '--tags') });
      log(`${acc.passed} passed, ${acc.failed} failed`);
      return acc.failed === 0 ? 0 : 1;
    }
    case 'capacity': {
      let request;
      try {
        request = parseCapacityArgs(args);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      await ensureTools();
      const { runId, dir } = newRunDir();
      topology = await up({ profileFile, reportDir: dir, log });
      try {
        const { result } = await runCapacityInTopology({ state: topology.state, repoRoot: REPO_ROOT, runId, request, log });
        return result.rate.maximum ? 0 : 1;
      } finally {
        const problems = await topology.down();
        for (const p of problems) log(`cleanup: ${p}`);
        topology = undefined;
      }
    }
    case 'topology': {
      if (args[0] === 'clean') {
        const removed = await tearDownStaleOnly();
        log(removed.length ? `removed: ${removed.join(', ')}` : 'nothing to clean');
        return 0;
      }
      if (args[0] !== 'up') throw new UsageError(`unknown topology command ${args[0] ?? '(none)'}`);
      await ensureTools();
      const { dir } = newRunDir();
      topology = await up({ profileFile, reportDir: dir, log });
      log(`topology up; state in ${topology.stateFile}. Run commands in a zone with 'ip netns exec ${topology.state.namespaces.pub} ...'. Ctrl-C tears it down.`);
      await new Promise(() => undefined);
      return 0;
    }
    default:
      throw new UsageError(command ? `unknown command ${command}` : 'no command given');
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  async (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n\n${USAGE}`);
      process.exit(2);
    }
    process.stderr.write(`${err instanceof SutProfileError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    const problems = (await topology?.down()) ?? [];
    for (const p of problems) process.stderr.write(`cleanup: ${p}\n`);
    process.stdout.write('0 passed, 1 failed\n');
    process.exit(1);
  },
);
