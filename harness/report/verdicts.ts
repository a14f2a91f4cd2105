/**
 * The verdict rules (DESIGN.md "Verdicts"). A requirement passes only when every one of its scenarios
 * ran and passed; it fails when one of them failed; otherwise it is incomplete, with a reason per
 * scenario that did not give an answer (filtered out by the tag filter, the profile lacks a capability,
 * a precondition was not met, the run stopped). Scenarios tagged @beyond check more than the
 * requirement says: they are reported apart and never change the requirement's verdict.
 */
import type { ScenarioResult } from './cucumber-results';

export type Verdict = 'pass' | 'fail' | 'incomplete';
export type Outcome = 'passed' | 'failed' | 'incomplete';

export const BEYOND_TAG = 'beyond';
/** Scenarios run only by `npm run capacity`: never part of a certificate. */
export const CAPACITY_TAG = 'capacity';

export interface ScenarioOutcome {
  outcome: Outcome;
  /** Failed: the step's raw error message (for plainError). Incomplete: the reason in plain words. */
  why?: string;
}

/** What one scenario says about the requirements it is tagged with. */
export function scenarioOutcome(s: ScenarioResult, tagFilter: string | undefined): ScenarioOutcome {
  if (!s.selected) {
    return { outcome: 'incomplete', why: tagFilter ? `not run: filtered out by the tag filter ${tagFilter}` : 'not run: not selected for this run' };
  }
  if (!s.finished) {
    return { outcome: 'incomplete', why: s.startedAt === undefined ? 'not run: the run stopped before this scenario started' : 'not finished: the run stopped during this scenario' };
  }
  switch (s.status) {
    case 'passed':
      return { outcome: 'passed' };
    case 'failed':
      return { outcome: 'failed', why: s.message };
    case 'skipped':
      return { outcome: 'incomplete', why: s.incomplete.length ? s.incomplete.join('; ') : 'skipped: no step said why' };
    default:
      // undefined, pending, ambiguous: the suite could not check, which says nothing about the SBC.
      return { outcome: 'incomplete', why: `not checked: the suite has a ${s.status ?? 'unknown'} step in this scenario` };
  }
}

export interface JudgedScenario {
  scenario: ScenarioResult;
  outcome: ScenarioOutcome;
  beyond: boolean;
}

export interface RequirementVerdict {
  id: string;
  verdict: Verdict;
  /** The scenarios that decide the verdict, in feature-file order. */
  scenarios: JudgedScenario[];
  /** "Beyond the requirement" scenarios tagged with this ID: shown, not counted. */
  beyond: JudgedScenario[];
}

/** Scenarios that belong on a certificate: every pickle of the features except the capacity ones. */
export function certifiable(scenarios: ScenarioResult[]): ScenarioResult[] {
  return scenarios.filter((s) => !s.tags.includes(CAPACITY_TAG));
}

export function judgeRequirement(id: string, scenarios: ScenarioResult[], tagFilter: string | undefined): RequirementVerdict {
  const mine = certifiable(scenarios)
    .filter((s) => s.tags.includes(id))
    .map((s): JudgedScenario => ({ scenario: s, outcome: scenarioOutcome(s, tagFilter), beyond: s.tags.includes(BEYOND_TAG) }));
  const deciding = mine.filter((j) => !j.beyond);
  let verdict: Verdict;
  if (deciding.some((j) => j.outcome.outcome === 'failed')) verdict = 'fail';
  else if (deciding.length > 0 && deciding.every((j) => j.outcome.outcome === 'passed')) verdict = 'pass';
  else verdict = 'incomplete';
  return { id, verdict, scenarios: deciding, beyond: mine.filter((j) => j.beyond) };
}

/**
 * The run was complete when every certifiable scenario was selected and finished with an answer
 * (passed or failed): no tag filter left one out, no step skipped one, the run did not stop early.
 */
export function runComplete(scenarios: ScenarioResult[], tagFilter: string | undefined, runFinished: boolean): boolean {
  const all = certifiable(scenarios);
  return runFinished && all.length > 0 && all.every((s) => scenarioOutcome(s, tagFilter).outcome !== 'incomplete');
}
