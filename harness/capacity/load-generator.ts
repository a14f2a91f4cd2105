import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { buildArgs } from '../sipp/options';
import { run, start, type Managed } from '../util/process';
import { cpuShare, machineWarning, readCpuTimes, type CpuShare } from './host-cpu';
import { CostMeter } from './sut-cost';
import type { SutMetricsReader } from './sut-metrics';
import type { CoreTraffic, StepMeasurement } from './service-level';
import { callersFor, measureCallers, parseCounts, parseStatRows, splitEvenly, summarizeSippErrors } from './step-stats';

/**
 * Runs the SIPp processes of a capacity run: the callers of one step (one SIPp per `perCallerCps` of
 * the rate, each from its own source address, so neither one SIPp's ceiling nor an SBC's per-source
 * flood limit is what gets measured) and the answering core servers.
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
  /** The SIPp callers the step was spread over, one source address each. */
  callers: number;
  exitCode: number | string;
  evidenceDir: string;
  /** The commonest kinds of event in SIPp's error trace, "N x what". */
  errors: string[];
  /** How busy the machine was: every process here shares its cores with the SUT. */
  host: HostLoad;
}

export interface HostLoad {
  loadAverage1m: number;
  /** The whole machine's CPU during the step (busy and stolen, % of all cores), from /proc/stat. */
  machineCpu?: CpuShare;
  /** Set when the step ran on saturated or stolen cores: its figures are the machine's as much as the SUT's. */
  machineWarning?: string;
  /** What the generator had to mend before the step (e.g. a core server's echo restarted). */
  generatorRepairs?: string[];
  /** CPU the SUT process used during the step, in % of one core; absent when its pid is unknown. */
  sutCpuPercent?: number;
  /**
   * UDP datagrams the kernel dropped because a socket's receive buffer was full, per zone, during the
   * step: where a loaded SBC (or a starved SIPp) loses messages, which then come back as retransmissions.
   */
  udpReceiveBufferDrops?: Record<string, number>;
}

/**
 * Run with `node -e` in the core namespace: `<port> <address>...`; sends a datagram from each address
 * to its own echo port (up to 3 tries, 300 ms each) and prints the addresses that echoed it, as JSON.
 */
const ECHO_CHECK = `
const dgram = require('node:dgram');
const [port, ...addresses] = process.argv.slice(1);
const check = (address) => new Promise((resolve) => {
  const s = dgram.createSocket('udp4');
  let tries = 0, timer;
  const done = (ok) => { clearTimeout(timer); s.close(); resolve(ok ? address : undefined); };
  const send = () => { if (tries++ >= 3) return done(false); s.send('sbcx-echo-check', Number(port), address); timer = setTimeout(send, 300); };
  s.on('message', (m) => { if (String(m) === 'sbcx-echo-check') done(true); });
  s.on('error', () => done(false));
  s.bind(0, address, send);
});
Promise.all(addresses.map(check)).then((ok) => console.log(JSON.stringify(ok.filter(Boolean))));
`;

/** RcvbufErrors of the Udp line of /proc/net/snmp (per network namespace). */
export function parseUdpReceiveBufferErrors(snmp: string): number | undefined {
  const lines = snmp.split('\n').filter((l) => l.startsWith('Udp:'));
  const names = lines[0]?.split(/\s+/);
  const values = lines[1]?.split(/\s+/);
  const i = names?.indexOf('RcvbufErrors') ?? -1;
  const v = i > 0 ? Number(values?.[i]) : Number.NaN;
  return Number.isFinite(v) ? v : undefined;
}

async function udpReceiveBufferErrors(netns: string | undefined): Promise<number | undefined> {
  const r = await run('cat', ['/proc/net/snmp'], { netns, check: false, timeoutMs: 5000 }).catch(() => undefined);
  return r && r.code === 0 ? parseUdpReceiveBufferErrors(r.stdout) : undefined;
}

