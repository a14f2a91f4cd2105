import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { start, type Managed } from '../util/process';
import { describeOutcome, outcomeOf, type SippOutcome } from './exit-codes';
import { parseMessageLog, type TracedMessage } from './messages';
import { buildArgs, type SippOptions } from './options';
import { parseStats, type SippStats } from './stats';

export interface SippRun {
  /** A name for the evidence files, e.g. 'caller' or 'core-21'. */
  name: string;
  /** Evidence folder; the message trace, statistics, errors and screen output land here. */
  evidenceDir: string;
  /** Network namespace to run in (the zone the endpoint belongs to). */
  netns?: string;
  options: Omit<SippOptions, 'messageFile' | 'statFile' | 'errorFile'>;
  /** Kill SIPp if it has not ended by then (default 60 s): a hung peer never hangs the suite. */
  killAfterMs?: number;
}

export interface SippResult {
  name: string;
  exitCode: number | string;
  outcome: SippOutcome;
  /** One line for a failure message: outcome, counters and the first error lines. */
  summary: string;
  stats?: SippStats;
  messages: TracedMessage[];
  errors: string;
  files: { messages: string; stats: string; errors: string; output: string };
}

export interface SippInstance {
  name: string;
  proc: Managed;
  files: SippResult['files'];
  /** Messages traced so far (SIPp flushes its message log as it goes). */
  messages(): TracedMessage[];
  /** Stops the instance (SIGTERM, then SIGKILL) and returns what it did. */
  stop(): Promise<SippResult>;
  /** Waits for the instance to end by itself. */
  done(): Promise<SippResult>;
}

function filesFor(evidenceDir: string, name: string): SippResult['files'] {
  return {
    messages: join(evidenceDir, `${name}.messages.log`),
    stats: join(evidenceDir, `${name}.stats.csv`),
    errors: join(evidenceDir, `${name}.errors.log`),
    output: join(evidenceDir, `${name}.out.log`),
  };
}

const read = (f: string): string => (existsSync(f) ? readFileSync(f, 'utf8') : '');

function collect(name: string, code: number | string, files: SippResult['files']): SippResult {
  const outcome = outcomeOf(code);
  let stats: SippStats | undefined;
  let statsProblem = '';
  try {
    if (existsSync(files.stats)) stats = parseStats(read(files.stats));
  } catch (err) {
    statsProblem = (err as Error).message;
  }
  const errors = read(files.errors);
  const errorLines = errors.split('\n').filter((l) => l.trim() && !/^-+ /.test(l)).slice(0, 3);
  const output = read(files.output).split('\n').filter((l) => /error|fatal|unable|can't|cannot/i.test(l) && !/UDP errors/.test(l)).slice(0, 3);
  const parts = [`sipp ${name}: ${describeOutcome(outcome)} (exit ${code})`];
  if (stats) {
    const failures = Object.entries(stats.failures).map(([k, v]) => `${k}=${v}`).join(', ');
    parts.push(`calls created ${stats.totalCallsCreated}, succeeded ${stats.successfulCalls}, failed ${stats.failedCalls}${failures ? ` (${failures})` : ''}`);
  } else if (statsProblem) parts.push(statsProblem);
  if (errorLines.length) parts.push(`errors: ${errorLines.join(' | ')}`);
  if (output.length) parts.push(`output: ${output.join(' | ')}`);
  return { name, exitCode: code, outcome, summary: parts.join('; '), stats, messages: parseMessageLog(read(files.messages)), errors, files };
}

/** Starts SIPp; the instance is reaped by `stop()`, by `done()`, or by `reapAll()` at the latest. */
export function startSipp(r: SippRun): SippInstance {
  mkdirSync(r.evidenceDir, { recursive: true });
  const files = filesFor(r.evidenceDir, r.name);
  const args = buildArgs({ ...r.options, messageFile: files.messages, statFile: files.stats, errorFile: files.errors });
  const proc = start({ name: `sipp-${r.name}`, command: 'sipp', args, netns: r.netns, logFile: files.output, cwd: r.evidenceDir });
  const killer = setTimeout(() => void proc.stop(500), r.killAfterMs ?? 60000);
  const finished = proc.exited.then((code) => {
    clearTimeout(killer);
    return collect(r.name, code, files);
  });
  return {
    name: r.name,
    proc,
    files,
    messages: () => parseMessageLog(read(files.messages)),
    async stop() {
      await proc.stop(1000);
      return finished;
    },
    done: () => finished,
  };
}

/** Runs SIPp to completion (a caller with `calls` set, typically). */
export async function runSipp(r: SippRun): Promise<SippResult> {
  return startSipp(r).done();
}
