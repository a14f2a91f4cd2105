import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { DefectError, listProblems, type Defect } from './defect';
import { DEFECTS } from './defects';
import { createMutant, removeMutants, type MutantFiles } from './mutant-workspace';
import { REPO_ROOT } from '../topology/paths';

/**
 * The planted-defect harness (`npm run mutants`): each defect of defects.ts is applied to a copy of
 * the reference SBC, the scenarios that should catch it are run against that copy with the suite's
 * own `certify` command, and the verdict is read from the certificate. certify's exit code decides:
 * 1 = the suite refused the broken SBC (killed), 0 = it certified it (survived), anything else = the
 * run itself failed (error: reported apart, never counted as killed).
 */

const USAGE = `usage: npm run mutants -- [--only ID,ID] [--list] [--no-baseline]
  --only ID,ID    run only these defects (ids as --list shows them)
  --list          print every defect (id, requirement, tags, what it breaks) and exit
  --no-baseline   skip the first run, which proves the selected scenarios pass on the unmutated SBC
exit codes: 0 every defect killed, 1 some survived or errored, 2 bad usage or a defect that cannot be
            applied, 3 the baseline (the correct SBC) failed the selected scenarios, 130 interrupted
`;

class Usage extends Error {}

export interface MutantsCommand {
  list: boolean;
  baseline: boolean;
  defects: Defect[];
}

