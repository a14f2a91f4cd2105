import { createSocket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { SbcError } from '../../errors';

/**
 * A minimal DNS client for NAPTR (RFC 3403) over UDP, written here because node:dns's
 * `resolveNaptr` hides the TTLs that ENUM answers must be cached for (RFC 6116 says "for their
 * TTL"). One question per datagram, recursion desired, answers parsed with name compression.
 */

export interface NaptrRecord {
  order: number;
  preference: number;
  flags: string;
  service: string;
  regexp: string;
  replacement: string;
  /** Seconds the answer may be cached. */
  ttl: number;
}

export interface NaptrAnswer {
  /** Empty for NXDOMAIN or NODATA: the name has no NAPTR records. */
  records: NaptrRecord[];
  /** How long the answer, positive or negative, may be cached (seconds). */
  ttl: number;
}

/** The DNS server failed to answer usefully (time-out, SERVFAIL, REFUSED, garbage): routing gives 503. */
export class DnsError extends SbcError {
  constructor(message: string, cause?: unknown) {
    super('DNS', message, { status: 503, cause });
  }
}

const TYPE_NAPTR = 35;
const TYPE_SOA = 6;
const CLASS_IN = 1;
const RCODE_NXDOMAIN = 3;

export function encodeQuery(id: number, name: string, type = TYPE_NAPTR): Buffer {
  const labels = name.replace(/\.$/, '').split('.').filter((l) => l.length > 0);
  const parts: Buffer[] = [];
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2); // RD: the configured server may be a recursive resolver
  header.writeUInt16BE(1, 4);
  parts.push(header);
  for (const label of labels) {
    const bytes = Buffer.from(label, 'ascii');
    if (bytes.length > 63) throw new DnsError(`DNS label too long in ${name}`);
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  const tail = Buffer.alloc(5);
  tail.writeUInt16BE(type, 1);
  tail.writeUInt16BE(CLASS_IN, 3);
  parts.push(tail);
  return Buffer.concat(parts);
}

/** Reads a (possibly compressed, RFC 1035 4.1.4) domain name; returns it and the offset after it. */
function readName(buf: Buffer, start: number): { name: string; next: number } {
  const labels: string[] = [];
  let offset = start;
  let next = -1;
  for (let jumps = 0; jumps < 64; jumps++) {
    const len = byteAt(buf, offset);
    if (len === 0) {
      return { name: labels.join('.'), next: next === -1 ? offset + 1 : next };
    }
    if ((len & 0xc0) === 0xc0) {
      if (next === -1) next = offset + 2;
      offset = ((len & 0x3f) << 8) | byteAt(buf, offset + 1);
      continue;
    }
    if (offset + 1 + len > buf.length) throw new DnsError('DNS answer truncated inside a name');
    labels.push(buf.toString('latin1', offset + 1, offset + 1 + len));
    offset += 1 + len;
  }
  throw new DnsError('DNS answer has a compression loop');
}

function byteAt(buf: Buffer, offset: number): number {
  const b = buf[offset];
  if (b === undefined) throw new DnsError('DNS answer truncated');
  return b;
}

function readCharString(buf: Buffer, offset: number): { text: string; next: number } {
  const len = byteAt(buf, offset);
  if (offset + 1 + len > buf.length) throw new DnsError('DNS answer truncated inside a string');
  return { text: buf.toString('utf8', offset + 1, offset + 1 + len), next: offset + 1 + len };
}

/** Parses a response to the query with `id`; throws DnsError for server failures and malformed data. */
export function decodeAnswer(buf: Buffer, id: number): NaptrAnswer {
  if (buf.length < 12) throw new DnsError('DNS answer shorter than its header');
  if (buf.readUInt16BE(0) !== id) throw new DnsError('DNS answer for another query');
  const flags = buf.readUInt16BE(2);
  if ((flags & 0x8000) === 0) throw new DnsError('DNS packet is not an answer');
  if ((flags & 0x0200) !== 0) throw new DnsError('DNS answer truncated (TC); NAPTR sets this small never need TCP');
  const rcode = flags & 0x000f;
  if (rcode !== 0 && rcode !== RCODE_NXDOMAIN) throw new DnsError(`DNS server answered rcode ${rcode}`);
  const qd = buf.readUInt16BE(4);
  const an = buf.readUInt16BE(6);
  const ns = buf.readUInt16BE(8);
  let offset = 12;
  for (let i = 0; i < qd; i++) offset = readName(buf, offset).next + 4;
  const records: NaptrRecord[] = [];
  let negativeTtl = 0;
  for (let i = 0; i < an + ns; i++) {
    offset = readName(buf, offset).next;
    if (offset + 10 > buf.length) throw new DnsError('DNS answer truncated inside a record');
    const type = buf.readUInt16BE(offset);
    const ttl = buf.readUInt32BE(offset + 4);
    const rdLength = buf.readUInt16BE(offset + 8);
    const rd = offset + 10;
    offset = rd + rdLength;
    if (offset > buf.length) throw new DnsError('DNS answer truncated inside record data');
    if (i < an && type === TYPE_NAPTR) {
      const order = buf.readUInt16BE(rd);
      const preference = buf.readUInt16BE(rd + 2);
      const f = readCharString(buf, rd + 4);
      const s = readCharString(buf, f.next);
      const r = readCharString(buf, s.next);
      const replacement = readName(buf, r.next).name;
      records.push({ order, preference, flags: f.text, service: s.text, regexp: r.text, replacement, ttl });
    } else if (i >= an && type === TYPE_SOA) {
      // RFC 2308 5: a negative answer lives min(SOA TTL, SOA MINIMUM).
      const afterMname = readName(buf, rd).next;
      const afterRname = readName(buf, afterMname).next;
      const minimum = buf.readUInt32BE(afterRname + 16);
      negativeTtl = Math.min(ttl, minimum);
    }
  }
  const ttl = records.length > 0 ? Math.min(...records.map((r) => r.ttl)) : negativeTtl;
  return { records, ttl };
}

/**
 * Asks `server` (ip, port) for the NAPTR records of `name`. Each try waits `timeoutMs`; after
 * `attempts` silent tries (or a failed send) it rejects with DnsError, so a dead server costs a
 * bounded delay and never a hang.
 */
export function queryNaptr(server: { address: string; port: number }, name: string, o: { timeoutMs: number; attempts: number }): Promise<NaptrAnswer> {
  const id = randomInt(0, 0x10000);
  const query = encodeQuery(id, name);
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    let tries = 0;
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (err: Error | undefined, answer?: NaptrAnswer): void => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      socket.close();
      if (err) reject(err);
      else if (answer) resolve(answer);
    };
    const send = (): void => {
      tries++;
      socket.send(query, server.port, server.address, (err) => {
        if (err) finish(new DnsError(`cannot send DNS query to ${server.address}:${server.port}: ${err.message}`, err));
      });
      timer = setTimeout(() => {
        if (tries < o.attempts) send();
        else finish(new DnsError(`DNS server ${server.address}:${server.port} did not answer for ${name} (${tries} tries of ${o.timeoutMs} ms)`));
      }, o.timeoutMs);
    };
    socket.on('message', (msg, rinfo) => {
      // Only the server we asked may answer (a forged answer from elsewhere is ignored).
      if (rinfo.address !== server.address || rinfo.port !== server.port || msg.length < 2 || msg.readUInt16BE(0) !== id) return;
      try {
        finish(undefined, decodeAnswer(msg, id));
      } catch (err) {
        finish(err as Error);
      }
    });
    socket.on('error', (err) => finish(new DnsError(`DNS socket error: ${err.message}`, err)));
    send();
  });
}
