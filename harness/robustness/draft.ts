/**
 * The editable form of a corpus message before it becomes bytes: a start line, ordered header
 * fields and a body. Mutations change a draft (drop a header, double one, swap a value) or, for
 * framing faults no draft can express, the final bytes. Text is latin1 throughout, so every byte a
 * mutation writes (NUL, 0xff) reaches the wire unchanged.
 */
export interface Draft {
  startLine: string;
  headers: Array<[string, string]>;
  body: string;
  /** Leave Content-Length as written instead of recomputing it from the body. */
  keepContentLength?: boolean;
}

/** A small, fast, seedable generator (mulberry32): the same seed gives the same corpus everywhere. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }
}

/** The index of the first header called `name` (case-insensitive, compact forms not expanded), or -1. */
export function headerIndex(d: Draft, name: string): number {
  const lower = name.toLowerCase();
  return d.headers.findIndex(([n]) => n.toLowerCase() === lower);
}

export function getHeader(d: Draft, name: string): string | undefined {
  const i = headerIndex(d, name);
  return i < 0 ? undefined : d.headers[i]![1];
}

/** Replaces the first `name` header's value (appends the header when there is none). */
export function setHeader(d: Draft, name: string, value: string): void {
  const i = headerIndex(d, name);
  if (i < 0) d.headers.push([name, value]);
  else d.headers[i] = [d.headers[i]![0], value];
}

export function removeHeader(d: Draft, name: string): void {
  const lower = name.toLowerCase();
  d.headers = d.headers.filter(([n]) => n.toLowerCase() !== lower);
}

/** Inserts a header right after the first `after` header (or at the end). */
export function insertAfter(d: Draft, after: string, field: [string, string]): void {
  const i = headerIndex(d, after);
  d.headers.splice(i < 0 ? d.headers.length : i + 1, 0, field);
}

/** The wire bytes: CRLF line ends, Content-Length from the body unless the draft keeps its own. */
export function serializeDraft(d: Draft): Buffer {
  const headers = d.keepContentLength
    ? d.headers
    : [...d.headers.filter(([n]) => n.toLowerCase() !== 'content-length'), ['Content-Length', String(Buffer.byteLength(d.body, 'latin1'))] as [string, string]];
  const head = [d.startLine, ...headers.map(([n, v]) => `${n}: ${v}`)].join('\r\n');
  return Buffer.from(`${head}\r\n\r\n${d.body}`, 'latin1');
}

/** A light reading of corpus bytes for the claims' checks: start line, header fields, body (no unfolding). */
export interface WireView {
  startLine: string;
  headers: Array<[string, string]>;
  body: string;
  /** The header section (start line excluded) as bytes on the wire. */
  headerBytes: number;
}

export function viewWire(data: Buffer): WireView {
  const text = data.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const head = end < 0 ? text : text.slice(0, end);
  const body = end < 0 ? '' : text.slice(end + 4);
  const lines = head.split('\r\n');
  const startLine = lines.shift() ?? '';
  const headers: Array<[string, string]> = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers.push(colon < 0 ? [line, ''] : [line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return { startLine, headers, body, headerBytes: Buffer.byteLength(head, 'latin1') - startLine.length };
}

/** Every value of `name` in a wire view (case-insensitive). */
export function valuesOf(v: WireView, name: string): string[] {
  const lower = name.toLowerCase();
  return v.headers.filter(([n]) => n.toLowerCase() === lower).map(([, value]) => value);
}
