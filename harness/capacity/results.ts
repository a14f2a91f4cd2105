import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import type { CapacityOptions, CapacityOutcome, RateConfirmation, StepRecord } from './controller';
import { concurrencyChart, mediaChart, rateChart, setupChart } from './plots';
import type { SearchResult, StopReason } from './search';
import { describeServiceLevel, type ServiceLevel } from './service-level';
import { eventLoopText } from './sut-metrics';

/** capacity.json: everything a reader needs to trust (or doubt) the maxima without re-running. */
export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryMiB: number;
  kernel: string;
  node: string;
  sipp: string;
  /** 1-minute load average before the first step: a busy machine lowers every number. */
  loadAverageAtStart: number;
}

export interface Maximum {
  /** The searched value of the best passing step (cps or calls). */
  value: number;
  step: number;
  offeredCps: number;
  successfulCps: number;
  peakConcurrent: number;
  setupP95Ms?: number;
  setupP99Ms?: number;
  /**
   * Rate only: true when a confirmation trial (longer than the search's steps) held the service level
   * at this value, false when every trial broke it (the value is then only the short steps'), absent
   * when no trial ran.
   */
  confirmed?: boolean;
}

export interface PhaseResult {
  steps: StepRecord[];
  maximum?: Maximum;
  /** The lowest value that failed above the maximum, when one was seen. */
  firstFailure?: { value: number; step: number; violations: string[] };
  stoppedBy: StopReason | 'skipped';
  /** One sentence saying what the maximum means, e.g. "a lower bound: the budget ended first". */
  meaning: string;
}

export interface CapacityResult {
  runId: string;
  sut: { name: string; profileFile: string };
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  serviceLevel: ServiceLevel;
  serviceLevelText: string;
  options: CapacityOptions;
  rate: PhaseResult;
  concurrency: PhaseResult & { skipped?: string; rampCps?: number };
  /** The standard's test conditions (RFC 7502 section 5): media, transport, TLS, registration. */
  conditions: { media: string; transport: 'UDP'; tls: false; registration: false };
  /**
   * The load generator's own ceiling in the same run: the same SIPp caller straight to a SIPp UAS on
   * the public side, no SBC between them. A SUT figure near it says more about SIPp than about the SUT.
   */
  generator?: GeneratorCeiling;
  plots: string[];
}

export interface GeneratorCeiling {
  /** Highest rate SIPp UAC -> SIPp UAS met the service level at (undefined: not even the first step). */
  ceilingCps?: number;
  /** The rate search stopped at --max-cps, so the ceiling is at least this. */
  atConfiguredMaximum: boolean;
  /** Why the search stopped: anything but `limit-found` makes the ceiling a lower bound. */
  stoppedBy: StopReason;
  steps: number;
  /** The SUT's session establishment rate is at least this share of the ceiling: generator-bound. */
  boundRatio: number;
  sutIsGeneratorBound: boolean;
}

/** A SUT figure within 10 % of what the generator reaches alone is the generator's, not the SUT's. */
export const GENERATOR_BOUND_RATIO = 0.9;

export function generatorCeiling(outcome: SearchResult<StepRecord>, sutRate: number | undefined, maxCps: number): GeneratorCeiling {
  const ceilingCps = outcome.best?.value;
  return {
    ...(ceilingCps !== undefined ? { ceilingCps } : {}),
    atConfiguredMaximum: ceilingCps !== undefined && ceilingCps >= maxCps,
    stoppedBy: outcome.stoppedBy,
    steps: outcome.steps.length,
    boundRatio: GENERATOR_BOUND_RATIO,
    sutIsGeneratorBound: sutRate !== undefined && ceilingCps !== undefined && sutRate >= ceilingCps * GENERATOR_BOUND_RATIO,
  };
}

