import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CapacityResult } from './results';
import { eventLoopText, type EventLoopDelay } from './sut-metrics';

/**
 * Several SUTs measured in one run (`capacity --sut a.yaml --sut b.yaml`), side by side: per SUT the
 * RFC 7501 figures within the service level and what they cost, and each one's ratio to the first.
 */
export interface SutFigures {
  sut: string;
  /** Session establishment rate within the service level, sessions/s. */
  establishmentRate?: number;
  /** Whether a longer confirmation trial held that rate (absent: no trial ran). */
  establishmentRateConfirmed?: boolean;
  /** Session capacity within the service level, simultaneous sessions. */
  sessionCapacity?: number;
  setupP99Ms?: number;
  /** At the best rate step: the SUT's CPU per completed call (µs), rtpengine apart. */
  cpuUsPerCall?: number;
  mediaRelayCpuUsPerCall?: number;
  /** At the best concurrency step (or the best rate step without one): KB of memory per simultaneous call. */
  kbPerConcurrentCall?: number;
  /** At the best rate step: the SUT's event-loop delay, "not reported" when it publishes none. */
  eventLoop?: EventLoopDelay;
  generatorBound: boolean;
  /** This SUT's figure divided by the first SUT's. */
  ratioToFirst: { establishmentRate?: number; sessionCapacity?: number };
  report: string;
}

export interface Comparison {
  version: 1;
  runId: string;
  serviceLevel: string;
  generatorCeilingCps?: number;
  suts: SutFigures[];
}

const ratio = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined || b === undefined || b === 0 ? undefined : Math.round((a / b) * 100) / 100;

export function figuresOf(r: CapacityResult, report: string): Omit<SutFigures, 'ratioToFirst'> {
  const bestRate = r.rate.steps.find((s) => s.index === r.rate.maximum?.step);
  const bestConc = r.concurrency.steps.find((s) => s.index === r.concurrency.maximum?.step);
  const f: Omit<SutFigures, 'ratioToFirst'> = { sut: r.sut.name, generatorBound: r.generator?.sutIsGeneratorBound ?? false, report };
  const put = <K extends keyof typeof f>(k: K, v: (typeof f)[K] | undefined): void => {
    if (v !== undefined) f[k] = v;
  };
  put('establishmentRate', r.rate.maximum?.value);
  put('establishmentRateConfirmed', r.rate.maximum?.confirmed);
  put('sessionCapacity', r.concurrency.maximum?.peakConcurrent);
  put('setupP99Ms', r.rate.maximum?.setupP99Ms);
  put('cpuUsPerCall', bestRate?.measurement.cost?.sutCpuUsPerCall);
  put('mediaRelayCpuUsPerCall', bestRate?.measurement.cost?.mediaRelayCpuUsPerCall);
  put('kbPerConcurrentCall', (bestConc ?? bestRate)?.measurement.cost?.sutKbPerConcurrentCall);
  put('eventLoop', bestRate?.measurement.eventLoop);
  return f;
}

export function compareResults(runId: string, results: { result: CapacityResult; report: string }[]): Comparison {
  const figures = results.map((r) => figuresOf(r.result, r.report));
  const first = figures[0];
  const ceiling = results.find((r) => r.result.generator?.ceilingCps !== undefined)?.result.generator?.ceilingCps;
  return {
    version: 1,
    runId,
    serviceLevel: results[0]?.result.serviceLevelText ?? '',
    ...(ceiling !== undefined ? { generatorCeilingCps: ceiling } : {}),
    suts: figures.map((f) => ({
      ...f,
      ratioToFirst: {
        ...(ratio(f.establishmentRate, first?.establishmentRate) !== undefined ? { establishmentRate: ratio(f.establishmentRate, first?.establishmentRate)! } : {}),
        ...(ratio(f.sessionCapacity, first?.sessionCapacity) !== undefined ? { sessionCapacity: ratio(f.sessionCapacity, first?.sessionCapacity)! } : {}),
      },
    })),
  };
}

export function comparisonLines(c: Comparison): string[] {
  const v = (x: number | undefined, unit = ''): string => (x === undefined ? '-' : `${x}${unit}`);
  const first = c.suts[0]?.sut ?? '';
  return [
    `== side by side (service level: ${c.serviceLevel}; generator ceiling ${v(c.generatorCeilingCps, ' cps')})`,
    ...c.suts.map((s) =>
      `  ${s.sut.padEnd(16)} establishment rate ${v(s.establishmentRate, ' sessions/s')}${s.establishmentRateConfirmed === false ? ' (NOT confirmed by the longer trial)' : s.establishmentRateConfirmed ? ' (confirmed)' : ''}${s.generatorBound ? ' (generator-bound)' : ''}, session capacity ${v(s.sessionCapacity)}, `
      + `setup p99 ${v(s.setupP99Ms, ' ms')}, ${v(s.cpuUsPerCall, ' µs')} CPU/call (rtpengine ${v(s.mediaRelayCpuUsPerCall, ' µs')}), ${v(s.kbPerConcurrentCall, ' KB')}/simultaneous call, ${eventLoopText(s.eventLoop)}; `
      + `ratio to ${first}: rate ${v(s.ratioToFirst.establishmentRate)}, capacity ${v(s.ratioToFirst.sessionCapacity)}`),
  ];
}

export function writeComparison(dir: string, c: Comparison): string {
  const file = join(dir, 'compare.json');
  writeFileSync(file, `${JSON.stringify(c, null, 2)}\n`);
  return file;
}
