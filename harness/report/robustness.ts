/**
 * The robustness run's summary (`<reportDir>/robustness/summary.json`, written by the malformed-message
 * corpus run) as a section of the certificate. A summary that does not have the expected shape is
 * shown as unreadable with the field named, never dropped and never a crash of the report.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

const counts = z.record(z.string(), z.number().int().nonnegative());

const summarySchema = z.object({
  version: z.union([z.number(), z.string()]),
  seed: z.union([z.number(), z.string()]),
  cases: z.number().int().nonnegative(),
  byAnswer: counts,
  byGroup: z.record(z.string(), z.object({ cases: z.number().int().nonnegative(), byAnswer: counts })),
  crashes: z.number().int().nonnegative(),
  coreMessagesOverLimit: z.number().int().nonnegative(),
  fiveXxForCallerFault: z.number().int().nonnegative(),
  callsLeftOpen: z.number().int().nonnegative(),
  cdrsMissing: z.number().int().nonnegative(),
  failures: z.array(z.object({ case: z.union([z.string(), z.number()]), why: z.string() })),
});

export type RobustnessSummary = z.infer<typeof summarySchema>;

export type RobustnessSection =
  | { file: string; summary: RobustnessSummary; verdict: 'pass' | 'fail' }
  | { file: string; error: string };

export const ROBUSTNESS_SUMMARY = 'robustness/summary.json';

/** The counters that each mean a defect when not zero, with the words the certificate uses. */
export const ROBUSTNESS_DEFECTS: readonly [keyof RobustnessSummary, string][] = [
  ['crashes', 'SBC crashes or restarts'],
  ['coreMessagesOverLimit', 'malformed messages relayed to the core'],
  ['fiveXxForCallerFault', '5xx answers to a caller\'s own fault'],
  ['callsLeftOpen', 'calls left open'],
  ['cdrsMissing', 'CDRs missing'],
];

export function parseRobustnessSummary(data: unknown, file: string): RobustnessSection {
  const r = summarySchema.safeParse(data);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`).join('; ');
    return { file, error: `the robustness summary is unreadable: ${issues}` };
  }
  const s = r.data;
  const bad = ROBUSTNESS_DEFECTS.some(([k]) => (s[k] as number) > 0) || s.failures.length > 0;
  return { file, summary: s, verdict: bad ? 'fail' : 'pass' };
}

/** Undefined when the run had no robustness stage. */
export function readRobustnessSection(reportDir: string): RobustnessSection | undefined {
  const path = join(reportDir, ROBUSTNESS_SUMMARY);
  if (!existsSync(path)) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    return { file: ROBUSTNESS_SUMMARY, error: `the robustness summary is not JSON: ${(err as Error).message}` };
  }
  return parseRobustnessSummary(data, ROBUSTNESS_SUMMARY);
}
