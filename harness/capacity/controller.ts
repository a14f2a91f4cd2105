import { evaluateStep, retransmissionRatio, failedRatio, type ServiceLevel, type StepMeasurement, type Verdict } from './service-level';
import { roundCalls, roundRate, searchMaximum, type Budget, type SearchPhase, type SearchResult } from './search';
import type { CallerPlan, CallerRun, HostLoad } from './load-generator';
import { mediaText, probeWindow, type MediaSample, type ProbeWindow } from './media-quality';
import { eventLoopText } from './sut-metrics';

/**
 * The ramp controller: first the call-rate search (short calls at rising rates), then the concurrency
 * search (long calls, rising numbers held at once), both inside one time budget. It knows the load only
 * through a `CallerDriver`, so tests drive it with a simulated SBC.
 */
export interface CallerDriver {
  runCaller(plan: CallerPlan): Promise<CallerRun>;
  /** False when an answering server behind the SBC died: every later step would be meaningless. */
  coreAlive(): boolean;
  /**
   * Places the step's media probe calls alongside the load (after `window.delayMs`) and measures them;
   * absent when the run cannot place any.
   */
  probeMedia?(stepName: string, window: ProbeWindow): Promise<MediaSample>;
}

export interface CapacityOptions {
  /** Wall-clock budget for all steps, seconds (topology start and teardown not included). */
  budgetS: number;
  serviceLevel: ServiceLevel;
  rate: {
    startCps: number;
    maxCps: number;
    growth: number;
    bisectSteps: number;
    /** Stop bisecting when pass and fail are this many cps apart. */
    resolutionCps: number;
    /** Seconds of call creation per step. */
    stepS: number;
    /** How long each call is held before the BYE, ms. */
    holdMs: number;
    /** Share of the budget the rate search may use; the concurrency search gets the rest. */
    budgetShare: number;
    /**
     * Seconds of call creation of the confirmation trial: the rate found by the short search steps is
     * offered again for this long (a final trial, as MLRsearch does) before it is reported; 0 = none.
     */
    confirmS: number;
  };
  concurrency: {
    enabled: boolean;
    /** Simultaneous calls of the first step; 0 = derived from the rate found. */
    startCalls: number;
    maxCalls: number;
    growth: number;
    bisectSteps: number;
    /** How long each call is held at least, seconds. */
    holdS: number;
  };
  /** Pause after each step so the SBC drains what is left of it before the next. */
  cooldownS: number;
  maxSteps: number;
  /** Media probe calls per step (0: none). */
  mediaProbes: number;
  /** `rtp`: every load call streams G.711 through the SBC's media anchor; `signalling`: load calls carry no RTP. */
  media: 'signalling' | 'rtp';
  /** A step gets one SIPp caller (and source address) per `perCallerCps` of its rate, at most `maxCallers`. */
  callers: { perCallerCps: number; maxCallers: number };
}

export interface StepRecord {
  kind: 'rate' | 'concurrency';
  /** 1-based order of the step within the whole run. */
  index: number;
  /** `confirm`: a confirmation trial of the rate the search found, not a search step. */
  phase: SearchPhase | 'confirm';
  /** The value searched: calls per second, or simultaneous calls. */
  target: number;
  /** `callers`: the SIPp callers (one source address each) the step was spread over. */
  load: { rateCps: number; calls: number; maxConcurrent: number; holdS: number; callers: number };
  measurement: StepMeasurement;
  verdict: Verdict;
  violations: string[];
  startedAt: string;
  callerExit: number | string;
  evidenceDir: string;
  errors: string[];
  host: HostLoad;
}

/** The confirmation trials of the rate search's result, longest first at the found rate. */
export interface RateConfirmation {
  trials: StepRecord[];
  /** The highest rate a confirmation trial held the service level at; absent when none did. */
  confirmed?: { value: number; step: StepRecord };
  /** Why no trial ran, when none did (no rate found, no budget left, turned off). */
  skipped?: string;
}

