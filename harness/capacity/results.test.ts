import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { capacityOptions } from './capacity-options';
import type { StepRecord } from './controller';
import { buildCapacityResult, generatorCeiling, machineInfo, summaryLines, writeCapacityResults, type CapacityResult } from './results';

const dir = mkdtempSync(join(tmpdir(), 'capacity-results-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function step(index: number, kind: StepRecord['kind'], target: number, verdict: 'pass' | 'fail'): StepRecord {
  return {
    kind,
    index,
    phase: 'ramp',
    target,
    load: { rateCps: kind === 'rate' ? target : 50, calls: 100, maxConcurrent: 100, holdS: 1.5, callers: 1 },
    measurement: {
      targetCps: kind === 'rate' ? target : 50,
      offeredCps: kind === 'rate' ? target : 50,
      successfulCps: kind === 'rate' ? target : 50,
      callsCreated: 100,
      callsSucceeded: verdict === 'pass' ? 100 : 90,
      callsFailed: verdict === 'pass' ? 0 : 10,
      callsUnfinished: 0,
      failures: {},
      setupMs: { p95: 12, p99: 14, samples: 100 },
      messages: 700,
      retransmissions: 0,
      peakConcurrent: kind === 'rate' ? 30 : target,
      durationS: 10,
    },
    verdict,
    violations: verdict === 'pass' ? [] : ['failed calls 10.0 % > 0.10 % (10 failed of 100)'],
    startedAt: '2026-11-23T08:00:00.000Z',
    callerExit: verdict === 'pass' ? 0 : 1,
    evidenceDir: join(dir, 'steps', `s${index}`),
    errors: [],
    host: { loadAverage1m: 1 },
  };
}

function result(): CapacityResult {
  const [r1, r2, r3, c1] = [step(1, 'rate', 20, 'pass'), step(2, 'rate', 40, 'pass'), step(3, 'rate', 80, 'fail'), step(4, 'concurrency', 400, 'pass')];
  return buildCapacityResult({
    runId: 'run-1',
    sut: { name: 'sbc-x', profileFile: 'profiles/x.yaml' },
    startedAt: new Date('2026-11-23T08:00:00Z'),
    finishedAt: new Date('2026-11-23T08:03:00Z'),
    machine: machineInfo('SIPp v3.6.1'),
    options: capacityOptions({ budgetS: 180 }),
    outcome: {
      rate: { steps: [r1, r2, r3], best: { value: 40, step: r2 }, firstFail: { value: 80, step: r3 }, stoppedBy: 'budget' },
      concurrency: { steps: [c1], best: { value: 400, step: c1 }, stoppedBy: 'budget' },
      concurrencyRampCps: 20,
    },
  });
}

describe('capacity results', () => {
  it('states the maxima and what they mean', () => {
    const r = result();
    expect(r.rate.maximum).toMatchObject({ value: 40, step: 2, offeredCps: 40 });
    expect(r.rate.firstFailure).toEqual({ value: 80, step: 3, violations: ['failed calls 10.0 % > 0.10 % (10 failed of 100)'] });
    expect(r.rate.meaning).toBe('40 cps is a lower bound: the time budget ended before the bisection narrowed');
    expect(r.concurrency.meaning).toBe('400 calls is a lower bound: the time budget ended before a violation was seen');
    expect(r.machine.cores).toBeGreaterThan(0);
    expect(r.machine.memoryMiB).toBeGreaterThan(0);
    const lines = summaryLines(r).join('\n');
    expect(lines).toContain('session establishment rate (RFC 7501) within the service level: 40 sessions/s');
    expect(lines).toContain('first violation at 80 cps (step 3)');
    expect(lines).toContain('session capacity (RFC 7501) within the service level: 400 simultaneous sessions (target 400, started at 50 cps, step 4)');
  });

  it('writes capacity.json with relative evidence folders, and the three plots', () => {
    const files = writeCapacityResults(dir, result());
    const json = JSON.parse(readFileSync(files.json, 'utf8')) as CapacityResult;
    expect(json.sut.name).toBe('sbc-x');
    expect(json.rate.steps.map((s) => s.evidenceDir)).toEqual(['steps/s1', 'steps/s2', 'steps/s3']);
    expect(json.plots).toEqual(['rate-offered-vs-successful.svg', 'rate-setup-time.svg', 'concurrency.svg']);
    for (const p of files.plots) expect(existsSync(p)).toBe(true);
  });

  it('says when the concurrency search did not run', () => {
    const skipped = buildCapacityResult({
      runId: 'run-2',
      sut: { name: 'sbc-x', profileFile: 'x.yaml' },
      startedAt: new Date(),
      finishedAt: new Date(),
      machine: machineInfo('SIPp v3.6.1'),
      options: capacityOptions(),
      outcome: { rate: { steps: [], stoppedBy: 'min-failed' }, concurrencySkipped: 'no call rate met the service level' },
    });
    expect(summaryLines(skipped).join('\n')).toContain('session capacity (RFC 7501, simultaneous sessions): not measured (no call rate met the service level)');
    expect(skipped.rate.meaning).toBe('no step met the service level (stopped: min-failed)');
  });
});

describe('generator ceiling', () => {
  const outcome = (best: number | undefined): Parameters<typeof generatorCeiling>[0] =>
    ({ steps: [], best: best === undefined ? undefined : { value: best }, stoppedBy: 'max' }) as unknown as Parameters<typeof generatorCeiling>[0];

  it('calls a SUT figure within 10 % of the generator alone generator-bound, not one well below it', () => {
    expect(generatorCeiling(outcome(400), 380, 1000)).toMatchObject({ ceilingCps: 400, sutIsGeneratorBound: true, atConfiguredMaximum: false });
    expect(generatorCeiling(outcome(400), 300, 1000)).toMatchObject({ ceilingCps: 400, sutIsGeneratorBound: false });
    expect(generatorCeiling(outcome(1000), 200, 1000)).toMatchObject({ atConfiguredMaximum: true, sutIsGeneratorBound: false });
    expect(generatorCeiling(outcome(undefined), 200, 1000)).toMatchObject({ sutIsGeneratorBound: false });
    expect(generatorCeiling(outcome(400), undefined, 1000).sutIsGeneratorBound).toBe(false);
  });
});
