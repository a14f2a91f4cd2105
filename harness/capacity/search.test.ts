import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { capacityOptions } from './capacity-options';
import { ratePhaseResult } from './results';
import { runCapacity, type CallerDriver } from './controller';
import type { CallerPlan, CallerRun } from './load-generator';
import { nextValue, roundCalls, roundRate, searchMaximum, type SearchOptions, type SearchPhase } from './search';
import type { StepMeasurement } from './service-level';

const base: SearchOptions = {
  start: 20,
  growth: 1.5,
  max: 1000,
  min: 1,
  bisectSteps: 2,
  resolution: 2,
  maxSteps: 30,
  round: roundRate,
  estimateS: () => 10,
};

/** A system that holds everything up to `limit`, and a clock that advances by each step's estimate. */
function fakeSystem(limit: number, o: SearchOptions = base) {
  let now = 0;
  const tried: { value: number; phase: SearchPhase }[] = [];
  return {
    tried,
    budget: (seconds: number) => ({ deadline: seconds * 1000, now: () => now }),
    run: async (value: number, phase: SearchPhase) => {
      tried.push({ value, phase });
      now += o.estimateS(value) * 1000;
      return { value, verdict: value <= limit ? ('pass' as const) : ('fail' as const) };
    },
  };
}

describe('maximum search', () => {
  it('ramps by the growth factor, then bisects between the last pass and the first fail', async () => {
    const sys = fakeSystem(100);
    const r = await searchMaximum(base, sys.budget(1000), sys.run);
    expect(sys.tried.map((t) => `${t.phase} ${t.value}`)).toEqual(['ramp 20', 'ramp 30', 'ramp 45', 'ramp 68', 'ramp 102', 'bisect 85', 'bisect 94']);
    expect(r.best?.value).toBe(94);
    expect(r.firstFail?.value).toBe(102);
    expect(r.stoppedBy).toBe('limit-found');
  });

  it('stops bisecting once the gap is within the resolution', async () => {
    const sys = fakeSystem(100);
    const r = await searchMaximum({ ...base, bisectSteps: 10 }, sys.budget(1000), sys.run);
    expect(r.firstFail!.value - r.best!.value).toBeLessThanOrEqual(2);
    expect(r.best!.value).toBeLessThanOrEqual(100);
    expect(r.stoppedBy).toBe('limit-found');
  });

  it('reports max-reached when everything up to the maximum passes', async () => {
    const sys = fakeSystem(Infinity);
    const r = await searchMaximum({ ...base, max: 50 }, sys.budget(1000), sys.run);
    expect(sys.tried.map((t) => t.value)).toEqual([20, 30, 45, 50]);
    expect(r).toMatchObject({ stoppedBy: 'max-reached', best: { value: 50 } });
  });

  it('probes down by halving when the first step fails, then bisects', async () => {
    const sys = fakeSystem(7);
    const r = await searchMaximum(base, sys.budget(1000), sys.run);
    expect(sys.tried.map((t) => `${t.phase} ${t.value}`)).toEqual(['ramp 20', 'probe-down 10', 'probe-down 5', 'bisect 7.5', 'bisect 6.5']);
    expect(r.best?.value).toBe(6.5);
    expect(r.firstFail?.value).toBe(7.5);
  });

  it('gives up below the minimum', async () => {
    const sys = fakeSystem(0);
    const r = await searchMaximum(base, sys.budget(1000), sys.run);
    expect(r.best).toBeUndefined();
    expect(r.stoppedBy).toBe('min-failed');
    expect(sys.tried.at(-1)!.value).toBe(1);
  });

  it('never starts a step that would overrun the budget', async () => {
    const sys = fakeSystem(100);
    const r = await searchMaximum(base, sys.budget(35), sys.run);
    expect(sys.tried.map((t) => t.value)).toEqual([20, 30, 45]);
    expect(r).toMatchObject({ stoppedBy: 'budget', best: { value: 45 } });
  });

  it('honours the step limit', async () => {
    const sys = fakeSystem(100);
    const r = await searchMaximum({ ...base, maxSteps: 2 }, sys.budget(1000), sys.run);
    expect(r.steps).toHaveLength(2);
    expect(r.stoppedBy).toBe('step-limit');
  });

  it('rejects options that cannot terminate', async () => {
    const sys = fakeSystem(100);
    await expect(searchMaximum({ ...base, growth: 1 }, sys.budget(1000), sys.run)).rejects.toThrow(/growth/);
  });

  it('moves up even when rounding would stall growth', () => {
    expect(nextValue({ ...base, growth: 1.1, round: roundCalls }, { pass: 3, bisects: 0 })).toEqual({ value: 4, phase: 'ramp' });
  });

  it('brackets the limit of any system with passes below and fails above', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 1, max: 200 }), async (limit, start) => {
        const o = { ...base, start, max: 1500 };
        const sys = fakeSystem(limit, o);
        const r = await searchMaximum(o, sys.budget(100000), sys.run);
        if (r.best) expect(r.best.value).toBeLessThanOrEqual(limit);
        if (r.firstFail) expect(r.firstFail.value).toBeGreaterThan(limit);
        if (limit >= 1500) expect(r.stoppedBy).toBe('max-reached');
        expect(r.steps.length).toBeLessThanOrEqual(30);
        for (const t of sys.tried) expect(t.value).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 200 },
    );
  });

  it('rounds rates and call counts', () => {
    expect([roundRate(0.1), roundRate(3.3), roundRate(12.4)]).toEqual([0.5, 3.5, 12]);
    expect([roundCalls(3.4), roundCalls(63.2), roundCalls(1234)]).toEqual([3, 63, 1200]);
  });
});