export interface CapacityOutcome {
  rate: SearchResult<StepRecord>;
  rateConfirmation?: RateConfirmation;
  concurrency?: SearchResult<StepRecord>;
  /** Why the concurrency search did not run, when it did not. */
  concurrencySkipped?: string;
  /** The rate the concurrency steps ramped up at at most. */
  concurrencyRampCps?: number;
}

/** A caller plan without its evidence name (the controller names steps), with its expected length. */
export type StepPlan = Omit<CallerPlan, 'name'> & { estimateS: number };

/** Per-step overhead: SIPp start and stop, the core servers' last dump, reading the traces (measured: ~1.3 s). */
const STEP_OVERHEAD_S = 2;

export function ratePlan(o: CapacityOptions, cps: number): StepPlan {
  const calls = Math.max(1, Math.round(cps * o.rate.stepS));
  const holdS = o.rate.holdMs / 1000;
  return {
    rateCps: cps,
    calls,
    // Room for calls that are slow to set up, so a slow SBC shows as slow, not as a capped caller.
    maxConcurrent: Math.max(10, Math.ceil(cps * (holdS + 2) * 2)),
    holdMs: o.rate.holdMs,
    estimateS: o.rate.stepS + holdS + STEP_OVERHEAD_S + o.cooldownS,
  };
}

/**
 * A concurrency step starts `calls` calls at up to `rampCapCps` and holds each long enough that all of
 * them are up at the same time for at least half the hold.
 */
export function concurrencyPlan(o: CapacityOptions, calls: number, rampCapCps: number): StepPlan {
  const minHoldS = o.concurrency.holdS;
  const rateCps = Math.min(rampCapCps, Math.max(1, roundRate(calls / (minHoldS / 2))));
  const rampS = calls / rateCps;
  const holdS = Math.max(minHoldS, Math.ceil(2 * rampS));
  return {
    rateCps,
    calls,
    maxConcurrent: calls,
    holdMs: holdS * 1000,
    estimateS: rampS + holdS + STEP_OVERHEAD_S + o.cooldownS,
  };
}

function hostText(h: HostLoad): string {
  const parts = [`load ${h.loadAverage1m}`];
  if (h.machineCpu) parts.push(`machine cpu ${h.machineCpu.busyPercent} % busy, ${h.machineCpu.stealPercent} % stolen`);
  if (h.sutCpuPercent !== undefined) parts.push(`SUT cpu ${h.sutCpuPercent} %`);
  for (const r of h.generatorRepairs ?? []) parts.push(`generator: ${r}`);
  const drops = Object.entries(h.udpReceiveBufferDrops ?? {}).filter(([, n]) => n > 0);
  if (drops.length) parts.push(`UDP drops ${drops.map(([zone, n]) => `${zone} ${n}`).join(', ')}`);
  return parts.join(', ');
}

function costText(c: NonNullable<StepRecord['measurement']['cost']>): string {
  const v = (x: number | undefined, unit: string): string => (x === undefined ? '-' : `${x} ${unit}`);
  return `SUT ${v(c.sutCpuUsPerCall, 'µs')}/call, ${v(c.sutKbPerConcurrentCall, 'KB')}/simultaneous call, waited for a CPU ${c.sutRunQueueWaitPercent} % of the step (rtpengine ${v(c.mediaRelayCpuUsPerCall, 'µs')}/call, waited ${c.mediaRelayRunQueueWaitPercent} %)`;
}

function progressLine(r: StepRecord): string {
  const m = r.measurement;
  const what = r.kind === 'rate' ? `${r.target} cps` : `${r.target} calls @ ${r.load.rateCps} cps, hold ${r.load.holdS} s`;
  const ms = (v: number | undefined): string => (v === undefined ? '-' : String(v));
  const setup = `${ms(m.setupMs.p50)}/${ms(m.setupMs.p95)}/${ms(m.setupMs.p99)} ms`;
  const verdict = r.verdict === 'pass' ? 'PASS' : `FAIL (${r.violations.join('; ')})`;
  return [
    `${r.kind === 'rate' ? 'rate' : 'conc'} #${r.index} ${r.phase.padEnd(10)} ${what}${r.load.callers > 1 ? ` from ${r.load.callers} callers` : ''}`,
    `offered ${m.offeredCps} cps, ok ${m.successfulCps} cps`,
    `calls ${m.callsCreated}, failed ${m.callsFailed + m.callsUnfinished} (${(failedRatio(m) * 100).toFixed(2)} %)`,
    `setup p50/p95/p99 ${setup}`,
    `retrans ${(retransmissionRatio(m) * 100).toFixed(2)} %`,
    `peak ${m.peakConcurrent}`,
    ...(m.cost ? [costText(m.cost)] : []),
    ...(m.eventLoop ? [eventLoopText(m.eventLoop)] : []),
    ...[mediaText(m.media)].filter((t) => t !== undefined),
    hostText(r.host),
    verdict,
    ...(r.host.machineWarning ? [r.host.machineWarning] : []),
  ].join(' | ');
}

