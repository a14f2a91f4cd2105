/**
 * Reads cucumber's message stream (the `message` formatter's ndjson) into one record per scenario of
 * the feature files, run or not.
 *
 * cucumber emits a `pickle` envelope for every scenario of every feature file it loads *before* it
 * applies the tag filter; only the selected ones get a `testCase`. So one run's ndjson names every
 * scenario that exists, and the certificate can tell "filtered out" from "ran" without a second parse
 * of the features (the dry-run test in cucumber-results.test.ts holds cucumber to that).
 */
import { existsSync, readFileSync } from 'node:fs';

export type StepStatus = 'passed' | 'failed' | 'skipped' | 'pending' | 'undefined' | 'ambiguous' | 'unknown';

/** A step marks a scenario it could not check (the profile lacks a capability, a precondition failed) with this attachment and returns 'skipped'. */
export const INCOMPLETE_MEDIA_TYPE = 'text/x.sbcx.incomplete';
/** The hooks attach the scenario's evidence folder (relative to the report folder) with this media type. */
export const EVIDENCE_MEDIA_TYPE = 'text/x.sbcx.evidence';

/** One scenario (pickle) of the feature files and what became of it in the run. */
export interface ScenarioResult {
  pickleId: string;
  name: string;
  /** The feature file, relative to the repository (as cucumber names it). */
  uri: string;
  /** Line of the scenario (or of its example row) in the feature file. */
  line?: number;
  /** Tags without '@'. */
  tags: string[];
  /** The tag filter selected it (cucumber made a test case of it). */
  selected: boolean;
  /** Its last attempt finished; `status` is then set. */
  finished: boolean;
  status?: StepStatus;
  /** The first failing (or worst) step's error message, stack included. */
  message?: string;
  /** Reasons the steps attached with INCOMPLETE_MEDIA_TYPE. */
  incomplete: string[];
  /** The evidence folder relative to the report folder, from the EVIDENCE_MEDIA_TYPE attachment. */
  evidenceDir?: string;
  /** Epoch milliseconds of the last attempt's start and end. */
  startedAt?: number;
  finishedAt?: number;
}

export interface CucumberRun {
  scenarios: ScenarioResult[];
  /** A testRunFinished envelope was seen: the stream is whole (not cut by a crash or an interrupt). */
  runFinished: boolean;
}

const RANK: StepStatus[] = ['passed', 'skipped', 'unknown', 'pending', 'undefined', 'ambiguous', 'failed'];

interface Timestamp {
  seconds: number;
  nanos: number;
}

interface Envelope {
  gherkinDocument?: { uri?: string; feature?: unknown };
  pickle?: { id: string; name: string; uri: string; tags: { name: string }[]; astNodeIds: string[] };
  testCase?: { id: string; pickleId: string };
  testCaseStarted?: { id: string; testCaseId: string; timestamp: Timestamp };
  testStepFinished?: { testCaseStartedId: string; testStepResult: { status: string; message?: string } };
  testCaseFinished?: { testCaseStartedId: string; willBeRetried: boolean; timestamp: Timestamp };
  attachment?: { testCaseStartedId?: string; body: string; mediaType: string; contentEncoding?: string };
  testRunFinished?: unknown;
}

interface Attempt {
  pickleId: string;
  at: number;
  status: StepStatus;
  message?: string;
  incomplete: string[];
  evidenceDir?: string;
}

const ms = (t: Timestamp): number => t.seconds * 1000 + t.nanos / 1e6;