/** A simulated SBC: calls above `limitCps` fail in proportion, more than `maxCalls` at once are refused. */
function simulatedSbc(limitCps: number, maxCalls: number): CallerDriver & { plans: CallerPlan[] } {
  const plans: CallerPlan[] = [];
  return {
    plans,
    coreAlive: () => true,
    async runCaller(plan): Promise<CallerRun> {
      plans.push(plan);
      const over = Math.max(0, plan.rateCps - limitCps) / plan.rateCps;
      const peak = Math.min(plan.maxConcurrent, maxCalls);
      const refused = plan.maxConcurrent === plan.calls ? Math.max(0, plan.calls - maxCalls) : 0;
      const failed = Math.round(plan.calls * over) + refused;
      const m: StepMeasurement = {
        targetCps: plan.rateCps,
        offeredCps: plan.rateCps,
        successfulCps: (plan.rateCps * (plan.calls - failed)) / plan.calls,
        callsCreated: plan.calls,
        callsSucceeded: plan.calls - failed,
        callsFailed: failed,
        callsUnfinished: 0,
        failures: failed ? { FailedUnexpectedMessage: failed } : {},
        setupMs: { p95: over > 0 ? 800 : 15, p99: over > 0 ? 900 : 18, samples: plan.calls - failed },
        messages: plan.calls * 7,
        retransmissions: 0,
        peakConcurrent: peak,
        durationS: 1,
      };
      return { measurement: m, callers: 1, exitCode: failed ? 1 : 0, evidenceDir: `/tmp/${plan.name}`, errors: [], host: { loadAverage1m: 0.5 } };
    },
  };
}