/** Strict: an unknown flag, a flag without its value, an empty or unknown id is a usage error. */
export function parseMutantsArgs(argv: string[], defects: readonly Defect[]): MutantsCommand {
  let values: { only?: string; list?: boolean; 'no-baseline'?: boolean; help?: boolean };
  try {
    values = parseArgs({
      args: argv,
      options: { only: { type: 'string' }, list: { type: 'boolean' }, 'no-baseline': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    throw new Usage((err as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
  if (values.help) throw new Usage('');
  let selected = [...defects];
  if (values.only !== undefined) {
    const ids = values.only.split(',').map((s) => s.trim());
    if (ids.some((id) => id === '')) throw new Usage(`--only: empty id in ${JSON.stringify(values.only)}`);
    const unknown = ids.filter((id) => !defects.some((d) => d.id === id));
    if (unknown.length > 0) throw new Usage(`--only: unknown defect ${unknown.join(', ')} (see --list)`);
    selected = defects.filter((d) => ids.includes(d.id));
  }
  return { list: values.list === true, baseline: values['no-baseline'] !== true, defects: selected };
}

export type Outcome = 'killed' | 'survived' | 'error';

export interface MutantResult {
  id: string;
  requirement: string;
  what: string;
  tags: string;
  outcome: Outcome;
  exitCode: number;
  seconds: number;
  /** IDs the certificate marked failed. */
  failedIds: string[];
  /** Whether the defect's own requirement was among them. */
  ownIdFailed: boolean;
  /** The first failure message of the defect's requirement (or of any), as the certificate gives it. */
  message?: string;
  runDir?: string;
  log: string;
}

export function outcomeOf(exitCode: number): Outcome {
  return exitCode === 1 ? 'killed' : exitCode === 0 ? 'survived' : 'error';
}

let child: ReturnType<typeof spawn> | undefined;
let interrupted = false;

/** Runs certify against one profile; resolves with its exit code and the run folder it printed. */
function certify(profileFile: string, tags: string, logFile: string): Promise<{ exitCode: number; runDir?: string }> {
  return new Promise((resolve) => {
    const log = createWriteStream(logFile);
    let out = '';
    const c = spawn('npx', ['tsx', 'bin/cli.ts', 'certify', '--sut', profileFile, '--tags', tags], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: false });
    child = c;
    const take = (chunk: Buffer): void => {
      out += chunk.toString();
      log.write(chunk);
    };
    c.stdout.on('data', take);
    c.stderr.on('data', take);
    c.on('error', (err) => {
      log.write(`spawn failed: ${err.message}\n`);
    });
    c.on('close', (code, signal) => {
      child = undefined;
      log.end();
      const m = /^reports: (\S+?)\/? \(certificate/m.exec(out);
      const runDir = m?.[1] !== undefined ? join(REPO_ROOT, m[1]) : undefined;
      resolve({ exitCode: code ?? (signal ? 128 : 3), ...(runDir ? { runDir } : {}) });
    });
  });
}

interface CertEntry { id: string; verdict: string; scenarios: { status: string; message?: string }[] }

function readFailures(runDir: string | undefined, own: string): { failedIds: string[]; message?: string } {
  const file = runDir ? join(runDir, 'certificate.json') : join(REPO_ROOT, 'reports', 'latest', 'certificate.json');
  if (!existsSync(file)) return { failedIds: [] };
  const cert = JSON.parse(readFileSync(file, 'utf8')) as { requirements: CertEntry[] };
  const failed = cert.requirements.filter((r) => r.verdict === 'fail');
  const first = (r: CertEntry | undefined): string | undefined => r?.scenarios.find((s) => s.status !== 'passed' && s.status !== 'skipped' && s.message)?.message;
  const message = first(failed.find((r) => r.id === own)) ?? first(failed[0]);
  return { failedIds: failed.map((r) => r.id), ...(message ? { message: message.split('\n')[0]!.slice(0, 300) } : {}) };
}

/** The tags of every selected defect, one expression: what the baseline must pass. */
export function unionTags(defects: readonly Defect[]): string {
  return [...new Set(defects.map((d) => d.tags))].map((t) => `(${t})`).join(' or ');
}

async function main(argv: string[]): Promise<number> {
  const problems = listProblems(DEFECTS);
  if (problems.length > 0) throw new Usage(`the defect list is unsound:\n  ${problems.join('\n  ')}`);
  const cmd = parseMutantsArgs(argv, DEFECTS);
  if (cmd.list) {
    for (const d of cmd.defects) process.stdout.write(`${d.id.padEnd(40)} ${d.requirement.padEnd(7)} ${d.tags}\n    ${d.what}\n`);
    process.stdout.write(`${cmd.defects.length} defects\n`);
    return 0;
  }
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  const outDir = join(REPO_ROOT, 'reports', 'mutants');
  const logDir = join(outDir, stamp);
  mkdirSync(logDir, { recursive: true });
  const say = (line: string): void => void process.stdout.write(`${line}\n`);
  say(`mutants: ${cmd.defects.length} defects, logs in ${relative(process.cwd(), logDir)}/`);

  if (cmd.baseline) {
    const tags = unionTags(cmd.defects);
    const files = createMutant(REPO_ROOT, undefined, 'baseline');
    const t0 = Date.now();
    const r = await certify(files.profileFile, tags, join(logDir, 'baseline.log'));
    removeMutants(REPO_ROOT, 'baseline');
    if (interrupted) return 130;
    const failures = readFailures(r.runDir, '');
    say(`baseline (unmutated SBC, every selected tag): exit ${r.exitCode} in ${Math.round((Date.now() - t0) / 1000)} s${failures.failedIds.length ? `, failed ${failures.failedIds.join(', ')}` : ''}`);
    if (r.exitCode !== 0) {
      say(`the correct SBC does not pass the selected scenarios: no kill would mean anything. ${failures.message ?? ''}\n  see ${relative(process.cwd(), join(logDir, 'baseline.log'))}`);
      return 3;
    }
  }

  const results: MutantResult[] = [];
  for (const [i, d] of cmd.defects.entries()) {
    const logFile = join(logDir, `${d.id}.log`);
    let files: MutantFiles;
    try {
      files = createMutant(REPO_ROOT, d, d.id);
    } catch (err) {
      if (err instanceof DefectError) throw new Usage(err.message);
      throw err;
    }
    const t0 = Date.now();
    const r = await certify(files.profileFile, d.tags, logFile);
    removeMutants(REPO_ROOT, d.id);
    if (interrupted) return 130;
    const failures = readFailures(r.runDir, d.requirement);
    const result: MutantResult = {
      id: d.id,
      requirement: d.requirement,
      what: d.what,
      tags: d.tags,
      outcome: outcomeOf(r.exitCode),
      exitCode: r.exitCode,
      seconds: Math.round((Date.now() - t0) / 1000),
      failedIds: failures.failedIds,
      ownIdFailed: failures.failedIds.includes(d.requirement),
      ...(failures.message ? { message: failures.message } : {}),
      ...(r.runDir ? { runDir: relative(REPO_ROOT, r.runDir) } : {}),
      log: relative(REPO_ROOT, logFile),
    };
    results.push(result);
    const n = `[${String(i + 1).padStart(2)}/${cmd.defects.length}]`;
    const detail = result.outcome === 'error' ? `exit ${r.exitCode}, see ${result.log}` : result.failedIds.length ? `failed ${result.failedIds.join(', ')}${result.ownIdFailed ? '' : ` (not ${d.requirement})`}` : 'certified';
    say(`${n} ${result.outcome.padEnd(8)} ${d.id} (${d.requirement}) ${result.seconds} s: ${detail}${result.message && result.outcome === 'killed' ? `\n         ${result.message}` : ''}`);
  }

  const count = (o: Outcome): number => results.filter((r) => r.outcome === o).length;
  const killed = count('killed');
  const ratio = results.length === 0 ? 0 : (100 * killed) / results.length;
  const report = { stamp, command: `npm run mutants -- ${argv.join(' ')}`.trim(), total: results.length, killed, survived: count('survived'), errors: count('error'), killRatioPercent: Number(ratio.toFixed(1)), results };
  const reportFile = join(outDir, `${stamp}.json`);
  writeFileSync(reportFile, `${JSON.stringify(report, null, 2)}\n`);
  for (const r of results.filter((x) => x.outcome !== 'killed')) say(`  ${r.outcome}: ${r.id} (${r.requirement}): ${r.what}`);
  say(`kill ratio: ${killed}/${results.length} killed (${ratio.toFixed(1)} %), ${count('survived')} survived, ${count('error')} errors (errors count as not killed); report ${relative(process.cwd(), reportFile)}`);
  return killed === results.length ? 0 : 1;
}

function onSignal(signal: NodeJS.Signals): void {
  if (interrupted) return;
  interrupted = true;
  process.stdout.write(`\n${signal}: stopping the running certify (it tears its topology down), removing ${'.mutants/'}\n`);
  const c = child;
  if (!c) {
    removeMutants(REPO_ROOT);
    process.exit(130);
  }
  c.kill('SIGTERM');
  c.once('close', () => {
    removeMutants(REPO_ROOT);
    process.exit(130);
  });
}

if (process.argv[1] && /run-mutants\.ts$/.test(process.argv[1])) {
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  main(process.argv.slice(2)).then(
    (code) => {
      removeMutants(REPO_ROOT);
      process.exit(code);
    },
    (err: unknown) => {
      removeMutants(REPO_ROOT);
      if (err instanceof Usage) {
        process.stderr.write(`${err.message ? `mutants: ${err.message}\n\n` : ''}${USAGE}`);
        process.exit(2);
      }
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(3);
    },
  );
}