/** Every {id, location.line} in a gherkin document (scenarios, example rows, rules), for pickle line numbers. */
function collectLines(node: unknown, into: Map<string, number>): void {
  if (Array.isArray(node)) {
    for (const n of node) collectLines(n, into);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const o = node as { id?: unknown; location?: { line?: unknown } };
  if (typeof o.id === 'string' && typeof o.location?.line === 'number') into.set(o.id, o.location.line);
  for (const v of Object.values(node)) if (v && typeof v === 'object') collectLines(v, into);
}

function bodyText(a: NonNullable<Envelope['attachment']>): string {
  return a.contentEncoding === 'BASE64' ? Buffer.from(a.body, 'base64').toString('utf8') : a.body;
}

/** Parses the ndjson text. A line that is not JSON (a stream cut mid-line) ends the reading: what came before stands. */
export function parseCucumberMessages(text: string): CucumberRun {
  const lines = new Map<string, number>();
  const pickles: NonNullable<Envelope['pickle']>[] = [];
  const testCases = new Map<string, string>();
  const attempts = new Map<string, Attempt>();
  const results = new Map<string, ScenarioResult>();
  let runFinished = false;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let e: Envelope;
    try {
      e = JSON.parse(line) as Envelope;
    } catch {
      break;
    }
    if (e.gherkinDocument) collectLines(e.gherkinDocument.feature, lines);
    else if (e.pickle) pickles.push(e.pickle);
    else if (e.testCase) testCases.set(e.testCase.id, e.testCase.pickleId);
    else if (e.testCaseStarted) {
      attempts.set(e.testCaseStarted.id, { pickleId: testCases.get(e.testCaseStarted.testCaseId) ?? '', at: ms(e.testCaseStarted.timestamp), status: 'passed', incomplete: [] });
    } else if (e.attachment?.testCaseStartedId) {
      const a = attempts.get(e.attachment.testCaseStartedId);
      if (!a) continue;
      if (e.attachment.mediaType === INCOMPLETE_MEDIA_TYPE) a.incomplete.push(bodyText(e.attachment).trim());
      else if (e.attachment.mediaType === EVIDENCE_MEDIA_TYPE) a.evidenceDir = bodyText(e.attachment).trim();
    } else if (e.testStepFinished) {
      const a = attempts.get(e.testStepFinished.testCaseStartedId);
      if (!a) continue;
      const status = e.testStepFinished.testStepResult.status.toLowerCase() as StepStatus;
      if (RANK.indexOf(status) > RANK.indexOf(a.status)) {
        a.status = status;
        a.message = e.testStepFinished.testStepResult.message;
      }
    } else if (e.testCaseFinished && !e.testCaseFinished.willBeRetried) {
      const a = attempts.get(e.testCaseFinished.testCaseStartedId);
      if (!a) continue;
      results.set(a.pickleId, {
        pickleId: a.pickleId, name: '', uri: '', tags: [], selected: true, finished: true,
        status: a.status, message: a.message, incomplete: a.incomplete, evidenceDir: a.evidenceDir,
        startedAt: a.at, finishedAt: ms(e.testCaseFinished.timestamp),
      });
    } else if (e.testRunFinished) runFinished = true;
  }
  const selected = new Set(testCases.values());
  const started = new Map<string, Attempt>();
  for (const a of attempts.values()) started.set(a.pickleId, a);
  const scenarios = pickles.map((p): ScenarioResult => {
    const base = {
      pickleId: p.id,
      name: p.name,
      uri: p.uri,
      line: lines.get(p.astNodeIds[p.astNodeIds.length - 1] ?? ''),
      tags: p.tags.map((t) => t.name.replace(/^@/, '')),
    };
    const done = results.get(p.id);
    if (done) return { ...done, ...base };
    // Selected but never finished: the run stopped (crash, interrupt) during or before it.
    const a = started.get(p.id);
    return { ...base, selected: selected.has(p.id), finished: false, incomplete: a?.incomplete ?? [], evidenceDir: a?.evidenceDir, startedAt: a?.at };
  });
  return { scenarios, runFinished };
}

export function readCucumberMessages(file: string): CucumberRun {
  if (!existsSync(file)) return { scenarios: [], runFinished: false };
  return parseCucumberMessages(readFileSync(file, 'utf8'));
}
