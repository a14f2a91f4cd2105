import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

/** Whether a usable sipp binary is on PATH. */
export function hasSipp(): boolean {
  const r = spawnSync('sipp', ['-v'], { encoding: 'utf8' });
  return r.error === undefined;
}

export interface SippRun {
  child: ChildProcess;
  /** Resolves with the exit code (null when killed). */
  exited: Promise<number | null>;
  output(): string;
}

/** Starts sipp with `args` in `cwd` (its logs land there). */
export function startSipp(args: string[], cwd: string): SippRun {
  const child = spawn('sipp', [...args, '-nostdin', '-trace_err'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => out };
}

/** Stops a sipp started by this test, by its own pid. */
export async function stopSipp(run: SippRun): Promise<void> {
  if (run.child.exitCode !== null || run.child.signalCode !== null) return;
  run.child.kill('SIGTERM');
  const timer = setTimeout(() => run.child.kill('SIGKILL'), 2000);
  await run.exited;
  clearTimeout(timer);
}
