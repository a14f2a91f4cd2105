import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SutProfile } from '../sut/profile';
import { capacityOptions } from './capacity-options';
import { ratePlan, type CapacityOptions } from './controller';
import type { CallerRun } from './load-generator';
import { probeWindow } from './media-quality';
import { DEFAULT_SERVICE_LEVEL, describeServiceLevel, evaluateStep, type StepMeasurement } from './service-level';
import { sutLoad, type CapacityTopology } from './sut-load';

/**
 * A capacity requirement in business terms (the @capacity feature): one fixed load, e.g. 100 calls per
 * second with media for 60 s, judged against the same service level as `npm run capacity`. No search:
 * the figure is the operator's, the verdict is whether the SBC carries it.
 */
export interface SustainedLoadResult {
  rateCps: number;
  seconds: number;
  holdMs: number;
  media: CapacityOptions['media'];
  measurement: StepMeasurement;
  callers: number;
  /** How busy the machine was (load, CPU busy and stolen, UDP drops per zone) and whether it was saturated. */
  host: CallerRun['host'];
  verdict: 'pass' | 'fail';
  violations: string[];
  serviceLevel: string;
}

export class SustainedLoad {
  private readonly options: CapacityOptions;
  private load?: ReturnType<typeof sutLoad>;
  private result?: SustainedLoadResult;

  constructor(
    private readonly o: { topology: CapacityTopology; profile: SutProfile; repoRoot: string; dir: string; media: CapacityOptions['media']; holdMs: number },
  ) {
    this.options = capacityOptions({ media: o.media, holdMs: o.holdMs, concurrency: false });
  }

  /** Starts the SIPp UAS on the core servers and, with probes, the probe agent: both before any load. */
  async start(longestS: number): Promise<void> {
    mkdirSync(this.o.dir, { recursive: true });
    this.load = sutLoad(this.o.topology, { repoRoot: this.o.repoRoot, profile: this.o.profile, options: this.options, dir: this.o.dir });
    await this.load.generator.startCore(longestS * 1000);
    await this.load.prober?.start();
  }

  async stop(): Promise<void> {
    await this.load?.prober?.stop();
    await this.load?.generator.stopCore();
    this.load = undefined;
  }

  /** Offers `rateCps` new calls per second for `seconds`, media probes alongside; keeps the verdict. */
  async offer(rateCps: number, seconds: number): Promise<SustainedLoadResult> {
    if (!this.load) throw new Error('the capacity load was not started');
    if (!(rateCps > 0 && seconds > 0)) throw new Error(`a sustained load needs a positive rate and length (got ${rateCps} cps for ${seconds} s)`);
    const { estimateS: _estimate, ...plan } = ratePlan({ ...this.options, rate: { ...this.options.rate, stepS: seconds } }, rateCps);
    const name = `sustained-${rateCps}cps-${seconds}s`;
    const probing = this.load.prober?.probe(name, probeWindow(plan));
    const run: CallerRun = await this.load.generator.runCaller({ ...plan, name });
    const media = probing ? await probing : undefined;
    const measurement: StepMeasurement = media ? { ...run.measurement, media } : run.measurement;
    const v = evaluateStep(measurement, DEFAULT_SERVICE_LEVEL);
    this.result = {
      rateCps,
      seconds,
      holdMs: this.o.holdMs,
      media: this.o.media,
      measurement,
      callers: run.callers,
      host: run.host,
      verdict: v.verdict,
      violations: v.violations,
      serviceLevel: describeServiceLevel(DEFAULT_SERVICE_LEVEL, media !== undefined),
    };
    writeFileSync(join(this.o.dir, 'sustained-load.json'), `${JSON.stringify(this.result, null, 2)}\n`);
    return this.result;
  }

  get last(): SustainedLoadResult {
    if (!this.result) throw new Error('no load was offered yet');
    return this.result;
  }
}
