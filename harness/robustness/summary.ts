import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CorpusCase } from './corpus';
import type { CoreAudit, CoreCall } from './core-audit';
import type { CaseOutcome, ProbeRecord } from './fire';

/**
 * The figures of one robustness run, as `<reportDir>/robustness/summary.json` (version 1; the
 * certificate renders it): counts by answer and by case group, and the five verdicts of issue 11,
 * each with the cases that broke it in `failures`.
 */
export interface RobustnessSummary {
  version: 1;
  seed: number;
  cases: number;
  byAnswer: Record<string, number>;
  byGroup: Record<string, { cases: number; byAnswer: Record<string, number> }>;
  /** The SBC process gone or replaced, or a health probe (OPTIONS within 2 s) unanswered. */
  crashes: number;
  coreMessagesOverLimit: number;
  fiveXxForCallerFault: number;
  callsLeftOpen: number;
  /** Completed calls without a CDR row; null when the profile has no CDR query (not checked). */
  cdrsMissing: number | null;
  failures: Array<{ case: string; why: string }>;
  /** Beyond the version 1 shape: what the verdicts were computed from. */
  detail: {
    unanswered: number;
    coreMessagesChecked: number;
    coreMessagesMalformed: number;
    callsCompleted: number;
    byTransport: Record<string, number>;
    probes: { sent: number; failed: number };
    startedAt: string;
    durationS: number;
  };
}

export interface SummaryInput {
  seed: number;
  corpus: readonly CorpusCase[];
  outcomes: readonly CaseOutcome[];
  probes: readonly ProbeRecord[];
  /** Process restarts or losses seen by the profile's health (pid changed, gone). */
  processLost: number;
  coreAudit: CoreAudit;
  coreCalls: readonly CoreCall[];
  /** Ids of completed cases without a CDR; undefined when CDRs could not be checked. */
  cdrsMissing: readonly string[] | undefined;
  startedAt: number;
  endedAt: number;
}

/** Failures listed one by one up to this many; the counts always cover every case. */
const MAX_LISTED = 500;

