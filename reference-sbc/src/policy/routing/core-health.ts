import { Headers } from '../../sip/headers';
import { serializeVia } from '../../sip/header-values';
import { newBranch, newCallId, newTag } from '../../sip/ids';
import { SipRequest } from '../../sip/message';
import { addressToHost } from '../../sip/uri';
import type { Clock } from '../../transaction/timers';
import type { ClientHandlers } from '../../transaction/types';
import type { Endpoint, Target } from '../../transport/types';

/**
 * Active health checks of the core servers (IN-04): each is sent OPTIONS every `intervalMs`. A
 * server leaves the rotation after `downAfter` probes in a row went unanswered (or at once when it
 * answers 503: it says it cannot take calls), and comes back after `upAfter` answered ones. Any
 * other answer, even 404 or 405, proves the server is there (RFC 3261 11).
 */

export interface CoreHealthOptions {
  intervalMs: number;
  /** A probe without a final answer after this long counts as a failure. */
  timeoutMs: number;
  downAfter: number;
  upAfter: number;
}

export interface ProbeTarget {
  readonly host: string;
  readonly port: number;
}

export type ServerState = 'up' | 'down';

export interface ServerHealth {
  host: string;
  port: number;
  state: ServerState;
  failures: number;
  successes: number;
  /** Status of the last answer, 'timeout' / 'transport-error' for none. */
  lastResult: string | undefined;
  lastProbeAt: string | undefined;
  changedAt: string | undefined;
}

export interface ProbeSender {
  sendRequest(request: SipRequest, target: Target, handlers: ClientHandlers): unknown;
}

interface Entry {
  health: ServerHealth;
  inFlight: boolean;
  /** Clock time of the last probe answered with anything but 503. */
  aliveAt: number | undefined;
}

export class CoreHealth<T extends ProbeTarget> {
  private readonly entries = new Map<T, Entry>();
  private readonly o: CoreHealthOptions;
  private readonly deps: { sender: ProbeSender; zone: string; local: Endpoint; clock: Clock; onChange?: (server: T, state: ServerState) => void };
  private timer: unknown;
  private stopped = false;

  constructor(servers: readonly T[], o: CoreHealthOptions, deps: { sender: ProbeSender; zone: string; local: Endpoint; clock: Clock; onChange?: (server: T, state: ServerState) => void }) {
    this.o = o;
    this.deps = deps;
    for (const s of servers) {
      // Optimistic at start: the first calls must not wait for a full probe round.
      this.entries.set(s, { health: { host: s.host, port: s.port, state: 'up', failures: 0, successes: 0, lastResult: undefined, lastProbeAt: undefined, changedAt: undefined }, inFlight: false, aliveAt: undefined });
    }
  }

  start(): void {
    this.stopped = false;
    this.round();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  isUp(server: T): boolean {
    return this.entries.get(server)?.health.state !== 'down';
  }

  /** When the server last answered a probe (not with 503); undefined if never. */
  aliveAt(server: T): number | undefined {
    return this.entries.get(server)?.aliveAt;
  }

  snapshot(): ServerHealth[] {
    return [...this.entries.values()].map((e) => ({ ...e.health }));
  }

  /** Probes every server once now (tests; the timer does the same every interval). */
  round(): void {
    for (const [server, entry] of this.entries) {
      // A server still owing an answer to the last probe is not sent another one.
      if (!entry.inFlight) this.probe(server, entry);
    }
    if (!this.stopped) this.timer = this.deps.clock.setTimeout(() => this.round(), this.o.intervalMs);
  }

  /** Feeds one probe outcome: a status, or undefined for no answer at all. */
  record(server: T, status: number | undefined, why?: string): void {
    const entry = this.entries.get(server);
    if (!entry) return;
    const h = entry.health;
    h.lastProbeAt = new Date(this.deps.clock.now()).toISOString();
    h.lastResult = status === undefined ? (why ?? 'timeout') : String(status);
    const alive = status !== undefined && status !== 503;
    if (alive) {
      entry.aliveAt = this.deps.clock.now();
      h.successes++;
      h.failures = 0;
      if (h.state === 'down' && h.successes >= this.o.upAfter) this.change(server, h, 'up');
    } else {
      h.failures++;
      h.successes = 0;
      if (h.state === 'up' && (status === 503 || h.failures >= this.o.downAfter)) this.change(server, h, 'down');
    }
  }

  private change(server: T, h: ServerHealth, state: ServerState): void {
    h.state = state;
    h.changedAt = new Date(this.deps.clock.now()).toISOString();
    this.deps.onChange?.(server, state);
  }

  private probe(server: T, entry: Entry): void {
    entry.inFlight = true;
    let settled = false;
    const settle = (status: number | undefined, why?: string): void => {
      if (settled) return;
      settled = true;
      entry.inFlight = false;
      this.deps.clock.clearTimeout(deadline);
      this.record(server, status, why);
    };
    const deadline = this.deps.clock.setTimeout(() => settle(undefined, 'timeout'), this.o.timeoutMs);
    try {
      this.deps.sender.sendRequest(this.options(server), { zone: this.deps.zone, protocol: 'udp', endpoint: { address: server.host, port: server.port } }, {
        onResponse: (res) => {
          if (res.status >= 200) settle(res.status);
        },
        onFailure: (err) => settle(undefined, err.code === 'TRANSPORT' ? 'transport-error' : 'timeout'),
      });
    } catch {
      // The transaction table is full: no verdict on the server from that.
      settled = true;
      entry.inFlight = false;
      this.deps.clock.clearTimeout(deadline);
    }
  }

  private options(server: T): SipRequest {
    const host = addressToHost(this.deps.local.address);
    const headers = new Headers();
    headers.append('Via', serializeVia({
      protocol: 'SIP/2.0', transport: 'UDP', host, port: this.deps.local.port,
      params: [{ name: 'branch', value: newBranch() }, { name: 'rport', value: undefined }],
    }));
    headers.append('Max-Forwards', '70');
    headers.append('From', `<sip:health@${host}>;tag=${newTag()}`);
    headers.append('To', `<sip:${server.host}:${server.port}>`);
    headers.append('Call-ID', newCallId());
    headers.append('CSeq', '1 OPTIONS');
    headers.append('Content-Length', '0');
    return new SipRequest('OPTIONS', `sip:${server.host}:${server.port}`, headers);
  }
}
