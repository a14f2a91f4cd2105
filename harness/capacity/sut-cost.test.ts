import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { CostMeter, parseProcStat, parseSchedstat, processesIn, totals } from './sut-cost';

describe('process usage from /proc', () => {
  it('reads CPU seconds and resident memory from a stat line whose name holds spaces and parentheses', () => {
    // pid (comm) state ppid ... utime=250 stime=50 (fields 14, 15) ... rss=1000 pages (field 24)
    const fields = ['S', '1', '1', '1', '0', '-1', '0', '0', '0', '0', '0', '250', '50', '0', '0', '20', '0', '1', '0', '100', '1000000', '1000'];
    const p = parseProcStat(`42 (kamailio (udp) x) ${fields.join(' ')} 0 0`);
    expect(p).toEqual({ comm: 'kamailio (udp) x', cpuS: 3, rssKb: 4000 });
  });

  it('counts the media relay apart from the SUT', () => {
    const t = totals([
      { pid: 1, comm: 'kamailio', cpuS: 2, rssKb: 100, runWaitS: 0 },
      { pid: 2, comm: 'kamailio', cpuS: 1, rssKb: 50, runWaitS: 0 },
      { pid: 3, comm: 'rtpengine', cpuS: 5, rssKb: 10, runWaitS: 0 },
    ]);
    expect(t).toEqual({ sut: { cpuS: 3, rssKb: 150, processes: 2 }, mediaRelay: { cpuS: 5, rssKb: 10, processes: 1 } });
  });

  it('reads the run-queue wait of a schedstat line', () => {
    expect(parseSchedstat('668665688 65826884 1086\n')).toBe(65826884);
    expect(parseSchedstat('')).toBeUndefined();
  });
});

const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot && process.env.CI !== 'true')('CostMeter in a network namespace', () => {
  const ns = `sbcx-cost-${randomBytes(2).toString('hex')}`;
  execFileSync('ip', ['netns', 'add', ns]);
  afterAll(() => {
    try {
      execFileSync('ip', ['netns', 'pids', ns]).toString().trim().split('\n').filter(Boolean).forEach((pid) => process.kill(Number(pid), 'SIGKILL'));
    } finally {
      execFileSync('ip', ['netns', 'delete', ns]);
    }
  });

  it('finds every process of the namespace and only those, and measures what they used per call', async () => {
    // Two processes burn CPU for 400 ms inside the namespace; this test process is outside it.
    const burn = "const t=Date.now(); while(Date.now()-t<400){} setTimeout(()=>{}, 5000)";
    const kids = [0, 1].map(() => spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', burn], { stdio: 'ignore' }));
    await new Promise((r) => setTimeout(r, 150));
    const meter = new CostMeter(ns, 50);
    meter.start();
    await new Promise((r) => setTimeout(r, 600));
    const cost = meter.stop({ callsCompleted: 10, peakConcurrent: 4 });
    const inside = processesIn(ns);
    for (const k of kids) k.kill('SIGKILL');
    expect(inside.map((p) => p.pid).sort()).toEqual(kids.map((k) => k.pid).sort());
    expect(inside.some((p) => p.pid === process.pid)).toBe(false);
    expect(cost.sutProcesses).toBe(2);
    // At least a good part of 2 x ~250 ms of busy loop after the meter started, shared over 10 calls.
    expect(cost.sutCpuUsPerCall).toBeGreaterThan(10_000);
    expect(cost.sutCpuPercent).toBeGreaterThan(20);
    expect(cost.sutRssKbPeak).toBeGreaterThan(10_000);
    expect(cost.mediaRelayCpuUsPerCall).toBe(0);
  });

  it('measures how long the processes waited for a CPU when they had to share one', async () => {
    // Three busy loops on one CPU: each runs about a third of the time and waits the rest.
    const burn = "const t=Date.now(); while(Date.now()-t<900){} setTimeout(()=>{}, 5000)";
    const kids = [0, 1, 2].map(() => spawn('ip', ['netns', 'exec', ns, 'taskset', '-c', '0', process.execPath, '-e', burn], { stdio: 'ignore' }));
    await new Promise((r) => setTimeout(r, 200));
    const meter = new CostMeter(ns, 50);
    meter.start();
    await new Promise((r) => setTimeout(r, 500));
    const cost = meter.stop({ callsCompleted: 1, peakConcurrent: 1 });
    for (const k of kids) k.kill('SIGKILL');
    // Ideally 200 % (two of three always waiting); well above what an idle machine shows.
    expect(cost.sutRunQueueWaitPercent).toBeGreaterThan(60);
    expect(cost.mediaRelayRunQueueWaitPercent).toBe(0);
  });
});