export function buildSummary(i: SummaryInput): RobustnessSummary {
  const failures: Array<{ case: string; why: string }> = [];
  const fail = (c: string, why: string): void => void failures.push({ case: c, why });
  const byCase = new Map(i.corpus.map((c) => [c.index, c]));
  const byNumber = new Map(i.corpus.map((c) => [c.number, c]));
  const byAnswer: Record<string, number> = {};
  const byGroup: RobustnessSummary['byGroup'] = {};
  let unanswered = 0;
  let fiveXx = 0;
  for (const o of i.outcomes) {
    const c = byCase.get(o.index);
    byAnswer[o.answer] = (byAnswer[o.answer] ?? 0) + 1;
    const g = (byGroup[o.group] ??= { cases: 0, byAnswer: {} });
    g.cases++;
    g.byAnswer[o.answer] = (g.byAnswer[o.answer] ?? 0) + 1;
    const documented = c?.dropAllowed ?? (o.transport === 'tls' ? c?.streamDropAllowed : undefined);
    if (!/^\d+$/.test(o.answer) && !documented) {
      unanswered++;
      fail(o.id, o.answer === 'dropped' ? `no answer at all to ${c?.claim ?? 'the case'} over ${o.transport.toUpperCase()}`
        : o.answer === 'no-final' ? `provisional ${o.statuses.join(',')} but no final answer`
          : o.answer === 'closed' ? `TLS connection closed without an answer to ${c?.claim ?? 'the case'}` : o.answer);
    }
    const status = Number(o.answer);
    if (c?.callerFault && status >= 500 && status < 600 && !c.allowedServerErrors.includes(status)) {
      fiveXx++;
      fail(o.id, `answered ${status} for the caller's fault (${c.claim})`);
    }
  }
  const caseOf = (number: string | undefined): string => (number && byNumber.get(number)?.id) || `core message${number ? ` for ${number}` : ''}`;
  for (const f of i.coreAudit.findings) fail(caseOf(f.number), `core server received ${f.kind === 'over-limit' ? 'a message over its limits' : 'a malformed message'} (${f.why}): ${f.first}`);

  // A call is open if its public leg's BYE was not accepted (481 means the SBC had already ended it)
  // or its core leg never ended; counted once per case.
  const open = new Map<string, string>();
  for (const o of i.outcomes) {
    if (!o.call) continue;
    const s = o.call.byeStatus;
    if (s === undefined || (s >= 300 && s !== 481)) open.set(o.id, `the caller's BYE got ${s ?? 'no answer'}`);
  }
  for (const call of i.coreCalls) if (!call.ended) open.set(caseOf(call.number), `core leg ${call.callId} to ${call.server} still open: ${call.how}`);
  for (const [c, why] of open) fail(c, `call left open: ${why}`);
  for (const id of i.cdrsMissing ?? []) fail(id, 'completed call without a CDR row');

  let probesFailed = 0;
  for (const p of i.probes) {
    if (p.ok) continue;
    probesFailed++;
    fail(`probe after ${p.afterCases} cases`, p.detail);
  }
  if (i.processLost > 0) fail('process', `the SBC process was lost or replaced ${i.processLost} time(s)`);
  const listed = failures.slice(0, MAX_LISTED);
  if (failures.length > MAX_LISTED) listed.push({ case: '...', why: `${failures.length - MAX_LISTED} more failures not listed` });
  return {
    version: 1,
    seed: i.seed,
    cases: i.outcomes.length,
    byAnswer: sortKeys(byAnswer),
    byGroup: Object.fromEntries(Object.entries(byGroup).sort(([a], [b]) => a.localeCompare(b)).map(([k, g]) => [k, { cases: g.cases, byAnswer: sortKeys(g.byAnswer) }])),
    crashes: i.processLost + probesFailed,
    coreMessagesOverLimit: i.coreAudit.overLimit,
    fiveXxForCallerFault: fiveXx,
    callsLeftOpen: open.size,
    cdrsMissing: i.cdrsMissing === undefined ? null : i.cdrsMissing.length,
    failures: listed,
    detail: {
      unanswered,
      coreMessagesChecked: i.coreAudit.checked,
      coreMessagesMalformed: i.coreAudit.malformed,
      callsCompleted: i.outcomes.filter((o) => o.call).length,
      byTransport: i.outcomes.reduce<Record<string, number>>((n, o) => ({ ...n, [o.transport]: (n[o.transport] ?? 0) + 1 }), {}),
      probes: { sent: i.probes.length, failed: probesFailed },
      startedAt: new Date(i.startedAt).toISOString(),
      durationS: Math.round((i.endedAt - i.startedAt) / 100) / 10,
    },
  };
}

function sortKeys(r: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true })));
}

/** Writes summary.json and every case's outcome (cases.jsonl) under `<reportDir>/robustness/`. */
export function writeSummary(reportDir: string, summary: RobustnessSummary, outcomes: readonly CaseOutcome[]): string {
  const dir = join(reportDir, 'robustness');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'summary.json');
  writeFileSync(file, `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(join(dir, 'cases.jsonl'), outcomes.map((o) => JSON.stringify(o)).join('\n') + '\n');
  return file;
}

/** One line per figure, for the scenario's notes and the terminal. */
export function describeSummary(s: RobustnessSummary): string {
  const answers = Object.entries(s.byAnswer).map(([k, n]) => `${k}:${n}`).join(' ');
  const transports = Object.entries(s.detail.byTransport).map(([k, n]) => `${n} ${k.toUpperCase()}`).join(', ');
  return [
    `robustness: ${s.cases} cases (${transports}; seed ${s.seed}) in ${s.detail.durationS} s; answers ${answers}`,
    `  crashes ${s.crashes}, core messages over the limits ${s.coreMessagesOverLimit} (of ${s.detail.coreMessagesChecked}; ${s.detail.coreMessagesMalformed} malformed), 5xx for the caller's fault ${s.fiveXxForCallerFault}, calls left open ${s.callsLeftOpen} (of ${s.detail.callsCompleted} completed), CDRs missing ${s.cdrsMissing ?? 'not checked'}, unanswered without a documented drop ${s.detail.unanswered}`,
  ].join('\n');
}
