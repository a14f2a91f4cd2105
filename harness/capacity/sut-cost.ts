import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { splitProcStat } from '../util/process';

/**
 * What carrying the load cost the SUT (issue: cost figures): CPU and memory of every process in the
 * SBC's network namespace, whatever the SBC is made of (one Node process, a forking Kamailio, ...),
 * with the media relay (rtpengine) counted apart. Read from /proc, so it needs no help from the SBC.
 */
export interface ProcessUsage {
  pid: number;
  comm: string;
  /** User plus system CPU seconds since the process started. */
  cpuS: number;
  rssKb: number;
  /**
   * Seconds its threads spent runnable but waiting for a CPU since they started (/proc/<pid>/task/<tid>/schedstat,
   * second field): time a saturated machine took from it, whatever it would have done with it.
   */
  runWaitS: number;
}

/** Kernel clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const USER_HZ = 100;
/** Processes whose name says they relay media: their cost is the media anchor's, reported apart. */
const MEDIA_RELAY = /^rtpengine/;

/** Parses /proc/<pid>/stat: CPU seconds (utime + stime) and the resident set (pages, 4 KiB). */
export function parseProcStat(stat: string, pageKb = 4): { comm: string; cpuS: number; rssKb: number } {
  const { comm, fields } = splitProcStat(stat);
  // utime and stime are fields 14 and 15 of proc(5), rss field 24.
  return { comm, cpuS: (Number(fields[11]) + Number(fields[12])) / USER_HZ, rssKb: Number(fields[21]) * pageKb };
}

/** The run-queue wait (ns) of a schedstat line: `<on cpu ns> <waiting ns> <timeslices>`. */
export function parseSchedstat(text: string): number | undefined {
  const wait = Number(text.trim().split(/\s+/)[1]);
  return Number.isFinite(wait) && wait >= 0 ? wait : undefined;
}

/** Run-queue wait of every thread of a process, in seconds (0 where schedstat is not kept). */
function runWaitSeconds(pid: string): number {
  let ns = 0;
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return 0;
  }
  for (const tid of tasks) {
    try {
      ns += parseSchedstat(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8')) ?? 0;
    } catch {
      // thread gone meanwhile
    }
  }
  return ns / 1e9;
}

/** The inode of a network namespace made by `ip netns add` (what /proc/<pid>/ns/net links to). */
function namespaceInode(netns: string): number | undefined {
  try {
    return statSync(`/run/netns/${netns}`).ino;
  } catch {
    return undefined;
  }
}

