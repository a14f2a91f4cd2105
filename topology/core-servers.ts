import { join } from 'node:path';
import { startSipp, type SippInstance } from '../harness/sipp/runner';
import { userOf, type TracedMessage } from '../harness/sipp/messages';
import { REPO_ROOT } from './paths';

/**
 * The core servers: one SIPp UAS per core address, all playing the same behaviour. A scenario that
 * needs another behaviour switches them (restart with another scenario file); every instance's message
 * trace is kept, so what a core server received is found by the dialled number, never by Call-ID.
 */
export type CoreBehaviour =
  | 'answer' | 'answer-then-bye' | 'reject-486' | 'answer-media' | 'ring-no-answer'
  /** 180, then 200 only 3 s later: attempt time, answer time and duration of a CDR can be told apart. */
  | 'ring-then-answer'
  /** 183 Session Progress with the core server's own SDP, 200 1 s later: early media a PBX plays. */
  | 'early-media'
  /** Answers, then answers every re-INVITE in the call 200 with its own SDP. */
  | 'answer-reinvite';

const SCENARIO: Record<CoreBehaviour, string> = {
  answer: 'uas-answer.xml',
  'answer-then-bye': 'uas-answer-then-bye.xml',
  'reject-486': 'uas-reject-486.xml',
  'ring-no-answer': 'uas-ring-no-answer.xml',
  'ring-then-answer': 'uas-ring-then-answer.xml',
  'early-media': 'uas-early-media-answer.xml',
  'answer-reinvite': 'uas-answer-reinvite.xml',
  // Media goes to a suite endpoint on CORE_MEDIA_PORT of each core server (harness/sipp/scenario-keys.ts, a SIPp key).
  'answer-media': 'uas-answer-media.xml',
};

export interface CoreReceipt {
  server: string;
  messages: TracedMessage[];
}

export class CoreServers {
  private current: SippInstance[] = [];
  private readonly all: { server: string; instance: SippInstance }[] = [];
  private behaviour?: CoreBehaviour;
  private holdMs = 0;
  private generation = 0;
  /** Servers stopped on purpose (stopServer): the next ensure() starts the whole set again. */
  private readonly stopped = new Set<string>();

  constructor(
    /** `netns`: the core zone's namespace, or each server's own (the compose topology: one container each). */
    private readonly o: { netns: string | ((address: string) => string); addresses: string[]; port: number; evidenceDir: string },
  ) {}

  async ensure(behaviour: CoreBehaviour, holdMs = 1000): Promise<void> {
    if (this.behaviour === behaviour && this.holdMs === holdMs && this.stopped.size === 0 && this.current.every((i) => i.proc.child.exitCode === null)) return;
    await this.stop();
    this.generation++;
    this.current = this.o.addresses.map((address) => this.launch(address, behaviour, holdMs));
    this.behaviour = behaviour;
    this.holdMs = holdMs;
    await this.started(this.current);
  }

  private launch(address: string, behaviour: CoreBehaviour, holdMs: number): SippInstance {
    const instance = startSipp({
      name: `core-${address.split('.').pop()}-${this.generation}-${behaviour}`,
      evidenceDir: this.o.evidenceDir,
      netns: typeof this.o.netns === 'string' ? this.o.netns : this.o.netns(address),
      killAfterMs: 24 * 3600 * 1000,
      options: {
        scenario: { file: join(REPO_ROOT, 'scenarios', SCENARIO[behaviour]) },
        localIp: address,
        localPort: this.o.port,
        mediaIp: address,
        mediaPort: 40000,
        recvTimeoutMs: 60000,
        extra: ['-d', String(holdMs), '-max_recv_loops', '100000'],
      },
    });
    this.all.push({ server: address, instance });
    return instance;
  }

  private async started(instances: SippInstance[]): Promise<void> {
    // SIPp binds synchronously at start; a bind failure ends the process at once.
    await new Promise((r) => setTimeout(r, 150));
    for (const i of instances) {
      if (i.proc.child.exitCode !== null) {
        const r = await i.done();
        throw new Error(`core server ${i.name} did not start: ${r.summary}`);
      }
    }
  }

