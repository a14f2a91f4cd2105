import { appendFileSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadSutProfile } from '../sut/profile';
import { run } from '../util/process';
import type { TopologyState } from '../../topology/state';
import { capacityOptions, type CapacityRequest } from './capacity-options';
import { runCapacity } from './controller';
import { LoadGenerator, type Endpoint } from './load-generator';
import { MediaProber } from './media-prober';
import { buildCapacityResult, machineInfo, summaryLines, writeCapacityResults, type CapacityResult } from './results';

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
}

/** The number every capacity call dials; inbound calls are routed round robin whatever the number. */
const DIALLED = '+31209990000';
const CALLER_PORT = 5062;
/** Where scenarios/uas-answer-media.xml points every core leg's media (the probes' echo listens there). */
const CORE_MEDIA_PORT = 41000;
const ANSWER_TIMEOUT_MS = 10000;

async function sippVersion(): Promise<string> {
  const r = await run('sipp', ['-v'], { check: false, timeoutMs: 5000 }).catch(() => ({ stdout: '' }));
  return /SIPp v[^\s,]+/.exec(r.stdout)?.[0] ?? 'unknown';
}

export async function runCapacityInTopology(i: CapacityRunInput): Promise<{ result: CapacityResult; json: string }> {
  const profile = loadSutProfile(i.state.profileFile);
  const options = capacityOptions(i.request);
  const dir = join(i.state.reportDir, 'capacity');
  const stepsDir = join(dir, 'steps');
  mkdirSync(stepsDir, { recursive: true });
  const core: Endpoint[] = i.state.addresses.coreServers.map((address) => ({ netns: i.state.namespaces.core, address, port: 5060 }));
  const generator = new LoadGenerator({
    caller: { netns: i.state.namespaces.pub, address: i.state.addresses.publicHosts[0]!, port: CALLER_PORT },
    target: `${profile.sbc.public.address}:${profile.sbc.public.udp}`,
    coreServers: core,
    service: DIALLED,
    from: '+3120555',
    callerScenario: join(i.repoRoot, 'scenarios', 'uac-capacity-call.xml'),
    // With probes, every call is answered towards the core-side echo; the load calls send no RTP, so only probes use it.
    coreScenario: join(i.repoRoot, 'scenarios', options.mediaProbes > 0 ? 'uas-answer-media.xml' : 'uas-answer.xml'),
    dir: stepsDir,
    answerTimeoutMs: ANSWER_TIMEOUT_MS,
    sutNetns: i.state.namespaces.sbc,
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
  const probes = prober ? `, ${options.mediaProbes} G.711 media probe calls per step` : ', signalling only';
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
  const files = writeCapacityResults(dir, result);
  for (const line of summaryLines(result)) i.log(line);
  i.log(`results: ${relative(process.cwd(), files.json)}; plots: ${files.plots.map((p) => relative(process.cwd(), p)).join(', ')}`);
  return { result, json: files.json };
}
