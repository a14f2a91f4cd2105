import { describe, expect, it } from 'vitest';
import { generateCorpus } from './corpus';
import type { CaseOutcome } from './fire';
import { buildSummary } from './summary';

const corpus = generateCorpus({ seed: 3, cases: 40, sbc: { ip: '203.0.113.10', port: 5060 }, numberPrefix: '+3120999', token: 'rbS' });
const outcome = (i: number, answer: string, call?: CaseOutcome['call']): CaseOutcome => {
  const c = corpus[i]!;
  return { id: c.id, index: i, group: c.group, mutation: c.mutation, method: c.method, transport: 'udp', source: '203.0.113.21:7100', bytes: 100, statuses: /^\d+$/.test(answer) ? [Number(answer)] : [], answer, ...(call ? { call } : {}) };
};
const emptyAudit = { checked: 10, overLimit: 0, malformed: 0, findings: [] };

describe('robustness summary', () => {
  it('counts answers by case and by group, in the version 1 shape', () => {
    const outcomes = corpus.map((c, i) => outcome(i, c.group === 'baseline' ? '200' : '400'));
    const s = buildSummary({ seed: 3, corpus, outcomes, probes: [{ afterCases: 40, ok: true, ms: 3, detail: 'ok' }], processLost: 0, coreAudit: emptyAudit, coreCalls: [], cdrsMissing: [], startedAt: 0, endedAt: 1000 });
    expect(s).toMatchObject({ version: 1, seed: 3, cases: 40, crashes: 0, coreMessagesOverLimit: 0, fiveXxForCallerFault: 0, callsLeftOpen: 0, cdrsMissing: 0, failures: [] });
    expect(s.byAnswer['400']! + s.byAnswer['200']!).toBe(40);
    expect(s.byGroup['baseline']).toEqual({ cases: 4, byAnswer: { 200: 4 } });
    expect(Object.values(s.byGroup).reduce((n, g) => n + g.cases, 0)).toBe(40);
  });

  it('fails a 5xx for the caller\'s fault, an undocumented drop, an open call, a missing CDR and a failed probe', () => {
    const mutated = corpus.findIndex((c) => c.group === 'oversize');
    const dropOk = corpus.findIndex((c) => c.dropAllowed !== undefined);
    const silent = corpus.findIndex((c, i) => c.group !== 'baseline' && !c.dropAllowed && i !== mutated);
    const outcomes = corpus.map((c, i) => outcome(i, '400'));
    outcomes[mutated] = outcome(mutated, '503');
    outcomes[silent] = outcome(silent, 'dropped');
    if (dropOk >= 0) outcomes[dropOk] = outcome(dropOk, 'dropped');
    outcomes[0] = outcome(0, '200', { callId: 'c0', byeStatus: 400 });
    const s = buildSummary({ seed: 3, corpus, outcomes, probes: [{ afterCases: 40, ok: false, ms: 2000, detail: 'OPTIONS unanswered' }], processLost: 0, coreAudit: emptyAudit, coreCalls: [], cdrsMissing: [corpus[0]!.id], startedAt: 0, endedAt: 1000 });
    expect(s.fiveXxForCallerFault).toBe(1);
    expect(s.detail.unanswered).toBe(1);
    expect(s.callsLeftOpen).toBe(1);
    expect(s.cdrsMissing).toBe(1);
    expect(s.crashes).toBe(1);
    expect(s.failures.map((f) => f.case)).toEqual(expect.arrayContaining([corpus[mutated]!.id, corpus[silent]!.id, corpus[0]!.id, 'probe after 40 cases']));
  });

  it('reports CDRs as not checked when the profile has no CDR query', () => {
    const s = buildSummary({ seed: 3, corpus, outcomes: [], probes: [], processLost: 0, coreAudit: emptyAudit, coreCalls: [], cdrsMissing: undefined, startedAt: 0, endedAt: 0 });
    expect(s.cdrsMissing).toBeNull();
  });
});
