import type { StepCost } from './sut-cost';
import type { EventLoopDelay } from './sut-metrics';
import { DEFAULT_MEDIA_LEVEL, evaluateMedia, type MediaLevel, type MediaSample } from './media-quality';

/**
 * The service level a capacity step must hold, and the verdict on one step's measurements. Pure: the
 * ramp controller and the unit tests feed it numbers, nothing here touches SIPp or the clock.
 */
export interface ServiceLevel {
  /** Highest share of failed calls among the calls a step created (0.001 = 0.1 %). */
  maxFailedRatio: number;
  /** Which percentile of call setup time (INVITE sent to 200 OK received) the limit applies to. */
  setupPercentile: SetupPercentile;
  /** Highest setup time at that percentile, in ms. */
  maxSetupMs: number;
  /** Highest share of retransmitted messages among all messages the caller sent and received. */
  maxRetransmissionRatio: number;
  /**
   * Lowest share of the target rate the caller must actually offer. Below it the generator (or the
   * machine) could not produce the load, so the step says nothing about that rate.
   */
  minOfferedRatio: number;
  /** Media quality of the probe calls; judged only when a step placed probes (DEFAULT_MEDIA_LEVEL when absent). */
  media?: MediaLevel;
}

export type SetupPercentile = 'p95' | 'p99';

/**
 * What operators accept before a rollout: at most 0.1 % failed calls, 99 % of calls set up within
 * 200 ms, at most 1 % retransmissions (the caller must also offer 90 % of the target rate, or the step
 * measured the generator, not the SBC).
 */
export const DEFAULT_SERVICE_LEVEL: Readonly<ServiceLevel> = Object.freeze({
  maxFailedRatio: 0.001,
  setupPercentile: 'p99',
  maxSetupMs: 200,
  maxRetransmissionRatio: 0.01,
  minOfferedRatio: 0.9,
});

/** The looser level of earlier releases (setup p95 <= 500 ms), reachable as `--slo legacy`. */
export const LEGACY_SERVICE_LEVEL: Readonly<ServiceLevel> = Object.freeze({
  ...DEFAULT_SERVICE_LEVEL,
  setupPercentile: 'p95',
  maxSetupMs: 500,
});

/** What one step measured, from the caller's point of view (the only view every SBC offers). */
export interface StepMeasurement {
  /** Calls per second the controller asked for. */
  targetCps: number;
  /** Calls per second the caller really started while it was starting calls. */
  offeredCps: number;
  /** Calls per second that completed successfully, over the same window. */
  successfulCps: number;
  callsCreated: number;
  callsSucceeded: number;
  callsFailed: number;
  /** Calls that had not ended when the caller was stopped (counted as failed by the verdict). */
  callsUnfinished: number;
  /** SIPp's failure reasons with their counts, e.g. { FailedUnexpectedMessage: 3 }. */
  failures: Record<string, number>;
  /** Setup time percentiles in ms; undefined when no call got as far as a 200 OK. */
  setupMs: { p50?: number; p95?: number; p99?: number; max?: number; mean?: number; samples: number };
  messages: number;
  retransmissions: number;
  /** Highest number of simultaneous calls the caller held during the step. */
  peakConcurrent: number;
  durationS: number;
  /** The same step seen by the core servers behind the SBC, when there are any. */
  core?: CoreTraffic;
  /** The step's media probe calls, when it placed any. */
  media?: MediaSample;
  /** What the step cost the SUT (CPU per call, memory per simultaneous call), from /proc of the SBC's namespace. */
  cost?: StepCost;
  /** The SUT's event-loop delay during the step, from its own metrics endpoint ("not reported" when it has none). */
  eventLoop?: EventLoopDelay;
  /**
   * What went wrong in the load generator itself during the step (e.g. the core servers' echo died):
   * the step cannot pass, and the reason says it was the generator, not the SUT.
   */
  generatorFaults?: string[];
}

export interface CoreTraffic {
  messages: number;
  /** Mostly the SBC's own retransmissions towards the core: a storm there is the SBC's. */
  retransmissions: number;
  /** Calls the core servers counted as failed (e.g. an aborted dialog). */
  failedCalls: number;
}

export type Verdict = 'pass' | 'fail';

export interface StepVerdict {
  verdict: Verdict;
  /** Why a step failed, one short sentence per violated limit; empty when it passed. */
  violations: string[];
}

export interface ExtraCheck {
  ok: boolean;
  violation: string;
}

const pct = (x: number): string => `${(x * 100).toFixed(x < 0.01 ? 2 : 1)} %`;

export function failedRatio(m: StepMeasurement): number {
  if (m.callsCreated === 0) return 1;
  return (m.callsFailed + m.callsUnfinished) / m.callsCreated;
}

/** Retransmissions among all messages on both sides of the SBC (the caller's and the core servers'). */
export function retransmissionRatio(m: StepMeasurement): number {
  const messages = m.messages + (m.core?.messages ?? 0);
  return messages === 0 ? 0 : (m.retransmissions + (m.core?.retransmissions ?? 0)) / messages;
}

/**
 * Judges a step against the service level. `extra` adds checks that only some step kinds have (the
 * concurrency step requires the target number of calls to be held at once).
 */
