import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { runCapacityInTopology } from './capacity-run';
import { compareResults, comparisonLines, writeComparison } from '../harness/capacity/compare';
import type { CapacityResult } from '../harness/capacity/results';
import { EXIT, parseCommandLine, UsageError, type Provider } from '../harness/cli-args';
import { readCucumberMessages, type ScenarioResult } from '../harness/report/cucumber-results';
import { writeRunReport } from '../harness/report/run-report';
import { topologyHosts } from '../harness/report/sip-ladder';
import { readRunChecks } from '../harness/report/run-checks';
import { compareFiles, describeDifferences, parseCertificateVerdicts } from '../harness/sut/expected-verdicts';
import { loadSutProfile, SutProfileError } from '../harness/sut/profile';
import { bringUpCompose, dockerEngine, removeStaleCompose } from '../topology/compose-provider';
import { featuresCommand } from '../topology/hosts';
import { bringUp, tearDownStaleOnly, type Topology } from '../topology/netns-provider';
import { REPO_ROOT } from '../topology/paths';
import { STATE_ENV } from '../topology/state';

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
  /** Why each failure counted (CI skips, a file that did not load), shown above the totals. */
  reasons: string[];
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** The report folder of the run in progress (an interrupt marks it incomplete). */
let runReportDir: string | undefined;

function newRunDir(): { runId: string; dir: string } {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  const runId = `${stamp}-${Math.random().toString(16).slice(2, 6)}`;
  const dir = join(REPO_ROOT, 'reports', runId);
  mkdirSync(dir, { recursive: true });
  runReportDir = dir;
  return { runId, dir };
}

/** `reports/latest` points at a run only once it completed (an interrupted run leaves it where it was). */
function markLatest(runId: string): void {
  const latest = join(REPO_ROOT, 'reports', 'latest');
  rmSync(latest, { force: true });
  symlinkSync(runId, latest);
}

/** In CI every tool is installed, so a unit test skipped for a missing tool is a failure there. */
const inCi = (): boolean => /^(1|true|yes)$/i.test(process.env.CI ?? '');

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
  // The compose topology's tools are in its images (topology/compose/Dockerfile).
  if (provider === 'compose') return;
  const code = await spawnInherit('bash', [join(REPO_ROOT, 'topology', 'install.sh')]).done;
  if (code !== 0) throw new Error('installing the system packages failed (see above)');
}

