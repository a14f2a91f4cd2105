import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { start, type Managed } from '../util/process';
import type { ProbeAgentRequest } from './media-probe-agent';
import { aggregateProbes, type MediaSample, type ProbeOutcome, type ProbeWindow } from './media-quality';

/**
 * Places a capacity step's media probe calls and measures them: one probe agent (media-probe-agent.ts)
 * runs for the whole run in the public namespace and places each step's probes when asked; the core
 * servers' SIPp echo the RTP back (`-rtp_echo`, LoadGenerator's `coreMediaEchoPort`). The controller
 * knows it only as a `MediaProbeDriver`.
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
  /** Evidence root of the steps: each step's probe outcomes land in <dir>/<step>/media-probes.json; the agent's log in <dir>. */
  dir: string;
  answerTimeoutMs: number;
}

const HERE = import.meta.dirname;
const AGENT_READY_MS = 20_000;

interface AgentAnswer {
  id: number;
  outcomes?: ProbeOutcome[];
  error?: string;
}

export class MediaProber implements MediaProbeDriver {
  private agent?: Managed;
  private nextId = 1;
  private readonly waiting = new Map<number, (answer: AgentAnswer) => void>();

  constructor(private readonly o: MediaProberOptions) {}

  /** Starts the probe agent and waits until it is ready, before any load is offered. */
  async start(): Promise<void> {
    let ready!: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    mkdirSync(this.o.dir, { recursive: true });
    const log = join(this.o.dir, 'media-probe-agent.log');
    this.agent = start({
      name: 'capacity-media-probes',
      command: process.execPath,
      args: ['--import', 'tsx', join(HERE, 'media-probe-agent.ts')],
      netns: this.o.pubNetns,
      logFile: log,
      stdin: true,
      onLine: (line) => {
        if (line === 'ready') return ready();
        let answer: AgentAnswer;
        try {
          answer = JSON.parse(line) as AgentAnswer;
        } catch {
          return; // not an answer: it is in the log
        }
        this.waiting.get(answer.id)?.(answer);
      },
    });
    const outcome = await Promise.race([
      isReady.then(() => 'ready' as const),
      this.agent.exited.then((code) => `exited ${code}`),
      new Promise<string>((r) => setTimeout(() => r(`not ready after ${AGENT_READY_MS} ms`), AGENT_READY_MS).unref()),
    ]);
    if (outcome !== 'ready') {
      await this.stop();
      throw new Error(`the media probe agent did not start (${outcome}); see ${log}`);
    }
  }

  async stop(): Promise<void> {
    this.agent?.child.stdin?.end();
    await this.agent?.stop(2000);
    this.agent = undefined;
  }

  async probe(stepName: string, window: ProbeWindow): Promise<MediaSample> {
    await new Promise((r) => setTimeout(r, window.delayMs));
    const request: ProbeAgentRequest = {
      id: this.nextId++,
      ip: this.o.callerIp,
      sbc: this.o.sbc,
      sbcPort: this.o.sbcPort,
      dialled: this.o.dialled,
      from: this.o.from,
      calls: this.o.calls,
      durationMs: window.durationMs,
      answerTimeoutMs: this.o.answerTimeoutMs,
    };
    const answer = await this.ask(request, this.o.answerTimeoutMs + window.durationMs + 15_000);
    // The agent failing is every probe failing: the step must not pass on media it never measured.
    const outcomes: ProbeOutcome[] = answer.outcomes ?? Array.from({ length: this.o.calls }, () => ({
      error: answer.error ?? 'probe agent failed', sent: 0, accepted: 0, lost: 0, jitterMs: 0, payloadCheckFailures: 0,
    }));
    mkdirSync(join(this.o.dir, stepName), { recursive: true });
    writeFileSync(join(this.o.dir, stepName, 'media-probes.json'), `${JSON.stringify({ request, outcomes }, null, 2)}\n`);
    return aggregateProbes(outcomes);
  }

  private ask(request: ProbeAgentRequest, timeoutMs: number): Promise<AgentAnswer> {
    const agent = this.agent;
    if (!agent?.child.stdin) return Promise.resolve({ id: request.id, error: 'the media probe agent is not running' });
    return new Promise<AgentAnswer>((resolve) => {
      const done = (answer: AgentAnswer): void => {
        clearTimeout(timer);
        this.waiting.delete(request.id);
        resolve(answer);
      };
      const timer = setTimeout(() => done({ id: request.id, error: `the media probe agent did not answer within ${timeoutMs} ms` }), timeoutMs);
      this.waiting.set(request.id, done);
      void agent.exited.then((code) => done({ id: request.id, error: `the media probe agent exited (${code})` }));
      agent.child.stdin!.write(`${JSON.stringify(request)}\n`);
    });
  }
}