export async function runCapacity(
  driver: CallerDriver,
  o: CapacityOptions,
  log: (line: string) => void,
  /** Called with every finished step, so evidence survives a run that dies half-way. */
  onStep: (r: StepRecord) => void = () => undefined,
  clock: { now: () => number; sleep: (ms: number) => Promise<void> } = { now: Date.now, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) },
): Promise<CapacityOutcome> {
  const t0 = clock.now();
  const deadline = t0 + o.budgetS * 1000;
  const share = o.concurrency.enabled ? o.rate.budgetShare : 1;
  let index = 0;

  const step = async (kind: StepRecord['kind'], target: number, phase: StepRecord['phase'], plan: StepPlan, extra: (m: StepMeasurement) => { ok: boolean; violation: string }[]): Promise<StepRecord> => {
    if (!driver.coreAlive()) throw new Error('a core server (SIPp UAS) has died; the capacity run cannot continue (see the core evidence folder)');
    index++;
    const name = kind === 'rate'
      ? `rate-${String(index).padStart(2, '0')}-${target}cps${phase === 'confirm' ? '-confirm' : ''}`
      : `conc-${String(index).padStart(2, '0')}-${target}calls`;
    const startedAt = new Date(clock.now()).toISOString();
    const { estimateS: _estimate, ...load } = plan;
    const probing = o.mediaProbes > 0 && driver.probeMedia ? driver.probeMedia(name, probeWindow(load)) : undefined;
    const run = await driver.runCaller({ ...load, name });
    const media = probing ? await probing : undefined;
    const measurement: StepMeasurement = media ? { ...run.measurement, media } : run.measurement;
    const v = evaluateStep(measurement, o.serviceLevel, extra(measurement));
    const record: StepRecord = {
      kind,
      index,
      phase,
      target,
      load: { rateCps: plan.rateCps, calls: plan.calls, maxConcurrent: plan.maxConcurrent, holdS: plan.holdMs / 1000, callers: run.callers },
      measurement,
      verdict: v.verdict,
      violations: v.violations,
      startedAt,
      callerExit: run.exitCode,
      evidenceDir: run.evidenceDir,
      errors: run.errors,
      host: run.host,
    };
    log(progressLine(record));
    onStep(record);
    if (o.cooldownS > 0) await clock.sleep(o.cooldownS * 1000);
    return record;
  };

  log(`== call rate search: from ${o.rate.startCps} cps (x${o.rate.growth}) up to ${o.rate.maxCps} cps, ${o.rate.stepS} s per step, calls held ${o.rate.holdMs} ms`);
  const rateBudget: Budget = { deadline: t0 + o.budgetS * 1000 * share, now: clock.now };
  const rate = await searchMaximum<StepRecord>(
    {
      start: o.rate.startCps,
      growth: o.rate.growth,
      max: o.rate.maxCps,
      min: 1,
      bisectSteps: o.rate.bisectSteps,
      resolution: o.rate.resolutionCps,
      maxSteps: o.maxSteps,
      round: roundRate,
      estimateS: (cps) => ratePlan(o, cps).estimateS,
    },
    rateBudget,
    (cps, phase) => step('rate', cps, phase, ratePlan(o, cps), () => []),
  );
  const rateConfirmation = await confirmRate(o, rate, { deadline, now: clock.now }, (cps, plan) => step('rate', cps, 'confirm', plan, () => []), log);
  if (!o.concurrency.enabled) return { rate, rateConfirmation, concurrencySkipped: 'disabled' };
  if (!rate.best) return { rate, rateConfirmation, concurrencySkipped: 'no call rate met the service level' };
  const stepsLeft = o.maxSteps - rate.steps.length - rateConfirmation.trials.length;
  if (stepsLeft < 1) return { rate, rateConfirmation, concurrencySkipped: `the step limit (${o.maxSteps}) was used up by the rate search` };

  // Half the best rate: the ramp itself must stay well inside the service level.
  const rampCap = Math.max(1, roundRate(rate.best.step.measurement.offeredCps / 2));
  const startCalls = o.concurrency.startCalls > 0 ? o.concurrency.startCalls : roundCalls(Math.max(10, rampCap * o.concurrency.holdS * 0.25));
  const maxCalls = Math.max(o.concurrency.maxCalls, startCalls);
  log(`== concurrency search: from ${startCalls} calls (x${o.concurrency.growth}) up to ${maxCalls}, ramp at <= ${rampCap} cps, calls held >= ${o.concurrency.holdS} s`);
  const concurrency = await searchMaximum<StepRecord>(
    {
      start: startCalls,
      growth: o.concurrency.growth,
      max: maxCalls,
      min: 1,
      bisectSteps: o.concurrency.bisectSteps,
      resolution: Math.max(1, startCalls / 10),
      maxSteps: stepsLeft,
      round: roundCalls,
      estimateS: (calls) => concurrencyPlan(o, calls, rampCap).estimateS,
    },
    { deadline, now: clock.now },
    (calls, phase) =>
      step('concurrency', calls, phase, concurrencyPlan(o, calls, rampCap), (m) => [
        {
          ok: m.peakConcurrent >= Math.floor(calls * 0.98),
          violation: `held only ${m.peakConcurrent} of ${calls} calls at once`,
        },
        { ok: m.callsCreated >= calls, violation: `created only ${m.callsCreated} of ${calls} calls` },
      ]),
  );
  return { rate, rateConfirmation, concurrency, concurrencyRampCps: rampCap };
}

