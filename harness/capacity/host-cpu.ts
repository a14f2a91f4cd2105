import { readFileSync } from 'node:fs';

/**
 * How busy the whole machine's CPUs were over a window, from the `cpu` line of /proc/stat. Every
 * process of a capacity run (SUT, media relay, SIPp callers and servers, the kernel moving their
 * datagrams) shares these cores, and on a virtual machine the host may take some of them away
 * (steal). A step measured on saturated or stolen cores says as much about the machine as the SUT.
 */
export interface CpuTimes {
  /** Jiffies spent working: user, nice, system, irq, softirq (guest time is inside user). */
  busy: number;
  /** Jiffies idle or waiting for I/O. */
  idle: number;
  /** Jiffies the hypervisor ran something else while this machine wanted the CPU. */
  steal: number;
}

export interface CpuShare {
  /** Working time as a share of all time in the window, in % of every core together. */
  busyPercent: number;
  /** Stolen time as a share of all time in the window, in %. */
  stealPercent: number;
}

/** Parses the aggregate `cpu` line of /proc/stat; undefined when there is none. */
export function parseProcStat(text: string): CpuTimes | undefined {
  const line = text.split('\n').find((l) => /^cpu\s/.test(l));
  if (!line) return undefined;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  if (f.length < 4 || f.some((x) => !Number.isFinite(x))) return undefined;
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  return { busy: user + nice + system + irq + softirq, idle: idle + iowait, steal };
}

/** The machine's CPU share between two readings; undefined when no time passed or a reading is missing. */
export function cpuShare(before: CpuTimes | undefined, after: CpuTimes | undefined): CpuShare | undefined {
  if (!before || !after) return undefined;
  const busy = after.busy - before.busy;
  const idle = after.idle - before.idle;
  const steal = after.steal - before.steal;
  const total = busy + idle + steal;
  if (!(total > 0) || busy < 0 || idle < 0 || steal < 0) return undefined;
  const pct = (x: number): number => Math.round((1000 * x) / total) / 10;
  return { busyPercent: pct(busy), stealPercent: pct(steal) };
}

/** This machine's CPU times now; undefined where /proc/stat cannot be read. */
export function readCpuTimes(file = '/proc/stat'): CpuTimes | undefined {
  try {
    return parseProcStat(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** At or above this busy share a step's figures are the machine's as much as the SUT's. */
export const SATURATED_BUSY_PERCENT = 95;
/** At or above this steal share the machine had noticeably less CPU than it has cores. */
export const NOTABLE_STEAL_PERCENT = 10;

/** A warning for a step measured on saturated or stolen cores; undefined when the machine had room. */
export function machineWarning(share: CpuShare | undefined): string | undefined {
  if (!share) return undefined;
  const notes: string[] = [];
  if (share.busyPercent >= SATURATED_BUSY_PERCENT) notes.push(`the machine's CPUs were ${share.busyPercent} % busy (SUT, media relay, callers, core servers and kernel share them)`);
  if (share.stealPercent >= NOTABLE_STEAL_PERCENT) notes.push(`the hypervisor took ${share.stealPercent} % of the CPU time (steal)`);
  return notes.length ? `machine-bound: ${notes.join('; ')}` : undefined;
}
