import { copyFileSync, existsSync } from 'node:fs';
import { basename, join } from 'node:path';

/** One bring-up step, timed and logged as `topology: <what> (<ms> ms)`: the same line for every provider. */
export function timedSteps(log: (line: string) => void): <T>(what: string, fn: () => Promise<T>) => Promise<T> {
  return async (what, fn) => {
    const t0 = Date.now();
    const r = await fn();
    log(`topology: ${what} (${Date.now() - t0} ms)`);
    return r;
  };
}

/**
 * Copies the run directory's logs that are evidence into the report's topology folder before the run
 * directory goes (paths relative to the run directory; PostgreSQL's restart log keeps its subject in its name).
 */
export function keepRunLogs(runDir: string, topoDir: string, files: string[]): void {
  for (const f of files) {
    const src = join(runDir, f);
    if (existsSync(src)) copyFileSync(src, join(topoDir, basename(f).replace('restart.log', 'postgres-restart.log')));
  }
}