async function unitTests(reportDir: string): Promise<Counts> {
  log('\n== unit tests (vitest)');
  const out = join(reportDir, 'vitest.json');
  const code = await spawnInherit(process.execPath, [join(REPO_ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`]).done;
  if (!existsSync(out)) return { passed: 0, failed: 1, skipped: 0, reasons: ['vitest wrote no results'] };
  const r = JSON.parse(readFileSync(out, 'utf8')) as {
    numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number; numFailedTestSuites: number;
    testResults: { name: string; assertionResults: { fullName: string; status: string }[] }[];
  };
  const reasons: string[] = [];
  // A test file that fails to load has no failed test but is a failure all the same.
  let failed = r.numFailedTests + (r.numFailedTests === 0 && code !== 0 ? Math.max(1, r.numFailedTestSuites) : 0);
  if (failed > r.numFailedTests) reasons.push(`vitest exited ${code} with ${r.numFailedTestSuites} test file(s) that did not load or run`);
  const skippedTests = r.testResults.flatMap((f) => f.assertionResults.filter((t) => t.status === 'skipped' || t.status === 'pending' || t.status === 'todo').map((t) => `${relative(REPO_ROOT, f.name)}: ${t.fullName}`));
  let skipped = skippedTests.length;
  if (skipped && inCi()) {
    reasons.push(`${skipped} unit test(s) skipped in CI, where every tool they need must be installed:\n${skippedTests.map((t) => `    ${t}`).join('\n')}`);
    failed += skipped;
    skipped = 0;
  }
  return { passed: r.numPassedTests, failed, skipped, reasons };
}

let topology: Topology | undefined;
let cucumberKill: (() => void) | undefined;

let bringingUp: Promise<Topology> | undefined;

/**
 * The provider of a run: the one asked for, else netns where it can run (root and `ip netns`), else
 * compose when a Docker engine answers. Neither possible: an error saying what each one needs.
 */
async function chooseProvider(asked: Provider | undefined): Promise<Provider> {
  if (asked) return asked;
  const netns = process.getuid?.() === 0 && (await spawnInherit('sh', ['-c', 'ip netns list >/dev/null 2>&1']).done) === 0;
  if (netns) return 'netns';
  const engine = await dockerEngine();
  if (engine.ok) return 'compose';
  throw new Error(`no topology can run here: the netns provider needs root and 'ip netns', the compose provider a Docker engine (${engine.why})`);
}

let provider: Provider = 'netns';

/** bringUp, remembered so that a signal arriving during start-up can wait for it and tear it down. */
async function up(o: Parameters<typeof bringUp>[0]): Promise<Topology> {
  bringingUp = provider === 'compose' ? bringUpCompose(o) : bringUp(o);
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
  if (runReportDir) {
    // A half-written JUnit file would read as a (short) passing run to a CI system: it goes.
    rmSync(join(runReportDir, 'junit.xml'), { force: true });
    writeFileSync(join(runReportDir, 'INTERRUPTED'), `${signal} at ${new Date().toISOString()}: this run is incomplete and certifies nothing\n`);
  }
  process.exit(EXIT.interrupted);
}

async function features(o: { profileFile: string; reportDir: string; runId: string; tags?: string; robustnessCases?: number }): Promise<Counts & { scenarios: ScenarioResult[] }> {
  log(`\n== acceptance features against ${relative(REPO_ROOT, o.profileFile)}`);
  topology = await up({ profileFile: o.profileFile, reportDir: o.reportDir, log });
  const { state } = topology;
  let scenarios: ScenarioResult[] = [];
  const ndjson = join(o.reportDir, 'cucumber.ndjson');
  try {
    mkdirSync(join(o.reportDir, 'capture'), { recursive: true });
    const args = [
      // The key log lets the topology-hiding audit decrypt the TLS legs the suite's own client captured.
      process.execPath, `--tls-keylog=${join(o.reportDir, 'capture', 'tls-keys.log')}`, '--import', 'tsx',
      join(REPO_ROOT, 'node_modules', '@cucumber', 'cucumber', 'bin', 'cucumber.js'),
      '--format', `message:${ndjson}`,
      '--format', `html:${join(o.reportDir, 'cucumber.html')}`,
    ];
    if (o.tags) args.push('--tags', `(${o.tags}) and not @capacity`);
    const env = { ...process.env, [STATE_ENV]: topology.stateFile, ...(o.robustnessCases ? { SBCX_ROBUSTNESS_CASES: String(o.robustnessCases) } : {}) };
    const [cmd, argv] = featuresCommand(state, args, {
      [STATE_ENV]: topology.stateFile, ...(o.robustnessCases ? { SBCX_ROBUSTNESS_CASES: String(o.robustnessCases) } : {}), ...(process.env.CI ? { CI: process.env.CI } : {}),
    });
    const run = spawnInherit(cmd, argv, env);
    cucumberKill = run.kill;
    await run.done;
    cucumberKill = undefined;
    scenarios = [...readCucumberMessages(ndjson).scenarios.filter((s) => s.selected && !s.tags.includes('capacity')), ...readRunChecks(o.reportDir)];
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
  const skipped = scenarios.filter((s) => s.status === 'skipped').length;
  const failed = scenarios.filter((s) => s.status !== 'passed' && s.status !== 'skipped').length;
  const reasons = scenarios.length === 0 ? ['no scenario ran (cucumber failed to start or the tag filter matched none)'] : [];
  return { passed, failed: failed + (scenarios.length === 0 ? 1 : 0), skipped, reasons, scenarios };
}

/**
 * The @capacity features against one SUT (`capacity --feature`): their own cucumber profile
 * (features/capacity/cucumber.capacity.mjs), never part of certify or npm test. Returns the scenarios that did not pass.
 */
async function capacityFeatures(o: { profileFile: string; reportDir: string }): Promise<number> {
  const name = loadSutProfile(o.profileFile).name;
  const reportDir = join(o.reportDir, 'capacity-features', name);
  mkdirSync(reportDir, { recursive: true });
  log(`\n== @capacity features against ${relative(REPO_ROOT, o.profileFile)}`);
  topology = await up({ profileFile: o.profileFile, reportDir, log });
  const ndjson = join(reportDir, 'cucumber.ndjson');
  try {
    const args = [
      'netns', 'exec', topology.state.namespaces.pub, process.execPath, '--import', 'tsx',
      join(REPO_ROOT, 'node_modules', '@cucumber', 'cucumber', 'bin', 'cucumber.js'),
      // cucumber joins --config to its working directory, so the path is given relative to it.
      '--config', relative(process.cwd(), join(REPO_ROOT, 'features', 'capacity', 'cucumber.capacity.mjs')),
      '--format', `message:${ndjson}`, '--format', `html:${join(reportDir, 'cucumber.html')}`,
    ];
    const run = spawnInherit('ip', args, { ...process.env, [STATE_ENV]: topology.stateFile });
    cucumberKill = run.kill;
    await run.done;
    cucumberKill = undefined;
  } finally {
    const problems = await topology.down();
    for (const p of problems) log(`cleanup: ${p}`);
    topology = undefined;
  }
  const scenarios = readCucumberMessages(ndjson).scenarios.filter((s) => s.selected);
  for (const s of scenarios) log(`  ${(s.status ?? 'unknown').padEnd(8)} ${s.name}`);
  return scenarios.length === 0 ? 1 : scenarios.filter((s) => s.status !== 'passed').length;
}

function totals(parts: Counts[]): string {
  for (const r of parts.flatMap((p) => p.reasons)) log(`counted as failed: ${r}`);
  const sum = (k: 'passed' | 'failed' | 'skipped'): number => parts.reduce((n, p) => n + p[k], 0);
  return `${sum('passed')} passed, ${sum('failed')} failed, ${sum('skipped')} skipped`;
}

async function main(argv: string[]): Promise<number> {
  const cmd = parseCommandLine(argv, { repoRoot: REPO_ROOT });
  if (cmd.name === 'help') {
    process.stdout.write(cmd.text);
    return EXIT.pass;
  }
  // A bad profile (field, placeholder) is refused before anything is installed or started.
  if ('profileFile' in cmd) loadSutProfile(cmd.profileFile);
  if ('profileFiles' in cmd) cmd.profileFiles.forEach((f) => loadSutProfile(f));
  if (cmd.name === 'test' || cmd.name === 'certify' || cmd.name === 'topology-up') {
    provider = await chooseProvider(cmd.provider);
    if (!cmd.provider) log(`topology provider: ${provider}`);
  }
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  switch (cmd.name) {
    case 'test': {
      const t0 = Date.now();
      await ensureTools();
      const { runId, dir } = newRunDir();
      const unit = await unitTests(dir);
      const profileFile = join(REPO_ROOT, 'topology', 'profiles', 'reference-sbc.yaml');
      const acc = await features({ profileFile, reportDir: dir, runId });
      markLatest(runId);
      log(`\nunit tests: ${unit.passed} passed, ${unit.failed} failed, ${unit.skipped} skipped; acceptance scenarios: ${acc.passed} passed, ${acc.failed} failed, ${acc.skipped} skipped (${Math.round((Date.now() - t0) / 1000)} s)`);
      log(totals([unit, acc]));
      return unit.failed + acc.failed === 0 ? EXIT.pass : EXIT.failed;
    }
    case 'certify': {
      await ensureTools();
      const { runId, dir } = newRunDir();
      const acc = await features({ profileFile: cmd.profileFile, reportDir: dir, runId, tags: cmd.tags, robustnessCases: cmd.robustnessCases });
      markLatest(runId);
      log(totals([acc]));
      if (cmd.expectFile) {
        // With --expect the run is judged by its verdicts, not its scenarios: a known failure stays
        // green, a requirement that starts passing or failing turns it red. One check per ID.
        const diffs = compareFiles(join(dir, 'certificate.json'), cmd.expectFile);
        const ids = parseCertificateVerdicts(readFileSync(join(dir, 'certificate.json'), 'utf8'), 'certificate.json').size;
        log(`\n== verdicts against ${relative(process.cwd(), cmd.expectFile)}: ${diffs.length === 0 ? 'as expected' : `${diffs.length} differ`}`);
        for (const line of describeDifferences(diffs)) log(`  ${line}`);
        log(`${Math.max(0, ids - diffs.length)} passed, ${diffs.length} failed, 0 skipped`);
        return diffs.length === 0 ? EXIT.pass : EXIT.failed;
      }
      return acc.failed === 0 ? EXIT.pass : EXIT.failed;
    }
    case 'capacity': {
      await ensureTools();
      const { runId, dir } = newRunDir();
      if (cmd.feature) {
        let failed = 0;
        for (const profileFile of cmd.profileFiles) failed += await capacityFeatures({ profileFile, reportDir: dir });
        markLatest(runId);
        log(`\n== capacity features: ${failed === 0 ? 'every scenario passed' : `${failed} scenario(s) failed`}; reports: ${relative(process.cwd(), dir)}/`);
        return failed === 0 ? EXIT.pass : EXIT.failed;
      }
      // Several SUTs: each in turn, in a topology of the same addresses on the same machine, the
      // generator ceiling measured once; one report with the figures side by side.
      const several = cmd.profileFiles.length > 1;
      const results: { result: CapacityResult; report: string }[] = [];
      let ceiling: Awaited<ReturnType<typeof runCapacityInTopology>>['ceiling'];
      for (const profileFile of cmd.profileFiles) {
        topology = await up({ profileFile, reportDir: dir, log });
        try {
          const name = loadSutProfile(profileFile).name;
          const outDir = join(dir, 'capacity', ...(several ? [name] : []));
          const r = await runCapacityInTopology({ state: topology.state, repoRoot: REPO_ROOT, runId, request: cmd.request, log, outDir, ...(ceiling ? { ceiling } : {}) });
          ceiling ??= r.ceiling;
          results.push({ result: r.result, report: relative(dir, r.json) });
        } finally {
          const problems = await topology.down();
          for (const p of problems) log(`cleanup: ${p}`);
          topology = undefined;
        }
      }
      if (several) {
        const comparison = compareResults(runId, results);
        for (const line of comparisonLines(comparison)) log(line);
        log(`comparison: ${relative(process.cwd(), writeComparison(join(dir, 'capacity'), comparison))}`);
      }
      markLatest(runId);
      return results.every((r) => r.result.rate.maximum) ? EXIT.pass : EXIT.failed;
    }
    case 'topology-clean': {
      const engine = await dockerEngine();
      const removed = [...(process.getuid?.() === 0 ? await tearDownStaleOnly() : []), ...(engine.ok ? await removeStaleCompose() : [])];
      log(removed.length ? `removed: ${removed.join(', ')}` : 'nothing to clean');
      return EXIT.pass;
    }
    case 'topology-up': {
      await ensureTools();
      const { dir } = newRunDir();
      topology = await up({ profileFile: cmd.profileFile, reportDir: dir, log });
      log(topology.state.compose
        ? `topology up; state in ${topology.stateFile}. Containers: ${Object.values(topology.state.compose.containers).map((c) => c.name).join(', ')} ('docker exec <container> ...'). Ctrl-C tears it down.`
        : `topology up; state in ${topology.stateFile}. Run commands in a zone with 'ip netns exec ${topology.state.namespaces.pub} ...'. Ctrl-C tears it down.`);
      await new Promise(() => undefined);
      return EXIT.pass;
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  async (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n\n${err.usage}`);
      process.exit(EXIT.usage);
    }
    if (err instanceof SutProfileError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(EXIT.usage);
    }
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    const problems = (await topology?.down()) ?? [];
    for (const p of problems) process.stderr.write(`cleanup: ${p}\n`);
    process.stdout.write('0 passed, 1 failed, 0 skipped\n');
    process.exit(EXIT.suite);
  },
);
