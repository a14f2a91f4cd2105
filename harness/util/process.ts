import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync } from 'node:fs';

/** A process started by the suite, always reaped: see `stop()` and `reapAll()`. */
export interface Managed {
  name: string;
  child: ChildProcess;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  exited: Promise<number | string>;
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<Managed>();

export interface StartOptions {
  name: string;
  command: string;
  args: string[];
  /** Run inside this network namespace (`ip netns exec`), as root. */
  netns?: string;
  /** Run as this system user (`runuser -u`), e.g. postgres refuses to run as root. */
  user?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Append stdout and stderr to this file (evidence); otherwise they are discarded. */
  logFile?: string;
  /** Called with each stdout line (in addition to the log file). */
  onLine?: (line: string) => void;
  /** Keep a pipe to the child's stdin (`child.stdin`), for a child that takes requests line by line. */
  stdin?: boolean;
}

/** The argv that runs `command` in a namespace and/or as another user. */
export function wrapCommand(o: Pick<StartOptions, 'command' | 'args' | 'netns' | 'user'>): [string, string[]] {
  let argv = [o.command, ...o.args];
  if (o.user) argv = ['runuser', '-u', o.user, '--', ...argv];
  if (o.netns) argv = ['ip', 'netns', 'exec', o.netns, ...argv];
  return [argv[0]!, argv.slice(1)];
}

export function start(o: StartOptions): Managed {
  const [cmd, args] = wrapCommand(o);
  const opts: SpawnOptions = { cwd: o.cwd, env: o.env ?? process.env, stdio: [o.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] };
  const child = spawn(cmd, args, opts);
  // A child that exits while a request is being written is reported by `exited`, not as an error here.
  child.stdin?.on('error', () => undefined);
  const log = o.logFile ? createWriteStream(o.logFile, { flags: 'a' }) : undefined;
  let pending = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    log?.write(chunk);
    if (!o.onLine) return;
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) o.onLine(line);
  });
  child.stderr?.on('data', (chunk: Buffer) => log?.write(chunk));
  const exited = new Promise<number | string>((resolve) => {
    child.on('error', (err) => {
      log?.write(`spawn error: ${err.message}\n`);
      resolve(`error:${err.message}`);
    });
    child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  const managed: Managed = {
    name: o.name,
    child,
    exited,
    async stop(graceMs = 3000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(t);
      }
      live.delete(managed);
      await new Promise<void>((r) => (log ? log.end(r) : r()));
    },
  };
  void exited.then(() => live.delete(managed));
  live.add(managed);
  return managed;
}

/** Stops every process this module started that is still running. */
export async function reapAll(): Promise<void> {
  await Promise.all([...live].map((m) => m.stop(1500)));
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a short command to completion; rejects with its stderr when `check` and the exit code is not 0. */
export async function run(
  command: string,
  args: string[],
  o: { netns?: string; user?: string; check?: boolean; input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  const [cmd, argv] = wrapCommand({ command, args, netns: o.netns, user: o.user });
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: [o.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], env: o.env ?? process.env });
    let stdout = '';
    let stderr = '';
    const timer = o.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), o.timeoutMs) : undefined;
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) => {
      if (timer) clearTimeout(timer);
      reject(new Error(`${command}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const res = { code: code ?? (signal ? 128 : 1), stdout, stderr };
      if (o.check !== false && res.code !== 0) {
        reject(new Error(`${[cmd, ...argv].join(' ')} exited ${res.code}${signal ? ` (${signal})` : ''}: ${stderr.trim() || stdout.trim()}`));
      } else resolve(res);
    });
    if (child.stdin) {
      child.stdin.on('error', () => undefined); // a child that exits without reading its input is not our error
      child.stdin.end(o.input);
    }
  });
}

/** Polls `probe` until it returns true or the deadline passes; the error names what was awaited. */
export async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs: number, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    try {
      if (await probe()) return;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${lastError})` : ''}`);
}

/**
 * A /proc/<pid>/stat line split after the command name, which is in parentheses and may itself hold
 * spaces and parentheses: `fields[0]` is field 3 of proc(5) (the state), `fields[1]` the parent, ...
 */
export function splitProcStat(stat: string): { comm: string; fields: string[] } {
  const close = stat.lastIndexOf(')');
  return { comm: stat.slice(stat.indexOf('(') + 1, close), fields: stat.slice(close + 2).split(' ') };
}

/** Whether `pid` is gone or a zombie (killed, waiting for its parent to reap it). */
export function isGone(pid: number): boolean {
  try {
    return splitProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8')).fields[0] === 'Z';
  } catch {
    return true;
  }
}

/** Parent of every live process, from /proc (Linux). */
function parents(): Map<number, number> {
  const map = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      map.set(Number(entry), Number(splitProcStat(readFileSync(`/proc/${entry}/stat`, 'utf8')).fields[1]));
    } catch {
      // Exited while we read the table.
    }
  }
  return map;
}

/** `pid`'s children, grandchildren, ... (not `pid` itself). */
export function descendants(pid: number): number[] {
  const byParent = new Map<number, number[]>();
  for (const [child, parent] of parents()) byParent.set(parent, [...(byParent.get(parent) ?? []), child]);
  const out: number[] = [];
  const queue = [...(byParent.get(pid) ?? [])];
  while (queue.length) {
    const p = queue.shift()!;
    out.push(p);
    queue.push(...(byParent.get(p) ?? []));
  }
  return out;
}

const signal = (pid: number, sig: NodeJS.Signals): void => {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
};

/**
 * SIGKILLs `root`, every process it forked (children of children too) and `also()` (e.g. whatever else
 * runs in the SUT's namespace), except `keep`. A forking daemon's children hold its sockets, so one pid
 * is not enough; each is stopped first so that none forks a new child between the listing and the
 * kill. Resolves with the pids killed once every one of them is gone.
 */
export async function killTree(
  root: number | undefined,
  o: { also?: () => Promise<number[]>; keep?: readonly number[]; timeoutMs?: number } = {},
): Promise<number[]> {
  const keep = new Set([process.pid, ...(o.keep ?? [])]);
  const stopped = new Set<number>();
  for (let round = 0; round < 20; round++) {
    const found = [...(root === undefined ? [] : [root, ...descendants(root)]), ...(o.also ? await o.also() : [])]
      .filter((p) => !keep.has(p) && !stopped.has(p) && !isGone(p));
    if (found.length === 0) break;
    for (const p of found) {
      signal(p, 'SIGSTOP');
      stopped.add(p);
    }
  }
  for (const p of stopped) signal(p, 'SIGKILL');
  await waitUntil(`processes ${[...stopped].join(', ')} to die after SIGKILL`, () => Promise.resolve([...stopped].every(isGone)), o.timeoutMs ?? 5000, 20);
  return [...stopped];
}
