import { appendFileSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { g711Wav } from '../harness/media/g711-wav';
import { loadSutProfile, substitute } from '../harness/sut/profile';
import { SutMetricsReader } from '../harness/capacity/sut-metrics';
import { run } from '../harness/util/process';
import type { TopologyState } from '../topology/state';
import { capacityOptions, DEFAULT_GENERATOR_BUDGET_S, type CapacityRequest } from '../harness/capacity/capacity-options';
import { runCapacity, type CapacityOptions, type StepRecord } from '../harness/capacity/controller';
import type { SearchResult } from '../harness/capacity/search';
import { LoadGenerator, type Endpoint } from '../harness/capacity/load-generator';
import { MediaProber } from '../harness/capacity/media-prober';
import { buildCapacityResult, generatorCeiling, machineInfo, summaryLines, writeCapacityResults, type CapacityResult } from '../harness/capacity/results';

/**
 * A capacity run inside a running topology: the caller on a public host, the core servers on the
 * core addresses, the SUT in between. Writes reports/<run-id>/capacity/ and prints a summary.
 */
export interface CapacityRunInput {
  state: TopologyState;
  repoRoot: string;
  runId: string;
  request: CapacityRequest;
  log: (line: string) => void;
  /** Where this SUT's results go (default reports/<run>/capacity/). */
  outDir?: string;
  /** The generator ceiling an earlier SUT of the same run measured: reused, not measured again. */
  ceiling?: SearchResult<StepRecord>;
}

/** The number every capacity call dials; inbound calls are routed round robin whatever the number. */
const DIALLED = '+31209990000';
const CALLER_PORT = 5062;
/** The generator ceiling's SIPp UAS listen on the callers' own addresses, on this port. */
const GENERATOR_UAS_PORT = 5090;
/** Callers of the generator ceiling share this many UAS (SIPp pairs: caller i to UAS i mod 4). */
const GENERATOR_UAS = 4;
/** Where scenarios/uas-answer-media.xml points every core leg's media (the probes' echo listens there). */
const CORE_MEDIA_PORT = 41000;
const ANSWER_TIMEOUT_MS = 10000;

async function sippVersion(): Promise<string> {
  const r = await run('sipp', ['-v'], { check: false, timeoutMs: 5000 }).catch(() => ({ stdout: '' }));
  return /SIPp v[^\s,]+/.exec(r.stdout)?.[0] ?? 'unknown';
}

/** The callers' scenario, and with RTP the G.711 file it streams. */
function callerMedia(repoRoot: string, media: CapacityOptions['media']): { callerScenario: string; callerFiles?: { name: string; data: Buffer }[] } {
  if (media !== 'rtp') return { callerScenario: join(repoRoot, 'scenarios', 'uac-capacity-call.xml') };
  return { callerScenario: join(repoRoot, 'scenarios', 'uac-capacity-call-rtp.xml'), callerFiles: [{ name: 'g711-tone.wav', data: g711Wav({ codec: 'PCMU', seconds: 10 }) }] };
}

/**
 * The callers' source addresses: 203.0.113.20 first (the carrier trunk of earlier runs), then every
 * public host but the probes' (.21) and the old generator UAS's (.22).
 */
function callerPool(i: CapacityRunInput, max: number): Endpoint[] {
  const hosts = i.state.addresses.publicHosts;
  return [hosts[0]!, ...hosts.slice(3)].slice(0, max).map((address) => ({ netns: i.state.namespaces.pub, address, port: CALLER_PORT }));
}

/**
 * The generator's own ceiling: the same callers (as many, from the same addresses), scenario and
 * service level, straight to SIPp UAS in the public zone (no SBC), rate search only. Its steps go to
 * capacity/generator/.
 */
async function measureGeneratorCeiling(i: CapacityRunInput, sut: CapacityOptions, budgetS: number, dir: string): Promise<SearchResult<StepRecord>> {
  mkdirSync(dir, { recursive: true });
  const callers = callerPool(i, sut.callers.maxCallers);
  const uas: Endpoint[] = callers.slice(0, GENERATOR_UAS).map((c) => ({ ...c, port: GENERATOR_UAS_PORT }));
  const generator = new LoadGenerator({
    callers,
    perCallerCps: sut.callers.perCallerCps,
    targets: uas.map((u) => `${u.address}:${u.port}`),
    coreServers: uas,
    service: DIALLED,
    from: '+3120555',
    ...callerMedia(i.repoRoot, sut.media),
    coreScenario: join(i.repoRoot, 'scenarios', 'uas-answer.xml'),
    dir,
    answerTimeoutMs: ANSWER_TIMEOUT_MS,
    zones: [{ name: 'public', netns: i.state.namespaces.pub }],
  });
  // No probes here (nothing to echo them), so the options say signalling; the callers still stream RTP
  // when the SUT's run does, since rtp_stream is part of what one SIPp can carry.
  const options = capacityOptions({
    budgetS, maxCps: sut.rate.maxCps, startCps: sut.rate.startCps, holdMs: sut.rate.holdMs, concurrency: false, mediaProbes: 0, media: 'signalling', serviceLevel: sut.serviceLevel,
    perCallerCps: sut.callers.perCallerCps, maxCallers: sut.callers.maxCallers,
  });
  i.log(`\n== generator ceiling first: SIPp callers (one per ${sut.callers.perCallerCps} cps, up to ${callers.length} source addresses) straight to ${uas.length} SIPp UAS (no SBC), budget ${budgetS} s`);
  await generator.startCore(budgetS * 1000);
  try {
    const outcome = await runCapacity({ runCaller: generator.runCaller.bind(generator), coreAlive: generator.coreAlive.bind(generator) }, options, (l) => i.log(`generator ${l}`));
    return outcome.rate;
  } finally {
    await generator.stopCore();
  }
}

export async function runCapacityInTopology(i: CapacityRunInput): Promise<{ result: CapacityResult; json: string; ceiling?: SearchResult<StepRecord> }> {
  const profile = loadSutProfile(i.state.profileFile);
  const options = capacityOptions(i.request);
  const dir = i.outDir ?? join(i.state.reportDir, 'capacity');
  const stepsDir = join(dir, 'steps');
  mkdirSync(stepsDir, { recursive: true });
  const core: Endpoint[] = i.state.addresses.coreServers.map((address) => ({ netns: i.state.namespaces.core, address, port: 5060 }));
  const generator = new LoadGenerator({
    callers: callerPool(i, options.callers.maxCallers),
    perCallerCps: options.callers.perCallerCps,
    targets: [`${profile.sbc.public.address}:${profile.sbc.public.udp}`],
    coreServers: core,
    service: DIALLED,
    from: '+3120555',
    ...callerMedia(i.repoRoot, options.media),
    // With probes, every call is answered towards the core-side echo, which sends back whatever RTP
    // arrives: the probes' and, with --media rtp, every load call's.
    coreScenario: join(i.repoRoot, 'scenarios', options.mediaProbes > 0 ? 'uas-answer-media.xml' : 'uas-answer.xml'),
    dir: stepsDir,
    answerTimeoutMs: ANSWER_TIMEOUT_MS,
    sutNetns: i.state.namespaces.sbc,
    sutMetrics: new SutMetricsReader(profile.metrics && {
      url: substitute(profile.metrics.http, i.state.vars, 'metrics.http'),
      ...(profile.metrics.eventLoopDelay ? { eventLoopDelay: profile.metrics.eventLoopDelay } : {}),
    }),
    zones: [
      { name: 'public', netns: i.state.namespaces.pub },
      { name: 'sbc', netns: i.state.namespaces.sbc },
      { name: 'core', netns: i.state.namespaces.core },
    ],
  });
  const publicHosts = i.state.addresses.publicHosts;
  const prober = options.mediaProbes > 0
    ? new MediaProber({
      calls: options.mediaProbes,
      pubNetns: i.state.namespaces.pub,
      // Its own public host, so nothing the SBC does per source (rate limits) mixes probes and load.
      callerIp: publicHosts[1] ?? publicHosts[0]!,
      sbc: profile.sbc.public.address,
      sbcPort: profile.sbc.public.udp,
      dialled: DIALLED,
      from: '+3120666',
      coreNetns: i.state.namespaces.core,
      coreServers: i.state.addresses.coreServers,
      corePort: CORE_MEDIA_PORT,
      dir: stepsDir,
      answerTimeoutMs: ANSWER_TIMEOUT_MS,
    })
    : undefined;
  const machine = machineInfo(await sippVersion());
  const startedAt = new Date();
  const generatorBudgetS = i.request.generatorBudgetS ?? DEFAULT_GENERATOR_BUDGET_S;
  const ceiling = i.ceiling ?? (generatorBudgetS > 0 ? await measureGeneratorCeiling(i, options, generatorBudgetS, join(dir, 'generator')) : undefined);
  const media = options.media === 'rtp' ? ', G.711 RTP on every call' : ', signalling only (load calls carry no RTP)';
  const probes = `${media}${prober ? `, ${options.mediaProbes} G.711 media probe calls per step` : ''}`;
  i.log(`\n== capacity run against ${profile.name} (${profile.sbc.public.address}:${profile.sbc.public.udp} UDP), budget ${options.budgetS} s${probes}; evidence in ${relative(process.cwd(), dir)}/`);
  // No step may outlast the budget, so no call is held longer than it.
  await generator.startCore(options.budgetS * 1000);
  let outcome;
  try {
    await prober?.startEcho();
    const driver = {
      runCaller: generator.runCaller.bind(generator),
      coreAlive: generator.coreAlive.bind(generator),
      ...(prober ? { probeMedia: prober.probe.bind(prober) } : {}),
    };
    outcome = await runCapacity(driver, options, i.log, (step) => appendFileSync(join(dir, 'steps.ndjson'), `${JSON.stringify(step)}\n`));
  } finally {
    await prober?.stopEcho();
    await generator.stopCore();
  }
  const result = buildCapacityResult({
    runId: i.runId,
    sut: { name: profile.name, profileFile: relative(i.repoRoot, i.state.profileFile) },
    startedAt,
    finishedAt: new Date(),
    machine,
    options,
    outcome,
  });
  if (ceiling) result.generator = generatorCeiling(ceiling, result.rate.maximum?.value, options.rate.maxCps);
  const files = writeCapacityResults(dir, result);
  for (const line of summaryLines(result)) i.log(line);
  i.log(`results: ${relative(process.cwd(), files.json)}; plots: ${files.plots.map((p) => relative(process.cwd(), p)).join(', ')}`);
  return { result, json: files.json, ...(ceiling ? { ceiling } : {}) };
}
