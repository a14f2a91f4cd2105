import { isIP } from 'node:net';
import type { TransportName } from '../events';
import { hasControl, replaceControl } from '../sip/grammar';

/** One finished call attempt, as written to the spool and then to the `cdr` table. */
export interface CdrRecord {
  /** Call-ID of the public leg: the table's unique key, which makes replays idempotent. */
  callId: string;
  coreCallId: string | null;
  attemptAt: Date;
  answerAt: Date | null;
  endAt: Date;
  /** Whole seconds from answer to end (GEN-07), 0 when never answered. */
  durationS: number;
  durationMs: number;
  srcNumber: string;
  dstNumber: string;
  remoteIp: string | null;
  remotePort: number | null;
  transport: TransportName | null;
  direction: 'in' | 'out';
  coreServer: string | null;
  finalStatus: number;
  endReason: string;
  mediaEncrypted: boolean;
}

/**
 * A text value as the CDR stores it: backslash and the control characters (NUL, which PostgreSQL
 * text cannot hold, and the rest of C0 and DEL, which break log lines and exports) written as
 * `\\` and `\xHH`, so that every call keeps its row (issue 11 point 4) and the stored value still
 * tells the original apart. Values without such characters are stored as they are.
 */
export function storableText(value: string): string {
  if (!value.includes('\\') && !hasControl(value, true)) return value;
  return replaceControl(value.replace(/\\/g, '\\\\'), (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Version tag of a spool line, so a future format change can still read old spools. */
const SPOOL_FORMAT = 1;

/** One spool line (no trailing newline): JSON with ISO timestamps. */
export function toSpoolLine(r: CdrRecord): string {
  return JSON.stringify({
    v: SPOOL_FORMAT,
    ...r,
    attemptAt: r.attemptAt.toISOString(),
    answerAt: r.answerAt?.toISOString() ?? null,
    endAt: r.endAt.toISOString(),
  });
}

/**
 * Parses one spool line back into a record. Every field is checked, because a line that reached
 * the disk torn or edited must be reported and skipped, never sent to the database half-formed.
 */
export function fromSpoolLine(line: string): CdrRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    throw new Error('not JSON (torn write?)');
  }
  if (typeof raw !== 'object' || raw === null) throw new Error('not a JSON object');
  const o = raw as Record<string, unknown>;
  if (o['v'] !== SPOOL_FORMAT) throw new Error(`unknown spool format ${String(o['v'])}`);
  const transport = nullable(o, 'transport', str);
  if (transport !== null && transport !== 'udp' && transport !== 'tls') throw new Error(`bad transport ${transport}`);
  const direction = str(o, 'direction');
  if (direction !== 'in' && direction !== 'out') throw new Error(`bad direction ${direction}`);
  const record: CdrRecord = {
    callId: str(o, 'callId'),
    coreCallId: nullable(o, 'coreCallId', str),
    attemptAt: date(o, 'attemptAt'),
    answerAt: nullable(o, 'answerAt', date),
    endAt: date(o, 'endAt'),
    durationS: int(o, 'durationS'),
    durationMs: int(o, 'durationMs'),
    srcNumber: str(o, 'srcNumber'),
    dstNumber: str(o, 'dstNumber'),
    remoteIp: nullable(o, 'remoteIp', str),
    remotePort: nullable(o, 'remotePort', int),
    transport,
    direction,
    coreServer: nullable(o, 'coreServer', str),
    finalStatus: int(o, 'finalStatus'),
    endReason: str(o, 'endReason'),
    mediaEncrypted: bool(o, 'mediaEncrypted'),
  };
  if (record.callId === '') throw new Error('empty callId');
  if (record.remoteIp !== null && isIP(record.remoteIp) === 0) throw new Error(`bad remoteIp ${record.remoteIp}`);
  return record;
}

type Field<T> = (o: Record<string, unknown>, k: string) => T;

const str: Field<string> = (o, k) => {
  const v = o[k];
  if (typeof v !== 'string') throw new Error(`${k} is not a string`);
  return v;
};

const int: Field<number> = (o, k) => {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new Error(`${k} is not a non-negative integer`);
  return v;
};

const bool: Field<boolean> = (o, k) => {
  const v = o[k];
  if (typeof v !== 'boolean') throw new Error(`${k} is not a boolean`);
  return v;
};

const date: Field<Date> = (o, k) => {
  const d = new Date(str(o, k));
  if (Number.isNaN(d.getTime())) throw new Error(`${k} is not a timestamp`);
  return d;
};

function nullable<T>(o: Record<string, unknown>, k: string, f: Field<T>): T | null {
  return o[k] === null ? null : f(o, k);
}