/** Every process in the namespace, with its CPU and memory now. Processes that end while read are skipped. */
export function processesIn(netns: string): ProcessUsage[] {
  const ino = namespaceInode(netns);
  if (ino === undefined) return [];
  const want = `net:[${ino}]`;
  const out: ProcessUsage[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/ns/net`) !== want) continue;
      const { comm, cpuS, rssKb } = parseProcStat(readFileSync(`/proc/${entry}/stat`, 'utf8'));
      out.push({ pid: Number(entry), comm, cpuS, rssKb, runWaitS: runWaitSeconds(entry) });
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return out;
}

export interface UsageTotals {
  sut: { cpuS: number; rssKb: number; processes: number };
  mediaRelay: { cpuS: number; rssKb: number; processes: number };
}

export function totals(processes: ProcessUsage[]): UsageTotals {
  const t: UsageTotals = { sut: { cpuS: 0, rssKb: 0, processes: 0 }, mediaRelay: { cpuS: 0, rssKb: 0, processes: 0 } };
  for (const p of processes) {
    const part = MEDIA_RELAY.test(p.comm) ? t.mediaRelay : t.sut;
    part.cpuS += p.cpuS;
    part.rssKb += p.rssKb;
    part.processes++;
  }
  return t;
}

/** The cost of one step, per completed call and per simultaneous call. */
export interface StepCost {
  /** CPU time of the SUT's processes (media relay excluded) per call that completed, in µs. */
  sutCpuUsPerCall?: number;
  /** The same for the media relay (rtpengine). */
  mediaRelayCpuUsPerCall?: number;
  /** Growth of the SUT's resident memory from before the step to its peak, per simultaneous call at the peak, in KB. */
  sutKbPerConcurrentCall?: number;
  mediaRelayKbPerConcurrentCall?: number;
  /** CPU of the SUT's processes during the step, in % of one core. */
  sutCpuPercent: number;
  mediaRelayCpuPercent: number;
  /**
   * Time the SUT's threads spent ready to run but waiting for a CPU, in % of the step (summed over its
   * threads): high when the machine, not the SUT, was the limit. Media relay apart.
   */
  sutRunQueueWaitPercent: number;
  mediaRelayRunQueueWaitPercent: number;
  /** Peak resident memory of the SUT's processes during the step, in KB. */
  sutRssKbPeak: number;
  sutProcesses: number;
}

/**
 * Samples the namespace before, during (every `periodMs`, for the memory peak) and after a step.
 * CPU of processes that started or ended during the step counts from when they were first or last seen.
 */
export class CostMeter {
  private readonly first = new Map<number, ProcessUsage>();
  private readonly last = new Map<number, ProcessUsage>();
  private rss0 = { sut: 0, mediaRelay: 0 };
  private peak = { sut: 0, mediaRelay: 0 };
  private timer: NodeJS.Timeout | undefined;
  private t0 = 0;

  constructor(
    private readonly netns: string,
    private readonly periodMs = 500,
  ) {}

  start(): void {
    this.t0 = Date.now();
    const now = this.sample();
    const t = totals(now);
    this.rss0 = { sut: t.sut.rssKb, mediaRelay: t.mediaRelay.rssKb };
    this.timer = setInterval(() => this.sample(), this.periodMs);
    this.timer.unref();
  }

  private sample(): ProcessUsage[] {
    const now = processesIn(this.netns);
    for (const p of now) {
      if (!this.first.has(p.pid)) this.first.set(p.pid, p);
      this.last.set(p.pid, p);
    }
    const t = totals(now);
    this.peak = { sut: Math.max(this.peak.sut, t.sut.rssKb), mediaRelay: Math.max(this.peak.mediaRelay, t.mediaRelay.rssKb) };
    return now;
  }

  /** Ends the step: `callsCompleted` and `peakConcurrent` are what the caller measured. */
  stop(o: { callsCompleted: number; peakConcurrent: number }): StepCost {
    if (this.timer) clearInterval(this.timer);
    this.sample();
    const seconds = Math.max(0.001, (Date.now() - this.t0) / 1000);
    const used = { sut: 0, mediaRelay: 0 };
    const waited = { sut: 0, mediaRelay: 0 };
    let sutProcesses = 0;
    for (const [pid, last] of this.last) {
      const part = MEDIA_RELAY.test(last.comm) ? 'mediaRelay' : 'sut';
      const first = this.first.get(pid)!;
      used[part] += last.cpuS - first.cpuS;
      waited[part] += Math.max(0, last.runWaitS - first.runWaitS);
      if (part === 'sut') sutProcesses++;
    }
    const perCall = (cpuS: number): number | undefined => (o.callsCompleted > 0 ? Math.round((cpuS * 1e6) / o.callsCompleted) : undefined);
    const perConcurrent = (grownKb: number): number | undefined => (o.peakConcurrent > 0 ? Math.round((Math.max(0, grownKb) / o.peakConcurrent) * 100) / 100 : undefined);
    const cost: StepCost = {
      sutCpuPercent: Math.round((used.sut / seconds) * 100),
      mediaRelayCpuPercent: Math.round((used.mediaRelay / seconds) * 100),
      sutRunQueueWaitPercent: Math.round((waited.sut / seconds) * 1000) / 10,
      mediaRelayRunQueueWaitPercent: Math.round((waited.mediaRelay / seconds) * 1000) / 10,
      sutRssKbPeak: this.peak.sut,
      sutProcesses,
    };
    const put = <K extends keyof StepCost>(k: K, v: StepCost[K] | undefined): void => {
      if (v !== undefined) cost[k] = v;
    };
    put('sutCpuUsPerCall', perCall(used.sut));
    put('mediaRelayCpuUsPerCall', perCall(used.mediaRelay));
    put('sutKbPerConcurrentCall', perConcurrent(this.peak.sut - this.rss0.sut));
    put('mediaRelayKbPerConcurrentCall', perConcurrent(this.peak.mediaRelay - this.rss0.mediaRelay));
    return cost;
  }
}
