import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { buildArgs } from '../sipp/options';
import { start, type Managed } from '../util/process';
import type { StepMeasurement } from './service-level';
import { measureStep } from './step-stats';

/**
 * Runs the SIPp processes of a capacity run: the caller of one step and the answering core servers.
 * The suite's SIPp runner traces every message, which at a few hundred calls per second costs more CPU
 * than the SBC on this machine; here only statistics, per-call response times, message counts and errors
 * are traced. Every process is a managed one, so the topology's teardown reaps it even on Ctrl-C.
 */
export interface Endpoint {
  /** Network namespace the endpoint lives in; absent on loopback. */
  netns?: string;
  address: string;
  port: number;
}

export interface CallerPlan {
  /** Folder name of the step's evidence, e.g. 'rate-03-51cps'. */
  name: string;
  rateCps: number;
  calls: number;
  maxConcurrent: number;
  holdMs: number;
}

export interface CallerRun {
  measurement: StepMeasurement;
  exitCode: number | string;
  evidenceDir: string;
  /** First lines of SIPp's error trace, for the step report. */
  errors: string[];
  /** How busy the machine was: every process here shares its cores with the SUT. */
  host: HostLoad;
}

export interface HostLoad {
  loadAverage1m: number;
  /** CPU the SUT process used during the step, in % of one core; absent when its pid is unknown. */
  sutCpuPercent?: number;
}

/** Kernel clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/** User plus system CPU seconds of a process, or undefined when it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses; the fields after its closing one are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
  } catch {
    return undefined;
  }
}

export class LoadGeneratorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LoadGeneratorError';
  }
}

const read = (f: string | undefined): string => (f && existsSync(f) ? readFileSync(f, 'utf8') : '');
const findFile = (dir: string, suffix: string): string | undefined => {
  const f = readdirSync(dir).find((n) => n.endsWith(suffix));
  return f ? join(dir, f) : undefined;
};

export class LoadGenerator {
  private core: Managed[] = [];

  constructor(
    private readonly o: {
      caller: Endpoint;
      /** The SBC's public SIP address, host:port. */
      target: string;
      /** Answering servers behind the SBC; none when the target answers by itself. */
      coreServers: Endpoint[];
      /** The dialled number and the calling number prefix. */
      service: string;
      from: string;
      callerScenario: string;
      coreScenario: string;
      /** Evidence root: reports/<run>/capacity/steps. */
      dir: string;
      /** A call still not answered after this long fails (a hung call must not hang the step). */
      answerTimeoutMs: number;
      /** The SUT's process, to report its CPU use per step. */
      sutPid?: number;
    },
  ) {}

  /** Starts the core servers (SIPp UAS, answering every INVITE and waiting for the BYE). */
  async startCore(longestHoldMs: number): Promise<void> {
    const dir = join(this.o.dir, 'core');
    mkdirSync(dir, { recursive: true });
    this.core = this.o.coreServers.map((c) => {
      const name = `core-${c.address.split('.').pop()}`;
      const args = buildArgs({
        scenario: { file: this.o.coreScenario },
        localIp: c.address,
        localPort: c.port,
        mediaIp: c.address,
        // The UAS waits for the caller's BYE: longer than any hold, plus slack for a loaded SBC.
        recvTimeoutMs: longestHoldMs + 60000,
        statFile: join(dir, `${name}.stats.csv`),
        statPeriodS: 5,
        errorFile: join(dir, `${name}.errors.log`),
        extra: ['-max_recv_loops', '100000', '-max_sched_loops', '100000'],
      });
      return start({ name: `capacity-${name}`, command: 'sipp', args, netns: c.netns, cwd: dir, logFile: join(dir, `${name}.out.log`) });
    });
    // SIPp binds at start-up; a bind failure ends it at once.
    await new Promise((r) => setTimeout(r, 300));
    for (const p of this.core) {
      if (p.child.exitCode !== null) {
        const code = await p.exited;
        throw new LoadGeneratorError(`core server ${p.name} did not start (exit ${code}); see ${dir}`);
      }
    }
  }

  /** True while every core server is still running (a crashed UAS would make the SBC look slow). */
  coreAlive(): boolean {
    return this.core.every((p) => p.child.exitCode === null && p.child.signalCode === null);
  }

  async stopCore(): Promise<void> {
    await Promise.all(this.core.map((p) => p.stop(2000)));
    this.core = [];
  }

  /** Runs one caller to completion and measures it. */
  async runCaller(plan: CallerPlan): Promise<CallerRun> {
    const dir = join(this.o.dir, plan.name);
    mkdirSync(dir, { recursive: true });
    const statFile = join(dir, 'caller.stats.csv');
    const errorFile = join(dir, 'caller.errors.log');
    const creationS = plan.calls / plan.rateCps;
    const holdS = plan.holdMs / 1000;
    // SIPp ends by itself after the last call; the time-out only stops a caller the SBC never releases.
    const timeoutS = Math.ceil(creationS + holdS + this.o.answerTimeoutMs / 1000 + 40);
    const args = buildArgs({
      scenario: { file: this.o.callerScenario },
      localIp: this.o.caller.address,
      localPort: this.o.caller.port,
      remote: this.o.target,
      service: this.o.service,
      keys: { from: this.o.from },
      rate: plan.rateCps,
      ratePeriodMs: 1000,
      calls: plan.calls,
      maxConcurrent: plan.maxConcurrent,
      recvTimeoutMs: this.o.answerTimeoutMs,
      timeoutS,
      statFile,
      statPeriodS: 1,
      errorFile,
      extra: ['-d', String(plan.holdMs), '-trace_rtt', '-rtt_freq', '1', '-trace_counts', '-max_recv_loops', '100000', '-max_sched_loops', '100000'],
    });
    const cpu0 = this.o.sutPid === undefined ? undefined : cpuSeconds(this.o.sutPid);
    const t0 = Date.now();
    const proc = start({ name: `capacity-caller-${plan.name}`, command: 'sipp', args, netns: this.o.caller.netns, cwd: dir, logFile: join(dir, 'caller.out.log') });
    const killer = setTimeout(() => void proc.stop(1000), (timeoutS + 15) * 1000);
    const exitCode = await proc.exited;
    clearTimeout(killer);
    await proc.stop();
    const cpu1 = this.o.sutPid === undefined ? undefined : cpuSeconds(this.o.sutPid);
    const host: HostLoad = { loadAverage1m: Math.round((loadavg()[0] ?? 0) * 100) / 100 };
    if (cpu0 !== undefined && cpu1 !== undefined) host.sutCpuPercent = Math.round(((cpu1 - cpu0) / ((Date.now() - t0) / 1000)) * 100);
    const statsText = read(statFile);
    if (!statsText.trim()) {
      const out = read(join(dir, 'caller.out.log')).trim().split('\n').slice(-5).join(' | ');
      throw new LoadGeneratorError(`the SIPp caller of ${plan.name} wrote no statistics (exit ${exitCode}): ${out}`);
    }
    const measurement = measureStep({
      targetCps: plan.rateCps,
      statsText,
      rttText: read(findFile(dir, '_rtt.csv')),
      countsText: read(findFile(dir, '_counts.csv')),
    });
    const errors = read(errorFile).split('\n').filter((l) => l.trim() && !/^-+ /.test(l)).slice(0, 3);
    return { measurement, exitCode, evidenceDir: dir, errors, host };
  }
}
