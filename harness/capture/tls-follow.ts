/**
 * SIP over TLS in a capture, decrypted with a TLS key log (NSS key log format: what `node
 * --tls-keylog=FILE` or a `keylog` event writes on the suite's side of the connection). tshark decrypts
 * and `-z follow,tls,raw` hands back each direction's plaintext bytes exactly; they are framed into SIP
 * messages like a TCP stream. Without the keys a TLS connection stays opaque and is counted as such.
 */
import { existsSync } from 'node:fs';
import { run } from '../util/process';
import type { CapturedPayload, CapturedSip } from './pcap-read';
import { frameSipStream } from './sip-text';

/** One followed stream: the plaintext each side sent, in order. */
export interface FollowedStream {
  stream: number;
  /** ip:port tshark names as node 0 (':0' when it could not tell, e.g. nothing was decrypted). */
  node0: string;
  node1: string;
  /** Hex lines: `fromNode0` is false for tshark's tab-indented lines (node 1). */
  chunks: { fromNode0: boolean; bytes: Buffer }[];
}

export interface TlsContents {
  /** TCP streams that carry TLS. */
  streams: number;
  /** Streams whose plaintext could be read. */
  decrypted: number;
  sip: CapturedSip[];
}

const TLS_HANDSHAKE = 0x16;
const TLS_APPLICATION_DATA = 0x17;

/** Whether a TCP payload starts like a TLS record (content type, then version 3.x). */
function isTlsRecord(p: Buffer): boolean {
  return p.length >= 5 && (p[0] === TLS_HANDSHAKE || p[0] === TLS_APPLICATION_DATA) && p[1] === 3;
}

/** Parses tshark's `-q -z follow,tls,raw,N` output (several blocks, in any order). */
export function parseFollowOutput(stdout: string): FollowedStream[] {
  const out: FollowedStream[] = [];
  let current: FollowedStream | undefined;
  for (const line of stdout.split('\n')) {
    const filter = /^Filter: tcp\.stream eq (\d+)/.exec(line);
    if (filter) {
      current = { stream: Number(filter[1]), node0: ':0', node1: ':0', chunks: [] };
      out.push(current);
      continue;
    }
    if (!current) continue;
    const node = /^Node ([01]): (.*)$/.exec(line);
    if (node) {
      if (node[1] === '0') current.node0 = node[2]!.trim();
      else current.node1 = node[2]!.trim();
      continue;
    }
    const hex = /^(\t?)([0-9a-fA-F]+)\s*$/.exec(line);
    if (hex) current.chunks.push({ fromNode0: hex[1] === '', bytes: Buffer.from(hex[2]!, 'hex') });
  }
  return out;
}

/** The TCP streams among the payloads that carry TLS. */
export function tlsStreams(payloads: CapturedPayload[]): number[] {
  const out = new Set<number>();
  for (const p of payloads) if (p.transport === 'tcp' && p.tcpStream !== undefined && isTlsRecord(p.payload)) out.add(p.tcpStream);
  return [...out].sort((a, b) => a - b);
}

/** A decrypted application-data record: the frame it was in, and who sent it (ip:port). */
export interface AppDataRecord {
  stream: number;
  frame: number;
  time: number;
  sender: string;
}

/**
 * Parses `-T fields -E occurrence=a -e frame.number -e frame.time_epoch -e tcp.stream -e ip.src
 * -e tcp.srcport -e tls.record.content_type` run with the key log: decrypted TLS 1.3 records show their
 * inner type, so 23 marks real application data (not session tickets), one entry per record.
 */
export function parseAppDataRecords(stdout: string): AppDataRecord[] {
  const out: AppDataRecord[] = [];
  for (const line of stdout.split('\n')) {
    const [frame, time, stream, src, port, types] = line.split('\t');
    if (!frame || !stream || !types) continue;
    const sender = `${(src ?? '').split(',')[0]}:${(port ?? '').split(',')[0]}`;
    for (const t of types.split(',')) if (t.trim() === '23') out.push({ stream: Number(stream), frame: Number(frame), time: Number(time), sender });
  }
  return out;
}

