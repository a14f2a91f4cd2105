import { describe, expect, it } from 'vitest';
import { capacityOptions, parseCapacityArgs } from './capacity-options';

describe('capacity options', () => {
  it('scales step length and concurrency hold with the budget', () => {
    const short = capacityOptions({ budgetS: 180 });
    expect(short.rate.stepS).toBe(6);
    expect(short.concurrency.holdS).toBe(16);
    const long = capacityOptions({ budgetS: 900 });
    expect(long.rate.stepS).toBe(10);
    expect(long.concurrency.holdS).toBe(30);
    expect(capacityOptions({ concurrency: false }).rate.budgetShare).toBe(1);
  });

  it('never starts above the maximum rate', () => {
    expect(capacityOptions({ maxCps: 5 }).rate.startCps).toBe(5);
  });

  it('reads the command line and refuses bad values before anything starts', () => {
    const r = parseCapacityArgs(['--sut', 'x.yaml', '--budget-s', '120', '--max-cps', '300', '--no-concurrency', '--slo', 'p95=300ms']);
    expect(r).toMatchObject({ budgetS: 120, maxCps: 300, concurrency: false, serviceLevel: { setupPercentile: 'p95', maxSetupMs: 300 } });
    expect(() => parseCapacityArgs(['--budget-s', 'abc'])).toThrow(/positive number/);
    expect(() => parseCapacityArgs(['--budget-s'])).toThrow(/needs a value/);
    expect(() => parseCapacityArgs(['--budget-s', '10'])).toThrow(/at least 20 s/);
    expect(() => parseCapacityArgs(['--slo', 'failed=1ms'])).toThrow(/ratio/);
    // The confirmation trial: 30 s by default (three 10 s steps), 0 turns it off, a negative length is refused.
    expect(capacityOptions({ budgetS: 300 }).rate.confirmS).toBe(30);
    expect(capacityOptions({ confirmS: parseCapacityArgs(['--confirm-s', '0']).confirmS }).rate.confirmS).toBe(0);
    expect(() => parseCapacityArgs(['--confirm-s', '-3'])).toThrow(/--confirm-s/);
    expect(() => parseCapacityArgs(['--confirm-s', '0.5'])).toThrow(/--confirm-s must be 0/);
  });

  it('places 5 media probes per step unless told otherwise; 0 turns them off', () => {
    expect(capacityOptions().mediaProbes).toBe(5);
    expect(capacityOptions(parseCapacityArgs(['--media-probes', '0', '--media', 'signalling'])).mediaProbes).toBe(0);
    expect(capacityOptions(parseCapacityArgs(['--media-probes', '3'])).mediaProbes).toBe(3);
    expect(() => parseCapacityArgs(['--media-probes', '2.5'])).toThrow(/whole number/);
    expect(() => parseCapacityArgs(['--media-probes', '-1'])).toThrow(/whole number/);
    expect(() => parseCapacityArgs(['--media-probes', '500'])).toThrow(/from 0 to 50/);
  });
  it('puts RTP on every call unless told --media signalling, refuses it without probes and refuses other media words', () => {
    expect(capacityOptions().media).toBe('rtp');
    expect(capacityOptions(parseCapacityArgs(['--media', 'signalling'])).media).toBe('signalling');
    expect(() => parseCapacityArgs(['--media-probes', '0'])).toThrow(/--media rtp \(the default\) needs media probes/);
    expect(() => parseCapacityArgs(['--media', 'srtp'])).toThrow(/--media is rtp .* or signalling/);
  });
  it('spreads a step over one caller per 5 cps, at most 38, unless told otherwise', () => {
    expect(capacityOptions().callers).toEqual({ perCallerCps: 5, maxCallers: 38 });
    expect(capacityOptions(parseCapacityArgs(['--caller-cps', '50', '--callers', '4'])).callers).toEqual({ perCallerCps: 50, maxCallers: 4 });
    expect(() => parseCapacityArgs(['--callers', '39'])).toThrow(/from 1 to 38/);
  });
});