export function evaluateStep(m: StepMeasurement, sl: ServiceLevel, extra: ExtraCheck[] = []): StepVerdict {
  const violations: string[] = [];
  if (m.callsCreated === 0) violations.push('no call was created');
  // Says where to look: an SBC that drops a source (flood protection, block list) looks exactly like this.
  if (m.callsCreated > 0 && m.core?.messages === 0) violations.push('no message reached the core servers (is the caller blocked?)');
  const failed = failedRatio(m);
  if (m.callsCreated > 0 && failed > sl.maxFailedRatio) {
    const unfinished = m.callsUnfinished ? `, ${m.callsUnfinished} unfinished` : '';
    violations.push(`failed calls ${pct(failed)} > ${pct(sl.maxFailedRatio)} (${m.callsFailed} failed${unfinished} of ${m.callsCreated})`);
  }
  // A call the caller saw succeed can still have failed behind the SBC (a BYE never passed on, an ACK
  // too late, a dialog the core server gave up): the core servers' own count is judged by the same limit.
  const coreFailed = m.core && m.callsCreated > 0 ? m.core.failedCalls / m.callsCreated : 0;
  if (coreFailed > sl.maxFailedRatio) {
    violations.push(`the core servers counted ${m.core!.failedCalls} of ${m.callsCreated} calls failed (${pct(coreFailed)} > ${pct(sl.maxFailedRatio)})`);
  }
  const setup = m.setupMs[sl.setupPercentile];
  if (m.callsSucceeded > 0 && setup === undefined) violations.push('no setup time was measured');
  if (setup !== undefined && setup > sl.maxSetupMs) {
    violations.push(`setup time ${sl.setupPercentile} ${setup} ms > ${sl.maxSetupMs} ms`);
  }
  const retrans = retransmissionRatio(m);
  if (retrans > sl.maxRetransmissionRatio) {
    const core = m.core ? `; core side ${m.core.retransmissions} of ${m.core.messages}` : '';
    violations.push(`retransmissions ${pct(retrans)} of messages > ${pct(sl.maxRetransmissionRatio)} (caller side ${m.retransmissions} of ${m.messages}${core})`);
  }
  if (m.targetCps > 0 && m.offeredCps < m.targetCps * sl.minOfferedRatio) {
    violations.push(`caller offered only ${m.offeredCps.toFixed(1)} of ${m.targetCps} cps`);
  }
  if (m.media) violations.push(...evaluateMedia(m.media, sl.media ?? DEFAULT_MEDIA_LEVEL));
  for (const e of extra) if (!e.ok) violations.push(e.violation);
  for (const f of m.generatorFaults ?? []) violations.push(`generator fault, not the SUT's: ${f}`);
  return { verdict: violations.length === 0 ? 'pass' : 'fail', violations };
}

/**
 * Parses `key=value,...` overrides of the service level (CLI `--slo failed=0.5%,p99=300ms,loss=2%,jitter=20ms`).
 * `legacy` first starts from LEGACY_SERVICE_LEVEL instead of the default (`--slo legacy` or `legacy,failed=1%`).
 */
export function parseServiceLevel(text: string, base: ServiceLevel = DEFAULT_SERVICE_LEVEL): ServiceLevel {
  const parts = text.split(',').map((p) => p.trim()).filter(Boolean);
  const out = { ...(parts[0] === 'legacy' ? LEGACY_SERVICE_LEVEL : base) };
  if (parts[0] === 'legacy') parts.shift();
  for (const part of parts) {
    const m = /^(failed|p95|p99|retrans|offered|loss|jitter)=([0-9.]+)(%|ms)?$/.exec(part);
    if (!m) throw new Error(`service level: cannot read "${part}" (expected legacy, failed=0.1%, p99=200ms or p95=500ms, retrans=1%, offered=90%, loss=1%, jitter=30ms)`);
    const [, key, num, unit] = m;
    const v = Number(num);
    if (!Number.isFinite(v)) throw new Error(`service level: "${part}" is not a number`);
    const ratio = unit === '%' ? v / 100 : v;
    if (key === 'p95' || key === 'p99' || key === 'jitter') {
      if (unit === '%') throw new Error(`service level: ${key} is a time in ms, not "${part}"`);
      if (key === 'p95' || key === 'p99') {
        out.setupPercentile = key;
        out.maxSetupMs = v;
      }
      else out.media = { ...(out.media ?? DEFAULT_MEDIA_LEVEL), maxJitterP95Ms: v };
    } else if (unit === 'ms') {
      throw new Error(`service level: ${key} is a ratio, not "${part}"`);
    } else if (key === 'failed') out.maxFailedRatio = ratio;
    else if (key === 'retrans') out.maxRetransmissionRatio = ratio;
    else if (key === 'loss') out.media = { ...(out.media ?? DEFAULT_MEDIA_LEVEL), maxLossRatio: ratio };
    else out.minOfferedRatio = ratio;
  }
  return out;
}

/** `withMedia`: the run placed media probes, so their criterion applies too. */
export function describeServiceLevel(sl: ServiceLevel, withMedia = false): string {
  const text = `failed calls <= ${pct(sl.maxFailedRatio)}, setup ${sl.setupPercentile} <= ${sl.maxSetupMs} ms, retransmissions <= ${pct(sl.maxRetransmissionRatio)} of messages, offered >= ${pct(sl.minOfferedRatio)} of target`;
  if (!withMedia) return text;
  const media = sl.media ?? DEFAULT_MEDIA_LEVEL;
  return `${text}, media probes: loss <= ${pct(media.maxLossRatio)}, jitter p95 <= ${media.maxJitterP95Ms} ms, no damaged payload`;
}