/**
 * The SIP messages of each followed stream, placed on the capture's endpoints. tshark's follow output
 * has one line per decrypted application-data record, in capture order, so line i is record i and a
 * message gets the frame of the record holding its first byte; when the counts disagree, the first
 * application-data frame of its direction.
 */
export function sipFromFollowed(followed: FollowedStream[], payloads: CapturedPayload[], records: AppDataRecord[] = []): { sip: CapturedSip[]; decrypted: number } {
  const sip: CapturedSip[] = [];
  let decrypted = 0;
  for (const f of followed) {
    const segments = payloads.filter((p) => p.transport === 'tcp' && p.tcpStream === f.stream);
    const first = segments[0];
    if (!first || f.chunks.length === 0) continue;
    const a = `${first.src}:${first.srcPort}`;
    const b = `${first.dst}:${first.dstPort}`;
    const node0 = f.node0 === a || f.node0 === b ? f.node0 : f.node1 === a ? b : f.node1 === b ? a : undefined;
    if (!node0) continue;
    decrypted++;
    const mine = records.filter((r) => r.stream === f.stream);
    const exact = mine.length === f.chunks.length;
    for (const fromNode0 of [true, false]) {
      const sender = fromNode0 ? node0 : node0 === a ? b : a;
      const from = segments.find((p) => `${p.src}:${p.srcPort}` === sender);
      if (!from) continue;
      const fallback = mine.find((r) => r.sender === sender) ?? { frame: from.frame, time: from.time };
      const pieces: { start: number; frame: number; time: number }[] = [];
      let text = '';
      f.chunks.forEach((c, i) => {
        if (c.fromNode0 !== fromNode0) return;
        const at = exact ? mine[i]! : fallback;
        pieces.push({ start: text.length, frame: at.frame, time: at.time });
        text += c.bytes.toString('latin1');
      });
      for (const m of frameSipStream(text)) {
        const piece = pieces.filter((p) => p.start <= m.offset).pop() ?? pieces[0]!;
        const message: CapturedSip = {
          frame: piece.frame, time: piece.time, src: from.src, srcPort: from.srcPort, dst: from.dst, dstPort: from.dstPort, transport: 'tls', text: m.text,
        };
        if (m.truncated) message.truncated = true;
        sip.push(message);
      }
    }
  }
  return { sip, decrypted };
}

/** Decrypts and frames every TLS stream of the capture with the key log, if there is one. */
export async function readTls(file: string, payloads: CapturedPayload[], keylog?: string): Promise<TlsContents> {
  const streams = tlsStreams(payloads);
  if (streams.length === 0 || !keylog || !existsSync(keylog)) return { streams: streams.length, decrypted: 0, sip: [] };
  const keys = ['-n', '-r', file, '-o', `tls.keylog_file:${keylog}`];
  const follow = await tshark(file, [...keys, '-q', ...streams.flatMap((s) => ['-z', `follow,tls,raw,${s}`])]);
  const fields = await tshark(file, [
    ...keys, '-Y', `tcp.stream in {${streams.join(',')}}`, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,',
    ...['frame.number', 'frame.time_epoch', 'tcp.stream', 'ip.src', 'tcp.srcport', 'tls.record.content_type'].flatMap((e) => ['-e', e]),
  ]);
  const { sip, decrypted } = sipFromFollowed(parseFollowOutput(follow), payloads, parseAppDataRecords(fields));
  return { streams: streams.length, decrypted, sip };
}

async function tshark(file: string, args: string[]): Promise<string> {
  const r = await run('tshark', args, { check: false, timeoutMs: 120_000 });
  if (r.code !== 0 && !/cut short in the middle of a packet/i.test(r.stderr)) {
    throw new Error(`tshark could not read the TLS streams of ${file} (exit ${r.code}): ${r.stderr.replace(/Running as user "root".*\n?/, '').trim()}`);
  }
  return r.stdout;
}