const CORE_DUMP_WAIT_MS = 1200;
const CALLER_PORTS = 8;

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
  private core: { proc: Managed; dir: string }[] = [];
  private steps = 0;
  private longestHoldMs = 0;
  /** The addresses whose echo did not answer at the last check (after the previous step); undefined: not checked yet. */
  private lastDeadEcho: string[] | undefined;
  /** How often the core servers were started: a restart gets folders of its own (SIPp names its files by pid). */
  private coreStarts = 0;

  constructor(
    private readonly o: {
      /** Source addresses of the callers, in the order they are taken; one caller per address. */
      callers: Endpoint[];
      /** A step gets one more caller per this many calls per second of its rate (default: one caller). */
      perCallerCps?: number;
      /** Where caller i sends its calls, host:port: `targets[i % targets.length]` (the SBC's public SIP address, or several SIPp UAS). */
      targets: string[];
      /** Answering servers behind the SBC; none when the target answers by itself. */
      coreServers: Endpoint[];
      /** The dialled number and the calling number prefix. */
      service: string;
      from: string;
      callerScenario: string;
      coreScenario: string;
      /**
       * The core servers echo every RTP datagram back to its sender from this port (SIPp `-rtp_echo`
       * on `-mp`, and `[core_media_port]` of the scenario's SDP answer points there), so each call's
       * media crosses the SBC both ways at the cost of a C loop, not of the suite's own code.
       */
      coreMediaEchoPort?: number;
      /** Evidence root: reports/<run>/capacity/steps. */
      dir: string;
      /** A call still not answered after this long fails (a hung call must not hang the step). */
      answerTimeoutMs: number;
      /** Files the caller's scenario reads from its working directory (the G.711 file of --media rtp). */
      callerFiles?: { name: string; data: Buffer }[];
      /** The SBC's network namespace: every process in it is the SUT's (its media relay counted apart). */
      sutNetns?: string;
      /** Zones whose UDP receive buffer drops are reported per step (name -> namespace; none = this one). */
      zones?: { name: string; netns?: string }[];
      /** Reads the SUT's own figures (event-loop delay) around every step; absent for a run without a SUT. */
      sutMetrics?: SutMetricsReader;
    },
  ) {}

  /** Starts the core servers (SIPp UAS, answering every INVITE and waiting for the BYE). */
  async startCore(longestHoldMs: number): Promise<void> {
    this.longestHoldMs = longestHoldMs;
    const starts = this.coreStarts++;
    this.core = this.o.coreServers.map((c) => {
      const name = `core-${c.address.split('.').pop()}${starts > 0 ? `-restart-${starts}` : ''}`;
      // One folder each: SIPp names its counts file after the scenario and its pid.
      const dir = join(this.o.dir, 'core', name);
      mkdirSync(dir, { recursive: true });
      const args = buildArgs({
        scenario: { file: this.o.coreScenario },
        localIp: c.address,
        localPort: c.port,
        mediaIp: c.address,
        ...(this.o.coreMediaEchoPort === undefined ? {} : { mediaPort: this.o.coreMediaEchoPort, keys: { core_media_port: this.o.coreMediaEchoPort } }),
        // The UAS waits for the caller's BYE: longer than any hold, plus slack for a loaded SBC.
        recvTimeoutMs: longestHoldMs + 60000,
        statFile: join(dir, 'uas.stats.csv'),
        statPeriodS: 1,
        errorFile: join(dir, 'uas.errors.log'),
        extra: ['-trace_counts', '-max_recv_loops', '100000', '-max_sched_loops', '100000', ...(this.o.coreMediaEchoPort === undefined ? [] : ['-rtp_echo'])],
      });
      return { dir, proc: start({ name: `capacity-${name}`, command: 'sipp', args, netns: c.netns, cwd: dir, logFile: join(dir, 'uas.out.log') }) };
    });
    // SIPp binds at start-up; a bind failure ends it at once.
    await new Promise((r) => setTimeout(r, 300));
    for (const { proc, dir } of this.core) {
      if (proc.child.exitCode !== null) {
        const code = await proc.exited;
        throw new LoadGeneratorError(`core server ${proc.name} did not start (exit ${code}); see ${dir}`);
      }
    }
  }

  /** True while every core server is still running (a crashed UAS would make the SBC look slow). */
  coreAlive(): boolean {
    return this.core.every(({ proc }) => proc.child.exitCode === null && proc.child.signalCode === null);
  }

  async stopCore(): Promise<void> {
    this.lastDeadEcho = undefined;
    await Promise.all(this.core.map(({ proc }) => proc.stop(2000)));
    this.core = [];
  }

  /**
   * What the core servers have exchanged so far, summed (cumulative counters, dumped every second).
   * The SBC's own retransmissions towards the core, and calls the core saw fail, show only here.
   */
  coreTotals(): CoreTraffic {
    const total: CoreTraffic = { messages: 0, retransmissions: 0, failedCalls: 0 };
    for (const { dir } of this.core) {
      const counts = read(findFile(dir, '_counts.csv'));
      if (counts.trim().split('\n').length >= 2) {
        const c = parseCounts(counts);
        total.messages += c.messages;
        total.retransmissions += c.retransmissions;
      }
      const stats = read(join(dir, 'uas.stats.csv'));
      if (stats.trim().split('\n').length >= 2) total.failedCalls += Number(parseStatRows(stats).at(-1)?.['FailedCall(C)'] ?? 0) || 0;
    }
    return total;
  }

  private async udpDrops(): Promise<Record<string, number | undefined>> {
    const zones = this.o.zones ?? [];
    const values = await Promise.all(zones.map((z) => udpReceiveBufferErrors(z.netns)));
    return Object.fromEntries(zones.map((z, i) => [z.name, values[i]]));
  }

  /** The SIPp command line of one caller of a step. */
  private callerArgs(o: { dir: string; caller: Endpoint; target: string; port: number; rateCps: number; calls: number; maxConcurrent: number; holdMs: number; timeoutS: number }): string[] {
    return buildArgs({
      scenario: { file: this.o.callerScenario },
      localIp: o.caller.address,
      localPort: o.port,
      remote: o.target,
      service: this.o.service,
      keys: { from: this.o.from },
      rate: o.rateCps,
      ratePeriodMs: 1000,
      calls: o.calls,
      maxConcurrent: o.maxConcurrent,
      recvTimeoutMs: this.o.answerTimeoutMs,
      timeoutS: o.timeoutS,
      statFile: join(o.dir, 'caller.stats.csv'),
      statPeriodS: 1,
      errorFile: join(o.dir, 'caller.errors.log'),
      extra: ['-d', String(o.holdMs), '-trace_rtt', '-rtt_freq', '1', '-trace_counts', '-max_recv_loops', '100000', '-max_sched_loops', '100000'],
    });
  }

  /**
   * Which core servers' RTP echo answers a test datagram now (from the core namespace), undefined
   * without an echo. SIPp's `-rtp_echo` thread ends for good on a send error (seen when a SUT
   * collapsed under load): without this check every later step would lose all its media and the
   * SUT would be blamed for the generator's fault.
   */
  async echoDead(): Promise<string[] | undefined> {
    const port = this.o.coreMediaEchoPort;
    if (port === undefined || this.core.length === 0) return undefined;
    const dead: string[] = [];
    const byNetns = new Map<string | undefined, string[]>();
    for (const c of this.o.coreServers) byNetns.set(c.netns, [...(byNetns.get(c.netns) ?? []), c.address]);
    for (const [netns, addresses] of byNetns) {
      const r = await run(process.execPath, ['-e', ECHO_CHECK, String(port), ...addresses], { ...(netns ? { netns } : {}), check: false, timeoutMs: 10_000 });
      let answered: string[] = [];
      try {
        answered = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '[]') as string[];
      } catch {
        // no answer list: every address counts as dead
      }
      dead.push(...addresses.filter((a) => !answered.includes(a)));
    }
    this.lastDeadEcho = dead;
    return dead;
  }

  /** Runs the step's callers to completion, all at once, and measures them together. */
  async runCaller(plan: CallerPlan): Promise<CallerRun> {
    const dir = join(this.o.dir, plan.name);
    mkdirSync(dir, { recursive: true });
    const generatorFaults: string[] = [];
    // The check after the previous step stands for this one (only the cooldown lies between them), so
    // no check process runs just before the load starts; the first step is checked here.
    const deadBefore = this.lastDeadEcho ?? (await this.echoDead());
    if (deadBefore?.length) {
      // Between steps no call is up: the core servers are restarted with their echo, and the step says so.
      await this.stopCore();
      await this.startCore(this.longestHoldMs);
      const still = await this.echoDead();
      if (still?.length) generatorFaults.push(`the core servers' RTP echo does not answer on ${still.join(', ')} even after a restart`);
    }
    const n = Math.min(plan.calls, callersFor(plan.rateCps, this.o.perCallerCps ?? Number.POSITIVE_INFINITY, this.o.callers.length));
    const calls = splitEvenly(plan.calls, n);
    // One caller keeps its files in the step's folder; several get caller-NN/ each.
    const dirs = calls.map((_, i) => (n === 1 ? dir : join(dir, `caller-${String(i + 1).padStart(2, '0')}`)));
    for (const d of dirs) {
      mkdirSync(d, { recursive: true });
      for (const f of this.o.callerFiles ?? []) writeFileSync(join(d, f.name), f.data);
    }
    const creationS = plan.calls / plan.rateCps;
    const holdS = plan.holdMs / 1000;
    // SIPp ends by itself after the last call; the time-out only stops a caller the SBC never releases.
    const timeoutS = Math.ceil(creationS + holdS + this.o.answerTimeoutMs / 1000 + 40);
    // A new port per step (in a rotation): late answers to the previous step's calls then go to a
    // closed port instead of showing up as this step's stray messages.
    const port = this.o.callers[0]!.port + 2 * (this.steps++ % CALLER_PORTS);
    const args = calls.map((c, i) => this.callerArgs({
      dir: dirs[i]!,
      caller: this.o.callers[i]!,
      target: this.o.targets[i % this.o.targets.length]!,
      port,
      rateCps: (plan.rateCps * c) / plan.calls,
      calls: c,
      maxConcurrent: Math.max(1, Math.ceil((plan.maxConcurrent * c) / plan.calls)),
      holdMs: plan.holdMs,
      timeoutS,
    }));
    const core0 = this.coreTotals();
    const drops0 = await this.udpDrops();
    const cpu0 = readCpuTimes();
    const meter = this.o.sutNetns === undefined ? undefined : new CostMeter(this.o.sutNetns);
    meter?.start();
    const loopDelay = await this.o.sutMetrics?.start(dir);
    const procs = args.map((a, i) => start({ name: `capacity-caller-${plan.name}-${i + 1}`, command: 'sipp', args: a, netns: this.o.callers[i]!.netns, cwd: dirs[i]!, logFile: join(dirs[i]!, 'caller.out.log') }));
    const killer = setTimeout(() => procs.forEach((p) => void p.stop(1000)), (timeoutS + 15) * 1000);
    const exits = await Promise.all(procs.map((p) => p.exited));
    clearTimeout(killer);
    await Promise.all(procs.map((p) => p.stop()));
    // The worst exit: any caller that did not end cleanly makes the step's exit not 0.
    const exitCode = exits.find((e) => e !== 0) ?? 0;
    const drops1 = await this.udpDrops();
    const machineCpu = cpuShare(cpu0, readCpuTimes());
    const host: HostLoad = { loadAverage1m: Math.round((loadavg()[0] ?? 0) * 100) / 100, ...(machineCpu ? { machineCpu } : {}) };
    const warning = machineWarning(machineCpu);
    if (warning) host.machineWarning = warning;
    const drops = Object.entries(drops1).flatMap(([zone, after]) => {
      const before = drops0[zone];
      return after === undefined || before === undefined ? [] : [[zone, after - before] as const];
    });
    if (drops.length) host.udpReceiveBufferDrops = Object.fromEntries(drops);
    // The core servers dump their counters every second: wait for the dump that follows the last BYE.
    if (this.core.length) await new Promise((r) => setTimeout(r, CORE_DUMP_WAIT_MS));
    const core1 = this.coreTotals();
    const files = dirs.map((d, i) => {
      const statsText = read(join(d, 'caller.stats.csv'));
      if (!statsText.trim()) {
        const out = read(join(d, 'caller.out.log')).trim().split('\n').slice(-5).join(' | ');
        throw new LoadGeneratorError(`the SIPp caller ${i + 1} of ${plan.name} wrote no statistics (exit ${exits[i]}): ${out}`);
      }
      return { statsText, rttText: read(findFile(d, '_rtt.csv')), countsText: read(findFile(d, '_counts.csv')) };
    });
    const measurement = measureCallers({ targetCps: plan.rateCps, callers: files });
    if (meter) {
      measurement.cost = meter.stop({ callsCompleted: measurement.callsSucceeded, peakConcurrent: measurement.peakConcurrent });
      host.sutCpuPercent = measurement.cost.sutCpuPercent;
    }
    if (loopDelay) measurement.eventLoop = await loopDelay();
    if (this.core.length) {
      measurement.core = {
        messages: core1.messages - core0.messages,
        retransmissions: core1.retransmissions - core0.retransmissions,
        failedCalls: core1.failedCalls - core0.failedCalls,
      };
    }
    const deadAfter = await this.echoDead();
    if (deadAfter?.length) {
      generatorFaults.push(`the core servers' RTP echo (SIPp -rtp_echo) stopped during the step on ${deadAfter.join(', ')}: its media figures are the generator's, not the SUT's; the echo is restarted before the next step`);
    }
    if (deadBefore?.length) host.generatorRepairs = [`the core servers' RTP echo had stopped on ${deadBefore.join(', ')}: restarted before this step`];
    if (generatorFaults.length) measurement.generatorFaults = generatorFaults;
    const errors = summarizeSippErrors(dirs.map((d) => read(join(d, 'caller.errors.log'))).join(''));
    return { measurement, callers: n, exitCode, evidenceDir: dir, errors, host };
  }
}
