/**
 * Reads a pcap with tshark, once, into three views: every packet as a flow record, every UDP/TCP
 * payload as the bytes really sent, and the SIP messages among them. tshark only locates the payload
 * bytes (`udp.payload`, `tcp.payload`, hex); the suite decodes them itself, so a message the SIP
 * dissector would reject or "fix" is still seen exactly as it crossed the wire.
 */
import { run } from '../util/process';
import { frameSipStream, isSipStart } from './sip-text';
import { readTls } from './tls-follow';

export type FlowProto = 'udp' | 'tcp' | 'icmp' | 'icmpv6' | 'arp' | `ip-${number}` | 'other';

/** One packet: who sent it to whom, over what. Addresses are '' for non-IP packets (ARP: the ARP addresses). */
export interface Flow {
  frame: number;
  /** Capture time, seconds since the epoch. */
  time: number;
  src: string;
  dst: string;
  proto: FlowProto;
  srcPort?: number;
  dstPort?: number;
  /** TCP flags worth telling apart in evidence: S (SYN), R (RST), F (FIN), A (ACK). */
  tcpFlags?: string;
  icmpType?: number;
  /** Bytes on the wire. */
  length: number;
}

/** A UDP datagram or TCP segment with its payload (IP fragments reassembled by tshark). */
export interface CapturedPayload {
  frame: number;
  time: number;
  src: string;
  dst: string;
  transport: 'udp' | 'tcp';
  srcPort: number;
  dstPort: number;
  payload: Buffer;
  /** TCP only: tshark's stream index and relative sequence number, for reassembly. */
  tcpStream?: number;
  tcpSeq?: number;
}

/** One SIP message as captured. `text` is the payload decoded byte for byte (latin1), so nothing is altered. */
export interface CapturedSip {
  /** The frame holding the message's first byte (TLS: the first application-data frame of its direction). */
  frame: number;
  time: number;
  src: string;
  dst: string;
  transport: 'udp' | 'tcp' | 'tls';
  srcPort: number;
  dstPort: number;
  text: string;
  /** TCP and TLS: the capture ended before the message did. */
  truncated?: boolean;
}

export interface CaptureContents {
  flows: Flow[];
  payloads: CapturedPayload[];
  sip: CapturedSip[];
  /** TLS connections in the capture, and how many of them a key log let us read (their SIP is in `sip`). */
  tls: { streams: number; decrypted: number };
}

export interface ReadOptions {
  /** A TLS key log (NSS format, e.g. from `node --tls-keylog=FILE`): SIP over TLS is then read too. */
  tlsKeylog?: string;
}

const FIELDS = [
  'frame.number', 'frame.time_epoch', 'frame.len',
  'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst', 'ip.proto', 'ipv6.nxt',
  'arp.src.proto_ipv4', 'arp.dst.proto_ipv4',
  'icmp.type', 'icmpv6.type',
  'udp.srcport', 'udp.dstport',
  'tcp.srcport', 'tcp.dstport', 'tcp.stream', 'tcp.seq', 'tcp.flags.syn', 'tcp.flags.reset', 'tcp.flags.fin', 'tcp.flags.ack',
  'udp.payload', 'tcp.payload',
] as const;
type Field = (typeof FIELDS)[number];

export function tsharkArgs(file: string): string[] {
  return [
    '-n', '-r', file,
    // Our own reassembly sees every segment; tshark's would move payloads to the segment that completes a PDU.
    '-o', 'tcp.desegment_tcp_streams:FALSE',
    '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=f', '-E', 'header=n',
    ...FIELDS.flatMap((f) => ['-e', f]),
  ];
}

const flag = (v: string): boolean => v === '1' || v.toLowerCase() === 'true';
const num = (v: string): number | undefined => (v === '' ? undefined : Number(v));

/** Turns tshark's field lines (see `tsharkArgs`) into flows and payloads. */
export function parseFieldLines(stdout: string): { flows: Flow[]; payloads: CapturedPayload[] } {
  const flows: Flow[] = [];
  const payloads: CapturedPayload[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.trim()) continue;
    const cols = line.split('\t');
    const f = (name: Field): string => (cols[FIELDS.indexOf(name)] ?? '').trim();
    const frame = Number(f('frame.number'));
    if (!Number.isFinite(frame)) continue;
    const time = Number(f('frame.time_epoch'));
    const src = f('ip.src') || f('ipv6.src') || f('arp.src.proto_ipv4');
    const dst = f('ip.dst') || f('ipv6.dst') || f('arp.dst.proto_ipv4');
    const flow: Flow = { frame, time, src, dst, proto: 'other', length: Number(f('frame.len')) || 0 };
    // ICMP errors quote the packet that caused them: its ports and payload are not this packet's.
    const icmp = num(f('icmp.type')) ?? num(f('icmpv6.type'));
    if (icmp !== undefined) {
      flow.proto = f('icmp.type') !== '' ? 'icmp' : 'icmpv6';
      flow.icmpType = icmp;
    } else if (f('udp.srcport') !== '') {
      flow.proto = 'udp';
      flow.srcPort = Number(f('udp.srcport'));
      flow.dstPort = Number(f('udp.dstport'));
    } else if (f('tcp.srcport') !== '') {
      flow.proto = 'tcp';
      flow.srcPort = Number(f('tcp.srcport'));
      flow.dstPort = Number(f('tcp.dstport'));
      flow.tcpFlags = [['S', 'tcp.flags.syn'], ['R', 'tcp.flags.reset'], ['F', 'tcp.flags.fin'], ['A', 'tcp.flags.ack']]
        .filter(([, name]) => flag(f(name as Field)))
        .map(([letter]) => letter)
        .join('');
    } else if (f('arp.src.proto_ipv4') !== '') {
      flow.proto = 'arp';
    } else {
      const p = num(f('ip.proto')) ?? num(f('ipv6.nxt'));
      if (p !== undefined) flow.proto = `ip-${p}`;
    }
    flows.push(flow);

    if (flow.proto !== 'udp' && flow.proto !== 'tcp') continue;
    const hex = (flow.proto === 'udp' ? f('udp.payload') : f('tcp.payload')).replace(/[^0-9a-fA-F]/g, '');
    if (!hex) continue;
    const p: CapturedPayload = {
      frame, time, src, dst, transport: flow.proto, srcPort: flow.srcPort!, dstPort: flow.dstPort!, payload: Buffer.from(hex, 'hex'),
    };
    if (flow.proto === 'tcp') {
      p.tcpStream = Number(f('tcp.stream'));
      p.tcpSeq = Number(f('tcp.seq'));
    }
    payloads.push(p);
  }
  return { flows, payloads };
}

