import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, start, type Managed } from '../util/process';
import type { ProbeAgentRequest } from './media-probe-agent';
import { aggregateProbes, type MediaSample, type ProbeOutcome, type ProbeWindow } from './media-quality';

/**
 * Places a capacity step's media probe calls and measures them: the core-side echo (media-echo.ts)
 * runs for the whole run in the core namespace, the probe calls of each step run in a child process
 * in the public namespace (media-probe-agent.ts). The controller knows it only as a `MediaProbeDriver`.
 */
export interface MediaProbeDriver {
  /** Waits `window.delayMs`, then places the probes; resolves with the step's media figures. */
  probe(stepName: string, window: ProbeWindow): Promise<MediaSample>;
}

export interface MediaProberOptions {
  /** Probe calls per step. */
  calls: number;
  pubNetns: string;
  callerIp: string;
  sbc: string;
  sbcPort: number;
  dialled: string;
  from: string;
  coreNetns: string;
  coreServers: string[];
  /** Where scenarios/uas-answer-media.xml points the core leg's media. */
  corePort: number;
  /** Evidence root of the steps: each step's probe outcomes land in <dir>/<step>/media-probes.json. */
  dir: string;
  answerTimeoutMs: number;
}

const HERE = import.meta.dirname;
const ECHO_READY_MS = 10_000;

export class MediaProber implements MediaProbeDriver {
  private echo?: Managed;

  constructor(private readonly o: MediaProberOptions) {}

  async startEcho(): Promise<void> {
    let ready!: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    this.echo = start({
      name: 'capacity-media-echo',
      command: process.execPath,
      args: ['--import', 'tsx', join(HERE, 'media-echo.ts'), String(this.o.corePort), ...this.o.coreServers],
      netns: this.o.coreNetns,
      logFile: join(this.o.dir, 'media-echo.log'),
      onLine: (line) => {
        if (line.startsWith('ready')) ready();
      },
    });
    const outcome = await Promise.race([
      isReady.then(() => 'ready' as const),
      this.echo.exited.then((code) => `exited ${code}`),
      new Promise<string>((r) => setTimeout(() => r(`not ready after ${ECHO_READY_MS} ms`), ECHO_READY_MS)),
    ]);
    if (outcome !== 'ready') {
      await this.echo.stop(1000);
      throw new Error(`the core-side media echo did not start (${outcome}); see ${join(this.o.dir, 'media-echo.log')}`);
    }
  }

  async stopEcho(): Promise<void> {
    await this.echo?.stop(2000);
    this.echo = undefined;
  }

  async probe(stepName: string, window: ProbeWindow): Promise<MediaSample> {
    await new Promise((r) => setTimeout(r, window.delayMs));
    const request: ProbeAgentRequest = {
      ip: this.o.callerIp,
      sbc: this.o.sbc,
      sbcPort: this.o.sbcPort,
      dialled: this.o.dialled,
      from: this.o.from,
      calls: this.o.calls,
      durationMs: window.durationMs,
      answerTimeoutMs: this.o.answerTimeoutMs,
    };
    const agent = join(HERE, 'media-probe-agent.ts');
    const timeoutMs = this.o.answerTimeoutMs + window.durationMs + 15_000;
    let outcomes: ProbeOutcome[];
    try {
      const r = await run(process.execPath, ['--import', 'tsx', agent, JSON.stringify(request)], { netns: this.o.pubNetns, timeoutMs });
      outcomes = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '[]') as ProbeOutcome[];
    } catch (err) {
      // The agent itself failing is every probe failing: the step must not pass on media it never measured.
      const why = (err as Error).message.split('\n')[0] ?? 'probe agent failed';
      outcomes = Array.from({ length: this.o.calls }, () => ({ error: why, sent: 0, accepted: 0, lost: 0, jitterMs: 0, payloadCheckFailures: 0 }));
    }
    mkdirSync(join(this.o.dir, stepName), { recursive: true });
    writeFileSync(join(this.o.dir, stepName, 'media-probes.json'), `${JSON.stringify({ request, outcomes }, null, 2)}\n`);
    return aggregateProbes(outcomes);
  }
}
