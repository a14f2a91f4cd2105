/**
 * The certificate as data (certificate.json, described by certificate.schema.json beside this file):
 * who was certified, by which suite, where and when, with which tag filter, and per requirement the
 * verdict, the reason in plain words and the evidence files of every scenario. certificate-html.ts
 * renders it; nothing here reads the run's folders except through the options.
 */
import type { ScenarioResult } from './cucumber-results';
import type { EvidenceLink } from './evidence-files';
import { plainError, type PathContext } from './plain-words';
import { REQUIREMENTS } from './requirements';
import type { RobustnessSection } from './robustness';
import type { MachineFacts, SuiteFacts, SutFacts } from './run-facts';
import { certifiable, judgeRequirement, runComplete, scenarioOutcome, type JudgedScenario, type Outcome, type Verdict } from './verdicts';

/** Bumped when a field changes meaning or goes away; added optional fields keep the version. */
export const CERTIFICATE_VERSION = 1;

export type { Verdict } from './verdicts';

export interface ScenarioEntry {
  name: string;
  /** Feature file and line, e.g. "features/options.feature:6". */
  location: string;
  outcome: Outcome;
  /** Failed: the assertion's message in plain words. Incomplete: why it gave no answer. */
  reason?: string;
  /** Failed: the stack trace and the rest of a long message, paths removed. */
  details?: string;
  durationMs?: number;
  /** Every evidence file of the scenario, relative to the report folder. */
  evidence: EvidenceLink[];
}

export interface RequirementEntry {
  id: string;
  title: string;
  verdict: Verdict;
  /** One sentence: why this verdict. */
  reason: string;
  scenarios: ScenarioEntry[];
  /** Checks stricter than the requirement: shown, never counted in the verdict. */
  beyond: ScenarioEntry[];
}

export interface Certificate {
  version: typeof CERTIFICATE_VERSION;
  sut: SutFacts;
  suite: SuiteFacts;
  machine: MachineFacts;
  topology: { provider: string };
  run: {
    id: string;
    generatedAt: string;
    /** The cucumber tag expression the run was limited to; null: every scenario was selected. */
    tagFilter: string | null;
    /** Every scenario of the features ran and gave an answer. */
    complete: boolean;
    scenarios: { total: number; passed: number; failed: number; incomplete: number };
  };
  summary: { pass: number; fail: number; incomplete: number; text: string };
  requirements: RequirementEntry[];
  /** Run-wide evidence (captures and their audits, cucumber's report, logs), relative to the report folder. */
  runEvidence: EvidenceLink[];
  robustness?: RobustnessSection;
}

export interface CertificateInput {
  sut: SutFacts;
  suite: SuiteFacts;
  machine: MachineFacts;
  provider: string;
  runId: string;
  tagFilter?: string;
  scenarios: ScenarioResult[];
  runFinished: boolean;
  paths: PathContext;
  evidence?: (s: ScenarioResult) => EvidenceLink[];
  runEvidence?: EvidenceLink[];
  robustness?: RobustnessSection;
  now?: Date;
}

function entry(j: JudgedScenario, o: CertificateInput): ScenarioEntry {
  const s = j.scenario;
  const e: ScenarioEntry = {
    name: s.name,
    location: `${s.uri}${s.line ? `:${s.line}` : ''}`,
    outcome: j.outcome.outcome,
    evidence: o.evidence?.(s) ?? [],
  };
  if (s.startedAt !== undefined && s.finishedAt !== undefined) e.durationMs = Math.round(s.finishedAt - s.startedAt);
  if (j.outcome.outcome === 'failed') {
    const p = plainError(j.outcome.why, o.paths);
    e.reason = p.reason;
    if (p.details) e.details = p.details;
  } else if (j.outcome.why) e.reason = j.outcome.why;
  return e;
}

function requirementReason(verdict: Verdict, scenarios: ScenarioEntry[], runKnown: boolean): string {
  const n = scenarios.length;
  // No pickle at all: cucumber never got as far as loading the features, which says nothing of the suite's coverage.
  if (!runKnown) return 'not run: the acceptance run produced no results (no scenario was loaded)';
  if (n === 0) return 'no scenario of the suite checks this requirement';
  if (verdict === 'pass') return n === 1 ? 'its scenario ran and passed' : `all ${n} of its scenarios ran and passed`;
  if (verdict === 'fail') {
    const failed = scenarios.filter((s) => s.outcome === 'failed');
    const first = failed[0]!;
    return `${failed.length} of ${n} scenarios failed; first: "${first.name}": ${first.reason}`;
  }
  const missing = scenarios.filter((s) => s.outcome === 'incomplete');
  const reasons = [...new Set(missing.map((s) => s.reason ?? 'not run'))];
  return `${n === 1 ? 'its scenario' : `${missing.length} of ${n} scenarios`} gave no answer: ${reasons.join('; ')}`;
}

const list = (ids: string[]): string => ids.join(', ');

/** The line a customer reads first. */
export function summaryText(sut: SutFacts, requirements: RequirementEntry[], complete: boolean, tagFilter: string | null): string {
  const by = (v: Verdict): string[] => requirements.filter((r) => r.verdict === v).map((r) => r.id);
  const pass = by('pass');
  const fail = by('fail');
  const inc = by('incomplete');
  const who = `${sut.name}${sut.version ? ` ${sut.version}` : ''}`;
  const parts = [`${who} meets ${pass.length} of ${requirements.length} requirements`];
  if (fail.length) parts.push(`fails ${fail.length} (${list(fail)})`);
  if (inc.length) parts.push(`${inc.length} could not be fully checked (${list(inc)})`);
  let text = `${parts.join('; ')}.`;
  if (!complete) text += tagFilter ? ` This was a partial run, limited to the scenarios matching ${tagFilter}: it does not certify the SBC as a whole.` : ' Not every scenario gave an answer: this run does not certify the SBC as a whole.';
  return text;
}

export function buildCertificate(o: CertificateInput): Certificate {
  const requirements = Object.entries(REQUIREMENTS).map(([id, title]): RequirementEntry => {
    const judged = judgeRequirement(id, o.scenarios, o.tagFilter);
    const scenarios = judged.scenarios.map((j) => entry(j, o));
    return { id, title, verdict: judged.verdict, reason: requirementReason(judged.verdict, scenarios, o.scenarios.length > 0), scenarios, beyond: judged.beyond.map((j) => entry(j, o)) };
  });
  const outcomes = certifiable(o.scenarios).map((s) => scenarioOutcome(s, o.tagFilter).outcome);
  const complete = runComplete(o.scenarios, o.tagFilter, o.runFinished);
  const tagFilter = o.tagFilter ?? null;
  const count = (v: Verdict): number => requirements.filter((r) => r.verdict === v).length;
  return {
    version: CERTIFICATE_VERSION,
    sut: o.sut,
    suite: o.suite,
    machine: o.machine,
    topology: { provider: o.provider },
    run: {
      id: o.runId,
      generatedAt: (o.now ?? new Date()).toISOString(),
      tagFilter,
      complete,
      scenarios: {
        total: outcomes.length,
        passed: outcomes.filter((x) => x === 'passed').length,
        failed: outcomes.filter((x) => x === 'failed').length,
        incomplete: outcomes.filter((x) => x === 'incomplete').length,
      },
    },
    summary: { pass: count('pass'), fail: count('fail'), incomplete: count('incomplete'), text: summaryText(o.sut, requirements, complete, tagFilter) },
    requirements,
    runEvidence: o.runEvidence ?? [],
    ...(o.robustness ? { robustness: o.robustness } : {}),
  };
}
