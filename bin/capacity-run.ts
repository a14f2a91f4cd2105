import { appendFileSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadSutProfile } from '../harness/sut/profile';
import { run } from '../harness/util/process';
import type { TopologyState } from '../topology/state';
import { capacityOptions, DEFAULT_GENERATOR_BUDGET_S, type CapacityRequest } from '../harness/capacity/capacity-options';
import { runCapacity, type CapacityOptions, type StepRecord } from '../harness/capacity/controller';
import type { SearchResult } from '../harness/capacity/search';
import { generatorOnly, sutLoad } from '../harness/capacity/sut-load';
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

async function sippVersion(): Promise<string> {
  const r = await run('sipp', ['-v'], { check: false, timeoutMs: 5000 }).catch(() => ({ stdout: '' }));
  return /SIPp v[^\s,]+/.exec(r.stdout)?.[0] ?? 'unknown';
}

/**
 * The generator's own ceiling: the same callers (as many, from the same addresses), scenario and
 * service level, straight to SIPp UAS in the public zone (no SBC), rate search only. Its steps go to
 * capacity/generator/.
 */
async function measureGeneratorCeiling(i: CapacityRunInput, sut: CapacityOptions, budgetS: number, dir: string): Promise<SearchResult<StepRecord>> {
  mkdirSync(dir, { recursive: true });
  // No probes here (nothing to echo them), so the options say signalling; the callers still stream RTP
  // when the SUT's run does, since rtp_stream is part of what one SIPp can carry.
  const options = capacityOptions({
    budgetS, maxCps: sut.rate.maxCps, startCps: sut.rate.startCps, holdMs: sut.rate.holdMs, concurrency: false, mediaProbes: 0, media: 'signalling', serviceLevel: sut.serviceLevel,
    perCallerCps: sut.callers.perCallerCps, maxCallers: sut.callers.maxCallers,
  });
  const { generator, uas } = generatorOnly(i.state, { repoRoot: i.repoRoot, options: { ...options, media: sut.media }, dir });
  i.log(`\n== generator ceiling first: SIPp callers (one per ${sut.callers.perCallerCps} cps, up to ${sut.callers.maxCallers} source addresses) straight to ${uas} SIPp UAS (no SBC), budget ${budgetS} s`);
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
  const { generator, prober } = sutLoad(i.state, { repoRoot: i.repoRoot, profile, options, dir: stepsDir });
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
    await prober?.start();
    const driver = {
      runCaller: generator.runCaller.bind(generator),
      coreAlive: generator.coreAlive.bind(generator),
      ...(prober ? { probeMedia: prober.probe.bind(prober) } : {}),
    };
    outcome = await runCapacity(driver, options, i.log, (step) => appendFileSync(join(dir, 'steps.ndjson'), `${JSON.stringify(step)}\n`));
  } finally {
    await prober?.stop();
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