  /** Every message each core server exchanged in calls to `number` (matched on the INVITE's Request-URI user). */
  receivedFor(number: string): CoreReceipt[] {
    const out: CoreReceipt[] = [];
    for (const { server, instance } of this.all) {
      const messages = instance.messages();
      const callIds = new Set(
        messages
          .filter((m) => m.direction === 'received' && m.method === 'INVITE' && userOf(m.requestUri) === number)
          .map((m) => m.header('call-id')),
      );
      if (callIds.size === 0) continue;
      out.push({ server, messages: messages.filter((m) => callIds.has(m.header('call-id'))) });
    }
    return out;
  }

  /** Every message any core server received that contains `token` anywhere (for "never reached the core"). */
  receivedContaining(token: string): CoreReceipt[] {
    return this.all
      .map(({ server, instance }) => ({ server, messages: instance.messages().filter((m) => m.direction === 'received' && m.text.includes(token)) }))
      .filter((r) => r.messages.length > 0);
  }

  /**
   * Stops the one core server at `address`, as a server that went down (IN-04); the others keep
   * running. The next `ensure` starts every server again.
   */
  async stopServer(address: string): Promise<void> {
    const instance = this.current[this.o.addresses.indexOf(address)];
    if (!instance) throw new Error(`no core server running at ${address}`);
    this.stopped.add(address);
    await instance.stop();
  }

  /** Starts the core server at `address` again, with the behaviour the others have (after `stopServer`). */
  async startServer(address: string): Promise<void> {
    const index = this.o.addresses.indexOf(address);
    if (!this.stopped.has(address) || this.behaviour === undefined || index < 0) throw new Error(`core server ${address} was not stopped by stopServer`);
    this.generation++;
    const instance = this.launch(address, this.behaviour, this.holdMs);
    this.current[index] = instance;
    this.stopped.delete(address);
    await this.started([instance]);
  }

  /** The SIP port every core server listens on (and calls from). */
  get sipPort(): number {
    return this.o.port;
  }

  /**
   * Runs `fn` while the UAS at `address` is stopped, so that a caller can use that core server's own SIP
   * address and port (an SBC may know its core peers by address and port, as Kamailio's dispatcher does).
   * A server that was running is started again afterwards, whatever `fn` did; one stopped on purpose
   * (a down server of IN-04) stays down.
   */
  async withSipPortFree<T>(address: string, fn: () => Promise<T>): Promise<T> {
    const index = this.o.addresses.indexOf(address);
    if (index < 0) throw new Error(`${address} is not a core server (${this.o.addresses.join(', ')})`);
    const instance = this.current[index];
    const running = instance !== undefined && instance.proc.child.exitCode === null && !this.stopped.has(address);
    // An SBC that probes its core servers (OPTIONS seen before the pause) has to see this one answer
    // again before the next scenario: otherwise a call right after could find it out of rotation.
    const probed = running && instance.messages().some((m) => m.direction === 'received' && m.method === 'OPTIONS');
    if (running) await this.stopServer(address);
    try {
      return await fn();
    } finally {
      if (running) {
        await this.startServer(address);
        if (probed) await this.probeAnswered(address, 10_000);
      }
    }
  }

  /** Waits until the server at `address` has answered an OPTIONS probe (gives up quietly after `timeoutMs`). */
  private async probeAnswered(address: string, timeoutMs: number): Promise<void> {
    const instance = this.current[this.o.addresses.indexOf(address)];
    const deadline = Date.now() + timeoutMs;
    while (instance && Date.now() < deadline) {
      if (instance.messages().some((m) => m.direction === 'sent' && /OPTIONS/.test(m.header('cseq') ?? ''))) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.current.map((i) => i.stop()));
    this.current = [];
    this.stopped.clear();
    this.behaviour = undefined;
  }
}
