/**
 * Run-wide checks: verdicts an AfterAll hook reaches from the whole run's evidence (GEN-03's audit of
 * everything the public side received), rather than a scenario that depends on file order and tag
 * filters. The hook writes them to RUN_CHECKS_FILE; the certificate, JUnit and the command line judge
 * each as one more scenario of the requirement it serves.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import type { ScenarioResult } from './cucumber-results';

export const RUN_CHECKS_FILE = 'capture/run-checks.json';

const runCheck = z.object({
  /** The requirement it serves (`GEN-03`). */
  id: z.string().regex(/^[A-Z]+-\d+$/),
  /** What it checks, in the words of a scenario name. */
  name: z.string().min(1),
  outcome: z.enum(['passed', 'failed', 'incomplete']),
  /** Failed: what was found; incomplete: why nothing could be judged. */
  message: z.string().optional(),
  /** Its evidence folder, relative to the report folder. */
  evidenceDir: z.string().optional(),
  startedAt: z.number(),
  finishedAt: z.number(),
});
export type RunCheck = z.infer<typeof runCheck>;

export function writeRunChecks(reportDir: string, checks: RunCheck[]): string {
  const file = join(reportDir, RUN_CHECKS_FILE);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(checks, null, 2)}\n`);
  return file;
}

/** The run checks of a report folder as scenario results; none when the run wrote none. */
export function readRunChecks(reportDir: string): ScenarioResult[] {
  const file = join(reportDir, RUN_CHECKS_FILE);
  if (!existsSync(file)) return [];
  let checks: RunCheck[];
  try {
    checks = z.array(runCheck).parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch (err) {
    // A suite bug, not the SBC's: the requirement cannot be judged, so it is reported incomplete.
    return [{
      pickleId: 'run-check-unreadable', name: 'The run-wide checks', uri: RUN_CHECKS_FILE, tags: [], selected: true, finished: true,
      status: 'unknown', message: `${RUN_CHECKS_FILE} is unreadable: ${err instanceof Error ? err.message : String(err)}`, incomplete: [],
    }];
  }
  return checks.map((c, i): ScenarioResult => ({
    pickleId: `run-check-${i}-${c.id}`,
    name: c.name,
    uri: RUN_CHECKS_FILE,
    tags: [c.id],
    selected: true,
    finished: true,
    status: c.outcome === 'incomplete' ? 'skipped' : c.outcome,
    ...(c.outcome === 'failed' && c.message ? { message: c.message } : {}),
    incomplete: c.outcome === 'incomplete' ? [c.message ?? 'no reason given'] : [],
    ...(c.evidenceDir ? { evidenceDir: c.evidenceDir } : {}),
    startedAt: c.startedAt,
    finishedAt: c.finishedAt,
  }));
}