describe('capacity controller', () => {
  it('finds the rate limit, then the concurrency limit, within the budget', async () => {
    let now = 0;
    const clock = { now: () => now, sleep: async (ms: number) => void (now += ms) };
    const sbc = simulatedSbc(120, 900);
    const driver: CallerDriver = {
      coreAlive: () => true,
      runCaller: async (plan) => {
        now += (plan.calls / plan.rateCps + plan.holdMs / 1000 + 3) * 1000;
        return sbc.runCaller(plan);
      },
    };
    const lines: string[] = [];
    const steps: number[] = [];
    const o = capacityOptions({ budgetS: 1200 });
    const r = await runCapacity(driver, o, (l) => lines.push(l), (s) => steps.push(s.index), clock);
    expect(r.rate.best!.value).toBeLessThanOrEqual(120);
    expect(r.rate.best!.value).toBeGreaterThan(100);
    expect(r.rate.firstFail!.value).toBeGreaterThan(120);
    expect(r.concurrency?.best?.value).toBeLessThanOrEqual(900);
    expect(r.concurrency?.firstFail?.value).toBeGreaterThan(900);
    expect(now).toBeLessThanOrEqual(1200 * 1000);
    expect(steps).toEqual(Array.from({ length: steps.length }, (_, i) => i + 1));
    expect(lines.filter((l) => / \| (PASS|FAIL)/.test(l))).toHaveLength(steps.length);
    expect(lines.find((l) => l.startsWith('rate #1'))).toMatch(/^rate #1 ramp +20 cps \| offered 20 cps.*setup p50\/p95\/p99 -\/15\/18 ms.*PASS$/);
    // Concurrency steps hold every call at once: the calls are all started within half the hold.
    for (const p of sbc.plans.filter((x) => x.name.startsWith('conc'))) expect(p.calls / p.rateCps).toBeLessThanOrEqual(p.holdMs / 2000 + 1);
  });

  it('skips the concurrency search when no rate met the service level', async () => {
    let now = 0;
    const r = await runCapacity(simulatedSbc(0.1, 10), capacityOptions({ budgetS: 600 }), () => undefined, undefined, {
      now: () => now,
      sleep: async (ms) => void (now += ms),
    });
    expect(r.rate.best).toBeUndefined();
    expect(r.concurrencySkipped).toMatch(/no call rate/);
  });

  it('places media probes beside each step and fails the steps whose media is bad', async () => {
    let now = 0;
    const sbc = simulatedSbc(1000, 100_000);
    const windows: { step: string; delayMs: number; durationMs: number }[] = [];
    const driver: CallerDriver = {
      ...sbc,
      probeMedia: async (step, w) => {
        windows.push({ step, ...w });
        // Probes start before the step's caller: the step name says its rate.
        const target = Number(/-(\d+(?:\.\d+)?)cps/.exec(step)?.[1]);
        const lost = target > 60 ? 50 : 0;
        return { probes: 3, completed: 3, packetsSent: 750, packetsLost: lost, lossRatio: lost / 750, jitterP95Ms: 2, payloadCheckFailures: 0, errors: [] };
      },
    };
    const lines: string[] = [];
    const o = { ...capacityOptions({ budgetS: 300, concurrency: false }), mediaProbes: 3 };
    const r = await runCapacity(driver, o, (l) => lines.push(l), undefined, { now: () => now, sleep: async (ms) => void (now += ms * 20) });
    expect(r.rate.best!.value).toBeLessThanOrEqual(60);
    expect(r.rate.firstFail!.step.violations).toContain('media loss 6.7 % > 1.0 % (50 of 750 packets)');
    const trials = r.rateConfirmation?.trials ?? [];
    expect(trials.length).toBeGreaterThan(0);
    expect(windows.map((w) => w.step)).toEqual([
      ...r.rate.steps.map((s) => `rate-${String(s.index).padStart(2, '0')}-${s.target}cps`),
      ...trials.map((s) => `rate-${String(s.index).padStart(2, '0')}-${s.target}cps-confirm`),
    ]);
    expect(lines.find((l) => l.startsWith('rate #1'))).toMatch(/\| media 3\/3, loss 0\.00 %, jitter p95 2 ms \|.*PASS$/);
    const quiet = { ...o, mediaProbes: 0 };
    windows.length = 0;
    await runCapacity(driver, quiet, () => undefined, undefined, { now: () => now, sleep: async (ms) => void (now += ms * 20) });
    expect(windows).toEqual([]);
  });

  it('confirms the rate found with a longer trial before reporting it', async () => {
    let now = 0;
    const sbc = simulatedSbc(120, 900);
    const o = capacityOptions({ budgetS: 600, concurrency: false });
    expect(o.rate.confirmS).toBe(30);
    const r = await runCapacity(sbc, o, () => undefined, undefined, { now: () => now, sleep: async (ms) => void (now += ms) });
    const c = r.rateConfirmation!;
    expect(c.confirmed?.value).toBe(r.rate.best!.value);
    expect(c.trials).toHaveLength(1);
    expect(c.trials[0]!.phase).toBe('confirm');
    const plan = sbc.plans.at(-1)!;
    expect(plan.name).toMatch(/-confirm$/);
    expect(plan.calls / plan.rateCps).toBe(30);
    const phase = ratePhaseResult(r.rate, c, o.rate.confirmS);
    expect(phase.maximum).toMatchObject({ value: r.rate.best!.value, step: c.trials[0]!.index, confirmed: true });
    expect(phase.meaning).toMatch(/confirmed: \d+ cps held the service level for a 30 s trial/);
  });

  it('reports the lower rate a longer trial held when the one found does not hold, and says when none does', async () => {
    // Passes 10 s steps up to 100 cps, but for 30 s only up to 80 (or never, when `sustained` is 0).
    const flaky = (sustained: number): CallerDriver => {
      const ok = simulatedSbc(100, 1000);
      const bad = simulatedSbc(0.1, 1000);
      return { coreAlive: () => true, runCaller: (p) => (p.calls / p.rateCps > 10 && p.rateCps > sustained ? bad : ok).runCaller(p) };
    };
    const o = capacityOptions({ budgetS: 600, concurrency: false });
    let now = 0;
    const clock = { now: () => now, sleep: async (ms: number) => void (now += ms) };
    const r = await runCapacity(flaky(80), o, () => undefined, undefined, clock);
    const best = r.rate.best!.value;
    expect(best).toBeGreaterThan(80);
    const c = r.rateConfirmation!;
    expect(c.trials.map((t) => t.verdict)).toEqual(['fail', 'pass']);
    expect(c.confirmed!.value).toBeLessThan(best);
    expect(c.confirmed!.value).toBeLessThanOrEqual(80);
    const phase = ratePhaseResult(r.rate, c, o.rate.confirmS);
    expect(phase.maximum).toMatchObject({ value: c.confirmed!.value, confirmed: true });
    expect(phase.meaning).toContain(`${best} cps broke it`);

    const never = await runCapacity(flaky(0), o, () => undefined, undefined, clock);
    const none = ratePhaseResult(never.rate, never.rateConfirmation, o.rate.confirmS);
    expect(never.rateConfirmation!.confirmed).toBeUndefined();
    expect(none.maximum).toMatchObject({ value: never.rate.best!.value, confirmed: false });
    expect(none.meaning).toMatch(/NOT confirmed: in 30 s trials/);
  });

  it('runs no confirmation trial when it is turned off or nothing passed', async () => {
    const off = await runCapacity(simulatedSbc(120, 900), { ...capacityOptions({ budgetS: 600, concurrency: false }), rate: { ...capacityOptions({ budgetS: 600 }).rate, confirmS: 0 } }, () => undefined, undefined, { now: () => 0, sleep: async () => undefined });
    expect(off.rateConfirmation).toEqual({ trials: [], skipped: 'turned off (--confirm-s 0)' });
    const nothing = await runCapacity(simulatedSbc(0.1, 10), capacityOptions({ budgetS: 600 }), () => undefined, undefined, { now: () => 0, sleep: async () => undefined });
    expect(nothing.rateConfirmation?.skipped).toMatch(/no call rate/);
  });

  it('stops when a core server dies', async () => {
    const driver = { ...simulatedSbc(100, 100), coreAlive: () => false };
    await expect(runCapacity(driver, capacityOptions({ budgetS: 60 }), () => undefined, undefined, { now: () => 0, sleep: async () => undefined })).rejects.toThrow(/core server/);
  });
});
