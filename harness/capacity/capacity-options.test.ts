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
    expect(r).toMatchObject({ budgetS: 120, maxCps: 300, concurrency: false, serviceLevel: { maxSetupP95Ms: 300 } });
    expect(() => parseCapacityArgs(['--budget-s', 'abc'])).toThrow(/positive number/);
    expect(() => parseCapacityArgs(['--budget-s'])).toThrow(/needs a value/);
    expect(() => parseCapacityArgs(['--budget-s', '10'])).toThrow(/at least 20 s/);
    expect(() => parseCapacityArgs(['--slo', 'failed=1ms'])).toThrow(/ratio/);
  });
});
