import type { Verdict } from './service-level';

/**
 * The search for the highest load that still meets the service level, for any load variable (calls
 * per second, simultaneous calls). Three phases, each bounded:
 * - ramp: from `start`, multiply by `growth` while steps pass, up to `max`;
 * - probe down: when the very first step fails, halve until one passes (or `min` is reached);
 * - bisect: between the last passing and the first failing value, `bisectSteps` times at most, while
 *   the gap is wider than `resolution`.
 * Pure apart from awaiting `run`: the caller supplies the step and the clock, so tests drive it with a
 * fake system and a fake clock.
 */
export type SearchPhase = 'ramp' | 'probe-down' | 'bisect';

export type StopReason =
  /** A failing value was found and the gap to the passing one is as narrow as allowed. */
  | 'limit-found'
  /** Every value up to `max` passed: the SUT holds at least `max`. */
  | 'max-reached'
  /** Even `min` failed. */
  | 'min-failed'
  | 'budget'
  | 'step-limit';

export interface SearchOptions {
  start: number;
  growth: number;
  max: number;
  min: number;
  bisectSteps: number;
  /** Stop bisecting when the failing and passing values are this close. */
  resolution: number;
  /** Most steps in total, whatever the budget says. */
  maxSteps: number;
  /** Rounds a proposed value to one the step can run (e.g. whole calls). */
  round: (x: number) => number;
  /** How long a step at this value will take, in seconds, to check it fits in the budget. */
  estimateS: (value: number) => number;
}

export interface Budget {
  /** Epoch ms after which no step may still be running. */
  deadline: number;
  now: () => number;
}

export interface SearchResult<T> {
  steps: T[];
  /** The highest passing value and its step. */
  best?: { value: number; step: T };
  /** The lowest failing value above `best`, if one was seen. */
  firstFail?: { value: number; step: T };
  stoppedBy: StopReason;
}

export type RunStep<T> = (value: number, phase: SearchPhase) => Promise<T>;

export function validateSearchOptions(o: SearchOptions): void {
  const problems: string[] = [];
  if (!(o.min > 0)) problems.push(`min must be > 0 (got ${o.min})`);
  if (!(o.start >= o.min)) problems.push(`start ${o.start} must be >= min ${o.min}`);
  if (!(o.max >= o.start)) problems.push(`max ${o.max} must be >= start ${o.start}`);
  if (!(o.growth > 1)) problems.push(`growth must be > 1 (got ${o.growth})`);
  if (!(o.maxSteps >= 1)) problems.push(`maxSteps must be >= 1 (got ${o.maxSteps})`);
  if (!(o.bisectSteps >= 0)) problems.push(`bisectSteps must be >= 0 (got ${o.bisectSteps})`);
  if (problems.length) throw new Error(`capacity search: ${problems.join('; ')}`);
}

/** The next value to try and its phase, or why the search is over. Exported for the tests. */
export function nextValue(
  o: SearchOptions,
  s: { pass?: number; fail?: number; bisects: number },
): { value: number; phase: SearchPhase } | { done: StopReason } {
  if (s.fail === undefined) {
    if (s.pass === undefined) return { value: o.round(o.start), phase: 'ramp' };
    if (s.pass >= o.max) return { done: 'max-reached' };
    const grown = Math.min(o.max, o.round(s.pass * o.growth));
    // Rounding may stall growth at small values; always move up by at least one unit of rounding.
    return { value: grown > s.pass ? grown : Math.min(o.max, o.round(s.pass + 1)), phase: 'ramp' };
  }
  if (s.pass === undefined) {
    const half = o.round(s.fail / 2);
    if (s.fail <= o.min || half < o.min) return { done: 'min-failed' };
    return { value: half >= s.fail ? o.min : half, phase: 'probe-down' };
  }
  if (s.bisects >= o.bisectSteps || s.fail - s.pass <= o.resolution) return { done: 'limit-found' };
  const mid = o.round((s.pass + s.fail) / 2);
  if (mid <= s.pass || mid >= s.fail) return { done: 'limit-found' };
  return { value: mid, phase: 'bisect' };
}

export async function searchMaximum<T extends { verdict: Verdict }>(o: SearchOptions, budget: Budget, run: RunStep<T>): Promise<SearchResult<T>> {
  validateSearchOptions(o);
  const steps: T[] = [];
  const state: { pass?: number; fail?: number; bisects: number } = { bisects: 0 };
  let best: SearchResult<T>['best'];
  let firstFail: SearchResult<T>['firstFail'];
  const result = (stoppedBy: StopReason): SearchResult<T> => ({ steps, best, firstFail, stoppedBy });
  while (true) {
    const next = nextValue(o, state);
    if ('done' in next) return result(next.done);
    if (steps.length >= o.maxSteps) return result('step-limit');
    if (budget.now() + o.estimateS(next.value) * 1000 > budget.deadline) return result('budget');
    const step = await run(next.value, next.phase);
    steps.push(step);
    if (next.phase === 'bisect') state.bisects++;
    if (step.verdict === 'pass') {
      state.pass = next.value;
      best = { value: next.value, step };
    } else {
      // Every value tried is below the lowest failure so far, so the latest failure is the lowest.
      state.fail = next.value;
      firstFail = { value: next.value, step };
    }
  }
}

/** Whole calls per second above 10, halves below (SIPp takes fractional rates). */
export function roundRate(x: number): number {
  return x >= 10 ? Math.round(x) : Math.max(0.5, Math.round(x * 2) / 2);
}

/** Simultaneous calls rounded to a "nice" number of two significant digits. */
export function roundCalls(x: number): number {
  if (x < 10) return Math.max(1, Math.round(x));
  const unit = 10 ** (Math.floor(Math.log10(x)) - 1);
  return Math.round(x / unit) * unit;
}
