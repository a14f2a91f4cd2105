import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseAgentLine, type AgentMessage, type AgentRequest, type WireExpectOptions, type WireStartOptions } from './agent-protocol';
import type { EndpointStats, RtcpMode } from './media-endpoint';
import { MediaError, type MediaErrorCode } from './media-error';
import type { SendSummary } from './rtp-stream';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = join(HERE, '..', '..');
const AGENT = join(HERE, 'media-agent.ts');

export interface RemoteEndpointOptions {
  localIp: string;
  localPort?: number;
  rtcp?: RtcpMode;
  /** Run the agent in this network namespace (`ip netns exec`, needs root). */
  netns?: string;
  /** Append the agent's stderr here (evidence). */
  logFile?: string;
  /** How long the agent may take to bind and say it is ready. */
  readyTimeoutMs?: number;
}

type ReadyMessage = Extract<AgentMessage, { event: 'ready' }>;
type ReplyMessage = Extract<AgentMessage, { event: 'reply' }>;
// Each request variant without its id, keeping the union discriminated.
type RequestBody = AgentRequest extends infer R ? (R extends AgentRequest ? Omit<R, 'id'> : never) : never;

/**
 * A MediaEndpoint running in a child process (media-agent.ts), typically inside another zone's
 * network namespace, with the same calls made asynchronous. Key material is passed as `a=crypto`
 * values (cryptoAttrValue). The child is killed on close() and dies with its stdin otherwise.
 */
export class RemoteMediaEndpoint {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private exitError?: Error;

  private constructor(
    private readonly child: ChildProcess,
    private readonly log: WriteStream | undefined,
    readonly localIp: string,
    readonly localPort: number,
    readonly rtcpPort: number | undefined,
  ) {}

  static async open(opts: RemoteEndpointOptions): Promise<RemoteMediaEndpoint> {
    const node = [process.execPath, '--import', 'tsx', AGENT, '--local-ip', opts.localIp, '--rtcp', opts.rtcp ?? 'none'];
    if (opts.localPort !== undefined) node.push('--local-port', String(opts.localPort));
    const argv = opts.netns ? ['ip', 'netns', 'exec', opts.netns, ...node] : node;
    const child = spawn(argv[0]!, argv.slice(1), { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    const log = opts.logFile ? createWriteStream(opts.logFile, { flags: 'a' }) : undefined;
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      log?.write(d);
      stderr = (stderr + d.toString()).slice(-2000);
    });
    child.stdin?.on('error', () => undefined); // the agent may exit first
    const lines = createInterface({ input: child.stdout! });

    const ready = await new Promise<ReadyMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new MediaError('socket-error', `media agent not ready after ${opts.readyTimeoutMs ?? 15000} ms: ${stderr}`));
      }, opts.readyTimeoutMs ?? 15000);
      const onLine = (line: string): void => {
        const msg = parseAgentLine<AgentMessage>(line);
        if (msg.event !== 'ready') return;
        clearTimeout(timer);
        lines.off('line', onLine);
        child.off('exit', onExit);
        resolve(msg);
      };
      const onExit = (code: number | null): void => {
        clearTimeout(timer);
        reject(new MediaError('socket-error', `media agent exited ${code} before it was ready: ${stderr.trim()}`));
      };
      lines.on('line', onLine);
      child.once('exit', onExit);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(new MediaError('socket-error', `cannot start the media agent: ${err.message}`, { cause: err }));
      });
    });

    const ep = new RemoteMediaEndpoint(child, log, ready.localIp, ready.localPort, ready.rtcpPort);
    lines.on('line', (line) => ep.onLine(line));
    child.once('exit', (code, signal) => ep.onExit(`media agent exited ${code ?? signal}: ${stderr.trim()}`));
    return ep;
  }

  private onLine(line: string): void {
    let msg: AgentMessage;
    try {
      msg = parseAgentLine<AgentMessage>(line);
    } catch {
      return;
    }
    if (msg.event !== 'reply') return;
    const waiter = this.pending.get(msg.id);
    if (!waiter) return;
    this.pending.delete(msg.id);
    const reply: ReplyMessage = msg;
    if (reply.ok) waiter.resolve(reply.result);
    else waiter.reject(new MediaError(reply.code as MediaErrorCode, reply.message));
  }

  private onExit(why: string): void {
    this.exitError = new MediaError('socket-error', why);
    for (const w of this.pending.values()) w.reject(this.exitError);
    this.pending.clear();
  }

  private request<T>(body: RequestBody): Promise<T> {
    if (this.exitError) return Promise.reject(this.exitError);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.stdin?.write(`${JSON.stringify({ ...body, id })}\n`);
    });
  }

  /** As MediaEndpoint.start; resolves when the agent has sent its last packet. */
  start(options: WireStartOptions): Promise<SendSummary> {
    return this.request({ cmd: 'start', options });
  }

  expect(options: WireExpectOptions): Promise<void> {
    return this.request({ cmd: 'expect', options });
  }

  stats(): Promise<EndpointStats> {
    return this.request({ cmd: 'stats' });
  }

  waitForReceived(count: number, timeoutMs: number): Promise<boolean> {
    return this.request({ cmd: 'wait', count, timeoutMs });
  }

  stop(): Promise<void> {
    return this.request({ cmd: 'stop' });
  }

  async close(): Promise<void> {
    if (!this.exitError) {
      const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
      await this.request({ cmd: 'close' }).catch(() => undefined);
      await exited;
      clearTimeout(timer);
    }
    await new Promise<void>((r) => (this.log ? this.log.end(r) : r()));
  }
}
