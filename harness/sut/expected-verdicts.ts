import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * A SUT's expected verdicts (`topology/suts/<sut>/expected.json`: `{ "GEN-01": "pass", ... }`) against
 * the certificate a run produced. CI certifies a second SBC and fails when its verdicts move in either
 * direction: a requirement that starts passing is as much news as one that starts failing (the
 * expectation is regenerated from the new certificate once the change is understood).
 */
export const EXPECTED_VERDICTS = ['pass', 'fail', 'incomplete'] as const;
export type ExpectedVerdict = (typeof EXPECTED_VERDICTS)[number];

const expectedSchema = z.record(z.string().regex(/^[A-Z]+-\d{2}$/, 'expected a requirement ID like GEN-01'), z.enum(EXPECTED_VERDICTS));
const certificateSchema = z.object({ requirements: z.array(z.object({ id: z.string().min(1), verdict: z.string().min(1) }).passthrough()) }).passthrough();

export interface VerdictDifference {
  id: string;
  /** Undefined: the certificate has an ID the expectation does not mention. */
  expected?: ExpectedVerdict | undefined;
  /** Undefined: the certificate lacks an ID the expectation names. */
  actual?: string | undefined;
}

export class ExpectedVerdictsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExpectedVerdictsError';
  }
}

function parse<T>(schema: z.ZodType<T>, text: string, file: string): T {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ExpectedVerdictsError(`${file}: not valid JSON: ${(err as Error).message}`);
  }
  const r = schema.safeParse(data);
  if (!r.success) throw new ExpectedVerdictsError(`${file}: ${r.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`).join('; ')}`);
  return r.data;
}

export function parseExpected(text: string, file: string): Record<string, ExpectedVerdict> {
  return parse(expectedSchema, text, file);
}

export function parseCertificateVerdicts(text: string, file: string): Map<string, string> {
  const cert = parse(certificateSchema, text, file);
  const out = new Map<string, string>();
  for (const r of cert.requirements) {
    if (out.has(r.id)) throw new ExpectedVerdictsError(`${file}: requirement ${r.id} appears twice`);
    out.set(r.id, r.verdict);
  }
  return out;
}

/** Every ID whose verdict differs, is missing from the certificate, or is not in the expectation; sorted by ID. */
export function compareVerdicts(expected: Record<string, ExpectedVerdict>, actual: Map<string, string>): VerdictDifference[] {
  const ids = [...new Set([...Object.keys(expected), ...actual.keys()])].sort();
  return ids
    .map((id) => ({ id, expected: expected[id], actual: actual.get(id) }))
    .filter((d) => d.expected !== d.actual);
}

/** One line per difference, for the command line and CI logs. */
export function describeDifferences(diffs: VerdictDifference[]): string[] {
  return diffs.map((d) =>
    d.actual === undefined ? `${d.id}: expected ${d.expected}, not in the certificate`
      : d.expected === undefined ? `${d.id}: ${d.actual} in the certificate, not in the expected verdicts`
        : `${d.id}: expected ${d.expected}, got ${d.actual}`);
}

/** Reads both files and compares them (what `certify --expect FILE` runs after the certificate is written). */
export function compareFiles(certificateFile: string, expectedFile: string): VerdictDifference[] {
  const read = (file: string): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new ExpectedVerdictsError(`${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  return compareVerdicts(parseExpected(read(expectedFile), expectedFile), parseCertificateVerdicts(read(certificateFile), certificateFile));
}
