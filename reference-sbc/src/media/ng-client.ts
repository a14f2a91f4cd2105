import rtpengine from 'rtpengine-client';
import type { Logger } from '../logger';
import { MediaError } from './media-error';

/** A bencode value as the ng protocol carries it (byte strings decoded as UTF-8). */
export type NgValue = string | number | NgValue[] | { [key: string]: NgValue };
export type NgDict = { [key: string]: NgValue };

export type NgCommand = 'offer' | 'answer' | 'delete' | 'list' | 'query' | 'ping';

export interface NgClientOptions {
  host: string;
  port: number;
  /** How long one attempt waits for rtpengine's reply. */
  timeoutMs?: number;
  /** Extra attempts after a timeout (ng over UDP can lose a datagram). */
  retries?: number;
  log?: Logger;
  /** Called with every answered command and how long its round trip took, in seconds. */
  onRoundTrip?: (command: NgCommand, seconds: number) => void;
}

/**
 * rtpengine's ng control protocol over UDP (bencoded dictionaries behind a cookie), through the
 * `rtpengine-client` package. Adds what an SBC needs around it: a reply deadline, a retry on
 * timeout and one error type. Retrying is safe for every command used here: rtpengine answers a
 * repeated offer/answer for the same call and tags with the same ports, and a repeated delete
 * with a warning, not an error.
 */
export class NgClient {
  private readonly client: InstanceType<typeof rtpengine.Client>;
  private readonly dest: { host: string; port: number };
  private readonly retries: number;
  private readonly log: Logger | undefined;
  private readonly onRoundTrip: NgClientOptions['onRoundTrip'];
  private closed = false;

  constructor(options: NgClientOptions) {
    this.dest = { host: options.host, port: options.port };
    this.retries = options.retries ?? 1;
    this.log = options.log;
    this.onRoundTrip = options.onRoundTrip;
    this.client = new rtpengine.Client({ timeout: options.timeoutMs ?? 1000 });
    // A late reply (after its timeout) or a socket error is emitted, never thrown: without a
    // listener the emitter would end the process.
    this.client.on('error', (err: unknown) => this.log?.warn('rtpengine control error', { err }));
  }

  /** Sends one command; resolves with rtpengine's reply, rejects with MediaError. */
  async command(name: NgCommand, params: NgDict = {}): Promise<NgDict> {
    if (this.closed) throw new MediaError('media-rtpengine-error', `rtpengine control closed (${name})`);
    let lastError: unknown;
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      let reply: NgDict;
      const t0 = performance.now();
      try {
        reply = await this.client[name](this.dest, params);
        this.onRoundTrip?.(name, (performance.now() - t0) / 1000);
      } catch (err) {
        lastError = err;
        if (isTimeout(err)) {
          this.log?.warn('rtpengine did not answer', { command: name, attempt });
          continue;
        }
        throw new MediaError('media-rtpengine-error', `rtpengine ${name}: ${describe(err)}`, err);
      }
      if (reply.result === 'error') {
        throw new MediaError('media-rtpengine-error', `rtpengine refused ${name}: ${String(reply['error-reason'] ?? 'no reason given')}`);
      }
      return reply;
    }
    throw new MediaError(
      'media-rtpengine-timeout',
      `rtpengine at ${this.dest.host}:${this.dest.port} did not answer ${name} (${this.retries + 1} attempts)`,
      lastError,
    );
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.close();
  }
}

function isTimeout(err: unknown): boolean {
  return err instanceof Error && /timeout/i.test(err.message);
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