/**
 * Confirms the rate search's result with longer trials (MLRsearch's final trial): a 10 s step that
 * passed can be luck on a shared machine, a 30 s one much less so. The rate found is offered for
 * `confirmS`; if it breaks the service level, the next lower rate that passed a search step (or 80 %
 * of the rate found) gets one trial too. Trials run only while the whole budget allows them.
 */
export async function confirmRate(
  o: CapacityOptions,
  rate: SearchResult<StepRecord>,
  budget: Budget,
  run: (cps: number, plan: StepPlan) => Promise<StepRecord>,
  log: (line: string) => void,
): Promise<RateConfirmation> {
  if (!(o.rate.confirmS > 0)) return { trials: [], skipped: 'turned off (--confirm-s 0)' };
  if (!rate.best) return { trials: [], skipped: 'no call rate met the service level' };
  const best = rate.best.value;
  const lowerPassed = rate.steps.filter((s) => s.verdict === 'pass' && s.target < best).map((s) => s.target).sort((a, b) => b - a)[0];
  // At most two trials: the rate found, then one lower rate (when there is one below it).
  const fallback = lowerPassed ?? Math.max(1, roundRate(best * 0.8));
  const candidates = fallback < best ? [best, fallback] : [best];
  const trials: StepRecord[] = [];
  const plan = (cps: number): StepPlan => ratePlan({ ...o, rate: { ...o.rate, stepS: o.rate.confirmS } }, cps);
  log(`== confirmation: the rate found (${best} cps) offered again for ${o.rate.confirmS} s`);
  for (const cps of candidates) {
    const p = plan(cps);
    if (budget.now() + p.estimateS * 1000 > budget.deadline) {
      return trials.length ? { trials } : { trials, skipped: `no budget left for a ${o.rate.confirmS} s trial` };
    }
    const r = await run(cps, p);
    trials.push(r);
    if (r.verdict === 'pass') return { trials, confirmed: { value: cps, step: r } };
  }
  return { trials };
}
