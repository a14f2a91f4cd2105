import { describe, expect, it } from 'vitest';
import { cpuShare, machineWarning, parseProcStat, readCpuTimes } from './host-cpu';

const stat = (user: number, system: number, idle: number, steal: number): string =>
  `cpu  ${user} 0 ${system} ${idle} 0 0 0 ${steal} 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\nintr 1 2\n`;

describe('machine CPU share of a step', () => {
  it('reads the aggregate cpu line, not a per-core one', () => {
    expect(parseProcStat(stat(100, 50, 800, 50))).toEqual({ busy: 150, idle: 800, steal: 50 });
    expect(parseProcStat('cpu0 1 2 3 4\n')).toBeUndefined();
    expect(parseProcStat('cpu  a b c d\n')).toBeUndefined();
  });

  it('gives busy and steal as shares of all time in the window', () => {
    const share = cpuShare(parseProcStat(stat(100, 50, 800, 50)), parseProcStat(stat(700, 250, 900, 150)));
    // busy 800, idle 100, steal 100 of 1000
    expect(share).toEqual({ busyPercent: 80, stealPercent: 10 });
  });

  it('has no share for an empty window or a counter that went backwards', () => {
    const a = parseProcStat(stat(100, 50, 800, 50));
    expect(cpuShare(a, a)).toBeUndefined();
    expect(cpuShare(parseProcStat(stat(200, 50, 800, 50)), a)).toBeUndefined();
    expect(cpuShare(undefined, a)).toBeUndefined();
  });

  it('warns about a saturated machine and about steal, and only then', () => {
    expect(machineWarning({ busyPercent: 97, stealPercent: 1 })).toMatch(/machine-bound: the machine's CPUs were 97 % busy/);
    expect(machineWarning({ busyPercent: 60, stealPercent: 25 })).toMatch(/hypervisor took 25 %/);
    expect(machineWarning({ busyPercent: 60, stealPercent: 2 })).toBeUndefined();
    expect(machineWarning(undefined)).toBeUndefined();
  });

  it('reads this machine', () => {
    const t = readCpuTimes();
    expect(t?.busy).toBeGreaterThan(0);
    expect(readCpuTimes('/nonexistent/stat')).toBeUndefined();
  });
});
