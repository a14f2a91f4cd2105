import { describe, expect, it } from 'vitest';
import { compareResults, comparisonLines } from './compare';
import type { CapacityResult } from './results';

function result(name: string, rate: number | undefined, capacity: number | undefined, cpuUs: number, kb: number, ceiling?: number): CapacityResult {
  const step = (index: number, kind: 'rate' | 'concurrency') => ({ index, kind, measurement: { cost: { sutCpuUsPerCall: cpuUs, mediaRelayCpuUsPerCall: 500, sutKbPerConcurrentCall: kind === 'concurrency' ? kb : kb * 10 } } });
  return {
    sut: { name, profileFile: `${name}.yaml` },
    serviceLevelText: 'failed calls <= 0.10 %, setup p99 <= 200 ms',
    rate: { steps: [step(1, 'rate'), step(2, 'rate')], ...(rate !== undefined ? { maximum: { value: rate, step: 2, setupP99Ms: 40 } } : {}) },
    concurrency: { steps: [step(3, 'concurrency')], ...(capacity !== undefined ? { maximum: { value: capacity, peakConcurrent: capacity, step: 3 } } : {}) },
    ...(ceiling !== undefined ? { generator: { ceilingCps: ceiling, sutIsGeneratorBound: rate !== undefined && rate >= ceiling * 0.9 } } : {}),
  } as unknown as CapacityResult;
}

describe('side-by-side capacity', () => {
  it('puts each SUT\'s figures and its ratio to the first in one report', () => {
    const c = compareResults('run1', [
      { result: result('reference-sbc', 400, 3000, 2500, 12, 1200), report: 'capacity/reference-sbc/capacity.json' },
      { result: result('kamailio', 800, 6000, 900, 3), report: 'capacity/kamailio/capacity.json' },
    ]);
    expect(c.generatorCeilingCps).toBe(1200);
    expect(c.suts[0]).toMatchObject({ sut: 'reference-sbc', establishmentRate: 400, sessionCapacity: 3000, cpuUsPerCall: 2500, kbPerConcurrentCall: 12, ratioToFirst: { establishmentRate: 1, sessionCapacity: 1 } });
    expect(c.suts[1]).toMatchObject({ sut: 'kamailio', establishmentRate: 800, ratioToFirst: { establishmentRate: 2, sessionCapacity: 2 }, generatorBound: false });
    expect(comparisonLines(c).join('\n')).toMatch(/kamailio .*establishment rate 800 sessions\/s.*ratio to reference-sbc: rate 2, capacity 2/);
  });

  it('leaves a ratio out when either figure is missing', () => {
    const c = compareResults('run2', [
      { result: result('a', undefined, undefined, 1, 1), report: 'a' },
      { result: result('b', 100, undefined, 1, 1), report: 'b' },
    ]);
    expect(c.suts[1]!.ratioToFirst).toEqual({});
    expect(comparisonLines(c)[2]).toMatch(/rate -, capacity -/);
  });
});
