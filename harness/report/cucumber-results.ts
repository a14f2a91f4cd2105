import { readFileSync } from 'node:fs';

/** One scenario's outcome, read from cucumber's message stream (the `message` formatter's ndjson). */
export interface ScenarioResult {
  name: string;
  uri: string;
  tags: string[];
  status: 'passed' | 'failed' | 'skipped' | 'pending' | 'undefined' | 'ambiguous' | 'unknown';
  /** The first failing step's error message. */
  message?: string;
  durationMs: number;
}

const RANK: ScenarioResult['status'][] = ['passed', 'skipped', 'unknown', 'pending', 'undefined', 'ambiguous', 'failed'];

interface Envelope {
  pickle?: { id: string; name: string; uri: string; tags: { name: string }[] };
  testCase?: { id: string; pickleId: string };
  testCaseStarted?: { id: string; testCaseId: string; timestamp: { seconds: number; nanos: number } };
  testStepFinished?: { testCaseStartedId: string; testStepResult: { status: string; message?: string } };
  testCaseFinished?: { testCaseStartedId: string; willBeRetried: boolean; timestamp: { seconds: number; nanos: number } };
}

export function readCucumberMessages(file: string): ScenarioResult[] {
  const pickles = new Map<string, NonNullable<Envelope['pickle']>>();
  const testCases = new Map<string, string>();
  const started = new Map<string, { pickleId: string; at: number; status: ScenarioResult['status']; message?: string }>();
  const results: ScenarioResult[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const e = JSON.parse(line) as Envelope;
    if (e.pickle) pickles.set(e.pickle.id, e.pickle);
    else if (e.testCase) testCases.set(e.testCase.id, e.testCase.pickleId);
    else if (e.testCaseStarted) {
      const t = e.testCaseStarted.timestamp;
      started.set(e.testCaseStarted.id, { pickleId: testCases.get(e.testCaseStarted.testCaseId) ?? '', at: t.seconds * 1000 + t.nanos / 1e6, status: 'passed' });
    } else if (e.testStepFinished) {
      const s = started.get(e.testStepFinished.testCaseStartedId);
      if (!s) continue;
      const status = e.testStepFinished.testStepResult.status.toLowerCase() as ScenarioResult['status'];
      if (RANK.indexOf(status) > RANK.indexOf(s.status)) {
        s.status = status;
        s.message = e.testStepFinished.testStepResult.message;
      }
    } else if (e.testCaseFinished && !e.testCaseFinished.willBeRetried) {
      const s = started.get(e.testCaseFinished.testCaseStartedId);
      const p = s && pickles.get(s.pickleId);
      if (!s || !p) continue;
      const t = e.testCaseFinished.timestamp;
      results.push({
        name: p.name,
        uri: p.uri,
        tags: p.tags.map((x) => x.name.replace(/^@/, '')),
        status: s.status,
        message: s.message,
        durationMs: Math.round(t.seconds * 1000 + t.nanos / 1e6 - s.at),
      });
    }
  }
  return results;
}
