/**
 * The SIP ladder: every message the client sent or received, in order, with
 * time, transport and addresses. It is the evidence a certificate shows for a
 * scenario, and what steps search to assert on headers the SBC produced.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { callIdOf, cseqOf, getHeaders } from './message';
import type { SipMessage } from './message';
import { parseMessage } from './parse';

export type TransportKind = 'udp' | 'tls' | 'tcp';
export type Direction = 'sent' | 'received';

export interface LadderEntry {
  /** Milliseconds since the epoch. */
  at: number;
  direction: Direction;
  transport: TransportKind;
  /** `ip:port` of our socket. */
  local: string;
  /** `ip:port` of the peer. */
  remote: string;
  raw: string;
  /** Parsed form; absent when the bytes are not SIP (`parseError` says why). */
  message?: SipMessage;
  parseError?: string;
}

export interface MessageFilter {
  direction?: Direction;
  /** Request method (case-insensitive). */
  method?: string;
  /** Response status, or a predicate on it (`(s) => s >= 200`). */
  status?: number | ((status: number) => boolean);
  callId?: string;
  /** Method in CSeq, e.g. the INVITE a response answers. */
  cseqMethod?: string;
  /** Some value of this header matches (compact forms understood). */
  header?: { name: string; match: string | RegExp };
  since?: number;
  where?: (message: SipMessage, entry: LadderEntry) => boolean;
}

export function matches(entry: LadderEntry, filter: MessageFilter): boolean {
  const msg = entry.message;
  if (!msg) return false;
  if (filter.direction !== undefined && entry.direction !== filter.direction) return false;
  if (filter.since !== undefined && entry.at < filter.since) return false;
  if (filter.method !== undefined && (msg.kind !== 'request' || msg.method.toUpperCase() !== filter.method.toUpperCase())) return false;
  if (filter.status !== undefined) {
    if (msg.kind !== 'response') return false;
    if (typeof filter.status === 'number' ? msg.status !== filter.status : !filter.status(msg.status)) return false;
  }
  if (filter.callId !== undefined && callIdOf(msg) !== filter.callId) return false;
  if (filter.cseqMethod !== undefined && cseqOf(msg)?.method !== filter.cseqMethod.toUpperCase()) return false;
  if (filter.header) {
    const { name, match } = filter.header;
    const values = getHeaders(msg, name);
    const ok = values.some((v) => (typeof match === 'string' ? v.includes(match) : match.test(v)));
    if (!ok) return false;
  }
  return filter.where ? filter.where(msg, entry) : true;
}

export class Ladder {
  readonly entries: LadderEntry[] = [];
  private readonly listeners = new Set<(entry: LadderEntry) => void>();

  record(entry: Omit<LadderEntry, 'message' | 'parseError'>): LadderEntry {
    const full: LadderEntry = { ...entry };
    try {
      full.message = parseMessage(entry.raw);
    } catch (err) {
      full.parseError = (err as Error).message;
    }
    // A send is recorded once the socket confirms it, possibly after the answer was
    // recorded; `at` is taken before sending, so order by it (stable for equal times).
    let i = this.entries.length;
    while (i > 0 && (this.entries[i - 1] as LadderEntry).at > full.at) i--;
    this.entries.splice(i, 0, full);
    for (const listener of this.listeners) listener(full);
    return full;
  }

  /** Called for every entry recorded from now on; returns the unsubscribe function. */
  subscribe(listener: (entry: LadderEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  find(filter: MessageFilter = {}): LadderEntry[] {
    return this.entries.filter((e) => matches(e, filter));
  }

  messages(filter: MessageFilter = {}): SipMessage[] {
    return this.find(filter).map((e) => e.message as SipMessage);
  }

  /** Human-readable ladder: one block per message, arrows showing direction. */
  toText(): string {
    const start = this.entries[0]?.at ?? 0;
    return this.entries
      .map((e) => {
        const arrow = e.direction === 'sent' ? `${e.local} -> ${e.remote}` : `${e.local} <- ${e.remote}`;
        const head = `=== ${new Date(e.at).toISOString()} (+${e.at - start} ms) ${e.transport.toUpperCase()} ${e.direction} ${arrow}`;
        const note = e.parseError ? `\n[not SIP: ${e.parseError}]` : '';
        return `${head}${note}\n${e.raw.replace(/\r\n/g, '\n')}`;
      })
      .join('\n');
  }

  /** Writes the ladder as text, or as JSON when the path ends in `.json`. */
  async write(path: string): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    const content = path.endsWith('.json')
      ? JSON.stringify(this.entries.map(({ message: _m, ...rest }) => rest), null, 2)
      : this.toText();
    await writeFile(path, content, 'utf8');
  }
}