interface StreamPiece {
  start: number;
  frame: number;
  time: number;
}

/**
 * Rebuilds each TCP direction's byte stream from its segments (in sequence order, retransmitted bytes
 * once) and frames the SIP messages in it.
 */
export function sipFromTcp(payloads: CapturedPayload[]): CapturedSip[] {
  const directions = new Map<string, CapturedPayload[]>();
  for (const p of payloads) {
    if (p.transport !== 'tcp') continue;
    const key = `${p.tcpStream ?? ''}|${p.src}|${p.srcPort}|${p.dst}|${p.dstPort}`;
    const list = directions.get(key) ?? [];
    list.push(p);
    directions.set(key, list);
  }
  const out: CapturedSip[] = [];
  for (const segments of directions.values()) {
    segments.sort((a, b) => (a.tcpSeq ?? 0) - (b.tcpSeq ?? 0) || a.frame - b.frame);
    const chunks: string[] = [];
    const pieces: StreamPiece[] = [];
    let length = 0;
    let next: number | undefined;
    for (const s of segments) {
      const seq = s.tcpSeq ?? next ?? 0;
      const end = seq + s.payload.length;
      if (next !== undefined && end <= next) continue; // a retransmission of bytes we have
      const skip = next !== undefined && seq < next ? next - seq : 0;
      const text = s.payload.subarray(skip).toString('latin1');
      pieces.push({ start: length, frame: s.frame, time: s.time });
      chunks.push(text);
      length += text.length;
      next = end;
    }
    const first = segments[0]!;
    const pieceAt = (offset: number): StreamPiece => {
      let found = pieces[0]!;
      for (const p of pieces) if (p.start <= offset) found = p;
      return found;
    };
    for (const m of frameSipStream(chunks.join(''))) {
      const piece = pieceAt(m.offset);
      const sip: CapturedSip = {
        frame: piece.frame, time: piece.time, src: first.src, dst: first.dst, transport: 'tcp', srcPort: first.srcPort, dstPort: first.dstPort, text: m.text,
      };
      if (m.truncated) sip.truncated = true;
      out.push(sip);
    }
  }
  return out;
}

/** The SIP messages among the payloads: every UDP datagram that starts like one, and SIP framed from TCP streams. */
export function sipFromPayloads(payloads: CapturedPayload[]): CapturedSip[] {
  const udp: CapturedSip[] = [];
  for (const p of payloads) {
    if (p.transport !== 'udp') continue;
    const text = p.payload.toString('latin1');
    if (!isSipStart(text)) continue;
    udp.push({ frame: p.frame, time: p.time, src: p.src, dst: p.dst, transport: 'udp', srcPort: p.srcPort, dstPort: p.dstPort, text });
  }
  return [...udp, ...sipFromTcp(payloads)].sort((a, b) => a.frame - b.frame);
}

/**
 * Reads the whole capture. A capture still being written may end in the middle of a packet; tshark
 * then complains and exits non-zero but has printed every whole packet, which is what we keep.
 */
export async function readCapture(file: string, o: ReadOptions = {}): Promise<CaptureContents> {
  const r = await run('tshark', tsharkArgs(file), { check: false, timeoutMs: 120_000 });
  if (r.code !== 0 && !/cut short in the middle of a packet/i.test(r.stderr)) {
    throw new Error(`tshark could not read ${file} (exit ${r.code}): ${r.stderr.replace(/Running as user "root".*\n?/, '').trim()}`);
  }
  const { flows, payloads } = parseFieldLines(r.stdout);
  const tls = await readTls(file, payloads, o.tlsKeylog);
  const sip = [...sipFromPayloads(payloads), ...tls.sip].sort((a, b) => a.frame - b.frame);
  return { flows, payloads, sip, tls: { streams: tls.streams, decrypted: tls.decrypted } };
}

/** Every packet of the capture as (src, dst, proto, ports). */
export async function readFlows(file: string): Promise<Flow[]> {
  return (await readCapture(file)).flows;
}

/** Every SIP message of the capture, over UDP, plain TCP and (with a key log) TLS, with its SDP, as the bytes really sent. */
export async function readSip(file: string, o: ReadOptions = {}): Promise<CapturedSip[]> {
  return (await readCapture(file, o)).sip;
}
