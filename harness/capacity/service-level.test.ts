import { describe, expect, it } from 'vitest';
import { DEFAULT_SERVICE_LEVEL, LEGACY_SERVICE_LEVEL, evaluateStep, parseServiceLevel, type StepMeasurement } from './service-level';

const good: StepMeasurement = {
  targetCps: 50,
  offeredCps: 49.8,
  successfulCps: 49.8,
  callsCreated: 500,
  callsSucceeded: 500,
  callsFailed: 0,
  callsUnfinished: 0,
  failures: {},
  setupMs: { p50: 5, p95: 20, p99: 40, max: 60, mean: 7, samples: 500 },
  messages: 3500,
  retransmissions: 0,
  peakConcurrent: 80,
  durationS: 12,
};

const withFields = (p: Partial<StepMeasurement>): StepMeasurement => ({ ...good, ...p });

describe('service level evaluation', () => {
  it('passes a clean step', () => {
    expect(evaluateStep(good, DEFAULT_SERVICE_LEVEL)).toEqual({ verdict: 'pass', violations: [] });
  });

  it('allows failed calls up to 0.1 % and no more', () => {
    expect(evaluateStep(withFields({ callsCreated: 1000, callsSucceeded: 999, callsFailed: 1 }), DEFAULT_SERVICE_LEVEL).verdict).toBe('pass');
    const v = evaluateStep(withFields({ callsCreated: 1000, callsSucceeded: 998, callsFailed: 2 }), DEFAULT_SERVICE_LEVEL);
    expect(v.verdict).toBe('fail');
    expect(v.violations[0]).toMatch(/failed calls 0\.20 % > 0\.10 % \(2 failed of 1000\)/);
  });

  it('counts calls that never ended as failed', () => {
    const v = evaluateStep(withFields({ callsSucceeded: 490, callsUnfinished: 10 }), DEFAULT_SERVICE_LEVEL);
    expect(v.verdict).toBe('fail');
    expect(v.violations[0]).toContain('10 unfinished');
  });

  it('fails a step whose setup time p99 exceeds 200 ms (the default), or p95 500 ms (legacy)', () => {
    const v = evaluateStep(withFields({ setupMs: { p95: 150, p99: 201, samples: 500 } }), DEFAULT_SERVICE_LEVEL);
    expect(v.violations).toEqual(['setup time p99 201 ms > 200 ms']);
    expect(evaluateStep(withFields({ setupMs: { p95: 150, p99: 200, samples: 500 } }), DEFAULT_SERVICE_LEVEL).verdict).toBe('pass');
    expect(evaluateStep(withFields({ setupMs: { p95: 501, p99: 900, samples: 500 } }), LEGACY_SERVICE_LEVEL).violations).toEqual(['setup time p95 501 ms > 500 ms']);
    expect(evaluateStep(withFields({ setupMs: { p95: 500, p99: 900, samples: 500 } }), LEGACY_SERVICE_LEVEL).verdict).toBe('pass');
    expect(parseServiceLevel('legacy')).toEqual(LEGACY_SERVICE_LEVEL);
    expect(parseServiceLevel('legacy,failed=1%')).toMatchObject({ setupPercentile: 'p95', maxSetupMs: 500, maxFailedRatio: 0.01 });
  });

  it('fails a step with successful calls but no setup time measured', () => {
    expect(evaluateStep(withFields({ setupMs: { samples: 0 } }), DEFAULT_SERVICE_LEVEL).violations).toEqual(['no setup time was measured']);
  });

  it('fails a retransmission storm', () => {
    const v = evaluateStep(withFields({ messages: 1000, retransmissions: 11 }), DEFAULT_SERVICE_LEVEL);
    expect(v.verdict).toBe('fail');
    expect(v.violations[0]).toMatch(/^retransmissions 1\.1 % of messages > 1\.0 %/);
    expect(evaluateStep(withFields({ messages: 1000, retransmissions: 10 }), DEFAULT_SERVICE_LEVEL).verdict).toBe('pass');
  });

  it('counts the retransmissions on the core side of the SBC too', () => {
    const m = withFields({ messages: 1000, retransmissions: 0, core: { messages: 1000, retransmissions: 30, failedCalls: 0 } });
    const v = evaluateStep(m, DEFAULT_SERVICE_LEVEL);
    expect(v.violations).toEqual(['retransmissions 1.5 % of messages > 1.0 % (caller side 0 of 1000; core side 30 of 1000)']);
  });

  it('fails a step whose calls succeeded for the caller but failed at the core servers', () => {
    // e.g. an SBC that answers the caller's BYE itself and never passes it on: the caller sees no failure.
    expect(evaluateStep(withFields({ callsCreated: 1000, core: { messages: 7000, retransmissions: 0, failedCalls: 1 } }), DEFAULT_SERVICE_LEVEL).verdict).toBe('pass');
    const v = evaluateStep(withFields({ callsCreated: 1000, core: { messages: 7000, retransmissions: 0, failedCalls: 40 } }), DEFAULT_SERVICE_LEVEL);
    expect(v.verdict).toBe('fail');
    expect(v.violations).toEqual(['the core servers counted 40 of 1000 calls failed (4.0 % > 0.10 %)']);
  });

  it('fails a step the generator broke, and says it was the generator', () => {
    const v = evaluateStep(withFields({ generatorFaults: ['the echo stopped'] }), DEFAULT_SERVICE_LEVEL);
    expect(v).toEqual({ verdict: 'fail', violations: ["generator fault, not the SUT's: the echo stopped"] });
  });

  it('says when nothing reached the core', () => {
    const v = evaluateStep(withFields({ callsSucceeded: 0, callsFailed: 500, setupMs: { samples: 0 }, core: { messages: 0, retransmissions: 0, failedCalls: 0 } }), DEFAULT_SERVICE_LEVEL);
    expect(v.violations).toContain('no message reached the core servers (is the caller blocked?)');
  });

  it('does not credit a rate the caller could not offer', () => {
    const v = evaluateStep(withFields({ targetCps: 100, offeredCps: 80 }), DEFAULT_SERVICE_LEVEL);
    expect(v.violations).toEqual(['caller offered only 80.0 of 100 cps']);
  });

  it('fails a step that created no call', () => {
    const v = evaluateStep(withFields({ callsCreated: 0, callsSucceeded: 0, setupMs: { samples: 0 }, offeredCps: 0 }), DEFAULT_SERVICE_LEVEL);
    expect(v.verdict).toBe('fail');
    expect(v.violations).toContain('no call was created');
  });

  it('lists every violated limit and the extra checks', () => {
    const v = evaluateStep(
      withFields({ callsFailed: 50, callsSucceeded: 450, setupMs: { p95: 900, p99: 950, samples: 450 }, retransmissions: 400 }),
      DEFAULT_SERVICE_LEVEL,
      [{ ok: false, violation: 'held only 10 of 20 calls at once' }, { ok: true, violation: 'not shown' }],
    );
    expect(v.violations).toHaveLength(4);
    expect(v.violations.at(-1)).toBe('held only 10 of 20 calls at once');
  });

  it('reads service level overrides', () => {
    expect(parseServiceLevel('failed=0.5%, p95=300ms, retrans=2%')).toEqual({
      maxFailedRatio: 0.005,
      setupPercentile: 'p95',
      maxSetupMs: 300,
      maxRetransmissionRatio: 0.02,
      minOfferedRatio: 0.9,
    });
    expect(parseServiceLevel('p99=150ms')).toMatchObject({ setupPercentile: 'p99', maxSetupMs: 150 });
    expect(parseServiceLevel('offered=0.8').minOfferedRatio).toBe(0.8);
    expect(() => parseServiceLevel('p95=5%')).toThrow(/time in ms/);
    expect(() => parseServiceLevel('mos=3')).toThrow(/cannot read/);
  });
});
