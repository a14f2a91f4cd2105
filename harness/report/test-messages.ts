/**
 * Test helper: cucumber message streams built envelope by envelope, shaped as cucumber 11's `message`
 * formatter writes them (pickles for every scenario, test cases only for the selected ones), so the
 * verdict rules are tested on exactly the input a run gives them.
 */
import { INCOMPLETE_MEDIA_TYPE, EVIDENCE_MEDIA_TYPE, type ScenarioResult } from './cucumber-results';

export interface FakeScenario {
  name: string;
  tags: string[];
  uri?: string;
  /** undefined: filtered out (no test case); 'unfinished': started, never finished. */
  status?: 'passed' | 'failed' | 'skipped' | 'undefined' | 'pending' | 'ambiguous' | 'unfinished';
  message?: string;
  incomplete?: string[];
  evidenceDir?: string;
  /** Start, epoch seconds (default: one scenario per 10 s). */
  at?: number;
  seconds?: number;
}

const ts = (s: number): { seconds: number; nanos: number } => ({ seconds: Math.floor(s), nanos: Math.round((s % 1) * 1e9) });

/** The envelopes of a run over `scenarios` (in order); `finished: false` leaves out testRunFinished. */
export function fakeRun(scenarios: FakeScenario[], o: { finished?: boolean } = {}): object[] {
  const out: object[] = [{ meta: { protocolVersion: '27.0.0' } }];
  const byUri = new Map<string, FakeScenario[]>();
  for (const s of scenarios) byUri.set(s.uri ?? 'features/f.feature', [...(byUri.get(s.uri ?? 'features/f.feature') ?? []), s]);
  let n = 0;
  const ids = new Map<FakeScenario, string>();
  for (const [uri, list] of byUri) {
    const children = list.map((s, i) => {
      const id = `ast-${++n}`;
      ids.set(s, id);
      return { scenario: { id, name: s.name, location: { line: 3 + i * 5, column: 3 }, tags: [], steps: [] } };
    });
    out.push({ gherkinDocument: { uri, feature: { name: 'f', location: { line: 1, column: 1 }, children } } });
  }
  scenarios.forEach((s, i) => out.push({ pickle: { id: `p${i}`, name: s.name, uri: s.uri ?? 'features/f.feature', astNodeIds: [ids.get(s)], tags: s.tags.map((t) => ({ name: `@${t}` })), steps: [] } }));
  scenarios.forEach((s, i) => {
    if (s.status) out.push({ testCase: { id: `t${i}`, pickleId: `p${i}`, testSteps: [] } });
  });
  scenarios.forEach((s, i) => {
    if (!s.status) return;
    const at = s.at ?? 1_795_000_000 + i * 10;
    out.push({ testCaseStarted: { id: `s${i}`, testCaseId: `t${i}`, attempt: 0, timestamp: ts(at) } });
    if (s.evidenceDir) out.push({ attachment: { testCaseStartedId: `s${i}`, testStepId: 'h', body: s.evidenceDir, mediaType: EVIDENCE_MEDIA_TYPE, contentEncoding: 'IDENTITY' } });
    for (const r of s.incomplete ?? []) out.push({ attachment: { testCaseStartedId: `s${i}`, testStepId: 'x', body: r, mediaType: INCOMPLETE_MEDIA_TYPE, contentEncoding: 'IDENTITY' } });
    if (s.status === 'unfinished') return;
    out.push({ testStepFinished: { testCaseStartedId: `s${i}`, testStepId: 'a', testStepResult: { status: 'PASSED', duration: ts(0) }, timestamp: ts(at) } });
    if (s.status !== 'passed') {
      out.push({ testStepFinished: { testCaseStartedId: `s${i}`, testStepId: 'b', testStepResult: { status: s.status.toUpperCase(), message: s.message, duration: ts(0) }, timestamp: ts(at) } });
    }
    out.push({ testCaseFinished: { testCaseStartedId: `s${i}`, willBeRetried: false, timestamp: ts(at + (s.seconds ?? 2)) } });
  });
  if (o.finished !== false) out.push({ testRunFinished: { success: true, timestamp: ts(1_795_001_000) } });
  return out;
}

export const ndjson = (envelopes: object[]): string => `${envelopes.map((e) => JSON.stringify(e)).join('\n')}\n`;

/** A ScenarioResult as the reader returns it, for rules tested without a stream. */
export function result(name: string, tags: string[], o: Partial<ScenarioResult> = {}): ScenarioResult {
  return { pickleId: name, name, uri: 'features/f.feature', tags, selected: true, finished: true, status: 'passed', incomplete: [], startedAt: 0, finishedAt: 1000, ...o };
}