export function machineInfo(sippVersion: string): MachineInfo {
  const cpu = cpus();
  return {
    cores: cpu.length,
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    memoryMiB: Math.round(totalmem() / 1024 / 1024),
    kernel: release(),
    node: process.version,
    sipp: sippVersion,
    loadAverageAtStart: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}

function meaningOf(stoppedBy: StopReason | 'skipped', unit: string, max?: number, fail?: number): string {
  if (max === undefined) {
    return stoppedBy === 'skipped' ? 'not measured' : `no step met the service level (stopped: ${stoppedBy})`;
  }
  switch (stoppedBy) {
    case 'limit-found':
      return fail === undefined ? `${max} ${unit} met the service level` : `the limit lies between ${max} (met) and ${fail} ${unit} (violated)`;
    case 'max-reached':
      return `${max} ${unit} met the service level: the configured maximum, the SUT may hold more`;
    case 'budget':
      return `${max} ${unit} is a lower bound: the time budget ended before ${fail === undefined ? 'a violation was seen' : 'the bisection narrowed'}`;
    case 'step-limit':
      return `${max} ${unit} is a lower bound: the step limit was reached`;
    default:
      return `${max} ${unit}`;
  }
}

/** A phase's best step as the result reports it. */
function maximumOf(value: number, step: StepRecord): Maximum {
  const m = step.measurement;
  return { value, step: step.index, offeredCps: m.offeredCps, successfulCps: m.successfulCps, peakConcurrent: m.peakConcurrent, setupP95Ms: m.setupMs.p95, setupP99Ms: m.setupMs.p99 };
}

function phaseResult(r: SearchResult<StepRecord> | undefined, unit: string): PhaseResult {
  if (!r) return { steps: [], stoppedBy: 'skipped', meaning: meaningOf('skipped', unit) };
  const best = r.best;
  const maximum: Maximum | undefined = best && maximumOf(best.value, best.step);
  const firstFailure = r.firstFail && { value: r.firstFail.value, step: r.firstFail.step.index, violations: r.firstFail.step.violations };
  return { steps: r.steps, maximum, firstFailure, stoppedBy: r.stoppedBy, meaning: meaningOf(r.stoppedBy, unit, best?.value, r.firstFail?.value) };
}

/** The rate search's result with its confirmation trials: a confirmed value replaces the short steps' one. */
export function ratePhaseResult(r: SearchResult<StepRecord>, c: RateConfirmation | undefined, confirmS: number): PhaseResult {
  const trials = c?.trials ?? [];
  const base = phaseResult({ ...r, steps: [...r.steps, ...trials] }, 'cps');
  if (!c || !r.best) return base;
  if (trials.length === 0) return { ...base, meaning: `${base.meaning}; not confirmed by a longer trial (${c.skipped ?? 'none ran'})` };
  const failed = trials.filter((t) => t.verdict !== 'pass').map((t) => `${t.target} cps broke it (step ${t.index}: ${t.violations.join('; ')})`);
  if (c.confirmed) {
    const held = `${c.confirmed.value} cps held the service level for a ${confirmS} s trial (step ${c.confirmed.step.index})`;
    return { ...base, maximum: { ...maximumOf(c.confirmed.value, c.confirmed.step), confirmed: true }, meaning: `${base.meaning}; confirmed: ${[...failed, held].join('; ')}` };
  }
  return { ...base, maximum: base.maximum && { ...base.maximum, confirmed: false }, meaning: `${base.meaning}; NOT confirmed: in ${confirmS} s trials ${failed.join('; ')}` };
}

export function buildCapacityResult(o: {
  runId: string;
  sut: { name: string; profileFile: string };
  startedAt: Date;
  finishedAt: Date;
  machine: MachineInfo;
  options: CapacityOptions;
  outcome: CapacityOutcome;
}): CapacityResult {
  return {
    runId: o.runId,
    sut: o.sut,
    startedAt: o.startedAt.toISOString(),
    finishedAt: o.finishedAt.toISOString(),
    machine: o.machine,
    serviceLevel: o.options.serviceLevel,
    serviceLevelText: describeServiceLevel(o.options.serviceLevel, o.options.mediaProbes > 0),
    options: o.options,
    rate: ratePhaseResult(o.outcome.rate, o.outcome.rateConfirmation, o.options.rate.confirmS),
    concurrency: { ...phaseResult(o.outcome.concurrency, 'calls'), skipped: o.outcome.concurrencySkipped, rampCps: o.outcome.concurrencyRampCps },
    conditions: {
      media: o.options.media === 'rtp' ? 'G.711 RTP on every call (SIPp rtp_stream), quality measured on the probe calls' : 'signalling only: load calls carry no RTP',
      transport: 'UDP',
      tls: false,
      registration: false,
    },
    plots: [],
  };
}

/** Writes capacity.json and the SVG plots into `dir`; returns the file paths. */
export function writeCapacityResults(dir: string, result: CapacityResult): { json: string; plots: string[] } {
  mkdirSync(dir, { recursive: true });
  const plots: [string, string][] = [
    ['rate-offered-vs-successful.svg', rateChart(result.rate.steps, result.sut.name, result.rate.maximum?.successfulCps)],
    ['rate-setup-time.svg', setupChart(result.rate.steps, result.sut.name, result.serviceLevel)],
  ];
  if (result.concurrency.steps.length) {
    plots.push(['concurrency.svg', concurrencyChart(result.concurrency.steps, result.sut.name, result.concurrency.maximum?.peakConcurrent)]);
  }
  const allSteps = [...result.rate.steps, ...result.concurrency.steps];
  if (allSteps.some((s) => (s.measurement.media?.probes ?? 0) > 0)) {
    plots.push(['media-quality.svg', mediaChart(allSteps, result.sut.name, result.serviceLevel)]);
  }
  for (const [name, svg] of plots) writeFileSync(join(dir, name), svg);
  const stored: CapacityResult = {
    ...result,
    plots: plots.map(([n]) => n),
    // Evidence folders relative to capacity.json, so the report folder can be moved.
    rate: { ...result.rate, steps: result.rate.steps.map((s) => ({ ...s, evidenceDir: relative(dir, s.evidenceDir) })) },
    concurrency: { ...result.concurrency, steps: result.concurrency.steps.map((s) => ({ ...s, evidenceDir: relative(dir, s.evidenceDir) })) },
  };
  const json = join(dir, 'capacity.json');
  writeFileSync(json, `${JSON.stringify(stored, null, 2)}\n`);
  return { json, plots: plots.map(([n]) => join(dir, n)) };
}

/** The worst media figures of the run and where they were seen; undefined when no step placed probes. */
export function mediaSummary(steps: StepRecord[]): string | undefined {
  const probed = steps.filter((s) => (s.measurement.media?.probes ?? 0) > 0);
  if (probed.length === 0) return undefined;
  const worst = (f: (s: StepRecord) => number): StepRecord => probed.reduce((a, b) => (f(b) > f(a) ? b : a));
  const loss = worst((s) => s.measurement.media!.lossRatio);
  const jitter = worst((s) => s.measurement.media!.jitterP95Ms ?? -1);
  const probes = probed.reduce((n, s) => n + s.measurement.media!.probes, 0);
  const completed = probed.reduce((n, s) => n + s.measurement.media!.completed, 0);
  const damaged = probed.reduce((n, s) => n + s.measurement.media!.payloadCheckFailures, 0);
  const j = jitter.measurement.media!.jitterP95Ms;
  return `media probes: ${completed} of ${probes} completed over ${probed.length} steps; worst loss ${(loss.measurement.media!.lossRatio * 100).toFixed(2)} % (step ${loss.index}), worst jitter p95 ${j === undefined ? 'n/a' : `${j} ms (step ${jitter.index})`}, ${damaged} damaged packets`;
}

export function summaryLines(r: CapacityResult): string[] {
  const lines = [
    `== capacity of ${r.sut.name} (${r.machine.cores} cores, ${r.machine.memoryMiB} MiB, shared by the SUT, SIPp and rtpengine)`,
    `service level: ${r.serviceLevelText}`,
    `conditions: ${r.conditions.media}; SIP over ${r.conditions.transport}, no TLS, no registration`,
  ];
  const rm = r.rate.maximum;
  lines.push(
    rm
      ? `session establishment rate (RFC 7501) within the service level: ${rm.value} sessions/s (offered ${rm.offeredCps}, successful ${rm.successfulCps} cps, setup p95 ${rm.setupP95Ms ?? 'n/a'} ms, p99 ${rm.setupP99Ms ?? 'n/a'} ms, step ${rm.step}); ${r.rate.meaning}`
      : `session establishment rate (RFC 7501) within the service level: none; ${r.rate.meaning}`,
  );
  const best = r.rate.steps.find((s) => s.index === rm?.step);
  const cost = best?.measurement.cost;
  if (best && cost) {
    const v = (x: number | undefined, unit: string): string => (x === undefined ? '-' : `${x} ${unit}`);
    lines.push(`  at that rate: SUT ${v(cost.sutCpuUsPerCall, 'CPU-µs')} per call (rtpengine ${v(cost.mediaRelayCpuUsPerCall, 'µs')}), SUT cpu ${cost.sutCpuPercent} % of a core, waited for a CPU ${cost.sutRunQueueWaitPercent ?? '-'} % of the step, ${eventLoopText(best.measurement.eventLoop)}${best.host.machineCpu ? `, machine ${best.host.machineCpu.busyPercent} % busy` : ''}`);
  }
  const g = r.generator;
  if (g) {
    const ceiling = g.ceilingCps === undefined ? 'none (not even the first step met the service level)' : `${g.ceilingCps} cps${g.atConfiguredMaximum ? ' (the configured maximum: at least this)' : g.stoppedBy === 'limit-found' ? '' : ` (at least this: the search stopped on ${g.stoppedBy})`}`;
    lines.push(`generator ceiling (SIPp UAC straight to SIPp UAS, no SBC, same service level): ${ceiling}${g.sutIsGeneratorBound ? '; the SUT\'s rate is GENERATOR-BOUND (>= 90 % of it): the SUT may carry more than measured' : ''}`);
  }
  if (r.rate.firstFailure) {
    const failed = r.rate.steps.find((s) => s.index === r.rate.firstFailure?.step);
    const machine = failed?.host.machineWarning ? ` (${failed.host.machineWarning})` : '';
    const waited = failed?.measurement.cost ? `; the SUT waited for a CPU ${failed.measurement.cost.sutRunQueueWaitPercent} % of the step` : '';
    lines.push(`  first violation at ${r.rate.firstFailure.value} cps (step ${r.rate.firstFailure.step}): ${r.rate.firstFailure.violations.join('; ')}${waited}${machine}`);
  }
  const cm = r.concurrency.maximum;
  if (r.concurrency.skipped) lines.push(`session capacity (RFC 7501, simultaneous sessions): not measured (${r.concurrency.skipped})`);
  else {
    lines.push(
      cm
        ? `session capacity (RFC 7501) within the service level: ${cm.peakConcurrent} simultaneous sessions (target ${cm.value}, started at ${cm.offeredCps} cps, step ${cm.step}); ${r.concurrency.meaning}`
        : `session capacity (RFC 7501) within the service level: none; ${r.concurrency.meaning}`,
    );
    const kb = r.concurrency.steps.find((s) => s.index === cm?.step)?.measurement.cost?.sutKbPerConcurrentCall;
    if (kb !== undefined) lines.push(`  at that capacity: SUT ${kb} KB of memory per simultaneous call`);
    if (r.concurrency.firstFailure) lines.push(`  first violation at ${r.concurrency.firstFailure.value} calls (step ${r.concurrency.firstFailure.step}): ${r.concurrency.firstFailure.violations.join('; ')}`);
  }
  const media = mediaSummary([...r.rate.steps, ...r.concurrency.steps]);
  if (media) lines.push(media);
  return lines;
}
