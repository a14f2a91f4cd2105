/**
 * GEN-03: nothing a public party can see carries a core address or a core host name. The audit scans
 * every line of every SIP message captured on the public side (start line, every header whatever its
 * name, every SDP line, any other body), and optionally the IP headers of every packet and the payload
 * of every non-SIP datagram (RTCP SDES items are a classic leak), and lists each finding with where it was.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CapturedPayload, CapturedSip, Flow } from './pcap-read';
import { inAnyNet } from './ipv4';
import { describeSip, isSipStart, splitSip } from './sip-text';

export interface AuditOptions {
  /** Every core address (servers, DNS, database, the SBC's own core address). */
  coreAddresses: string[];
  /** Core host names; a name also matches as the suffix of a longer name (pbx1.core.example matches core.example). */
  coreHostNames: string[];
  /** Core networks as CIDR (e.g. 10.20.0.0/24): any IPv4 literal inside them is a leak, listed or not. */
  coreNets?: string[];
  /** The SBC's public address(es), to tell what the SBC sent from what it received. */
  sbcAddresses?: string[];
  /** Every packet of the capture: a core address as IP source or destination is a leak too. */
  flows?: Flow[];
  /** Every UDP payload of the capture: core addresses in non-SIP datagrams (RTCP, STUN, ...) are leaks too. */
  payloads?: CapturedPayload[];
}

export type LeakDirection = 'from-sbc' | 'to-sbc' | 'other';

export interface Leak {
  frame: number;
  time: number;
  direction: LeakDirection;
  /** ip:port of the sender and receiver. */
  from: string;
  to: string;
  /** The message ("200 OK (1 INVITE)", "BYE sip:…") or packet kind ("RTCP", "IP header"). */
  message: string;
  /** Where in it: 'request line', 'status line', a header name as written ('Via', 'v'), 'SDP c=', 'body', 'IP source', ... */
  where: string;
  /** The whole header value or line, so the reader sees the context. */
  value: string;
  /** The core address or host name found. */
  found: string;
}

export interface AuditReport {
  summary: { sipMessages: number; fromSbc: number; toSbc: number; otherPayloads: number; packets: number; leaks: number };
  coreAddresses: string[];
  coreHostNames: string[];
  coreNets: string[];
  leaks: Leak[];
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

type Finder = (text: string) => string[];

/** One function that returns every core address or name in a piece of text (distinct, in order found). */
export function coreFinder(o: Pick<AuditOptions, 'coreAddresses' | 'coreHostNames' | 'coreNets'>): Finder {
  const patterns: RegExp[] = [];
  for (const a of o.coreAddresses) {
    // 10.20.0.2 must not match inside 10.20.0.21, nor 0.20.0.21 inside 10.20.0.21.
    patterns.push(a.includes(':') ? new RegExp(`(?<![0-9a-f:])${escape(a)}(?![0-9a-f:])`, 'gi') : new RegExp(`(?<![0-9.])${escape(a)}(?![0-9]|\\.[0-9])`, 'g'));
  }
  for (const n of o.coreHostNames) if (n.trim()) patterns.push(new RegExp(`(?<![a-z0-9-])${escape(n.trim())}(?![a-z0-9-])`, 'gi'));
  const nets = o.coreNets ?? [];
  return (text) => {
    const found = new Set<string>();
    for (const p of patterns) for (const m of text.matchAll(p)) found.add(m[0]);
    if (nets.length) {
      for (const m of text.matchAll(/(?<![0-9.])(\d{1,3}(?:\.\d{1,3}){3})(?![0-9]|\.[0-9])/g)) {
        if (inAnyNet(m[1]!, nets)) found.add(m[1]!);
      }
    }
    return [...found];
  };
}

const hostPort = (ip: string, port?: number): string => (port === undefined ? ip : `${ip.includes(':') ? `[${ip}]` : ip}:${port}`);

function directionOf(src: string, dst: string, sbc: Set<string>): LeakDirection {
  if (sbc.has(src)) return 'from-sbc';
  if (sbc.has(dst)) return 'to-sbc';
  return 'other';
}

function looksLikeSdp(body: string, contentType: string | undefined): boolean {
  if (contentType) return /application\/sdp/i.test(contentType);
  return /^v=0\r?$/m.test(body);
}

function isRtcp(p: Buffer): boolean {
  const b1 = p[1] ?? 0;
  return p.length >= 8 && (p[0]! >> 6) === 2 && b1 >= 200 && b1 <= 207;
}

/** Audits the SIP messages (and, if given, the packets and payloads) of a public-side capture. */
export function auditPublicCapture(packets: CapturedSip[], o: AuditOptions): AuditReport {
  const find = coreFinder(o);
  const sbc = new Set(o.sbcAddresses ?? []);
  const leaks: Leak[] = [];
  let fromSbc = 0;
  let toSbc = 0;

  for (const p of packets) {
    const direction = directionOf(p.src, p.dst, sbc);
    if (direction === 'from-sbc') fromSbc++;
    if (direction === 'to-sbc') toSbc++;
    const base = { frame: p.frame, time: p.time, direction, from: hostPort(p.src, p.srcPort), to: hostPort(p.dst, p.dstPort), message: describeSip(p.text) };
    const report = (where: string, value: string): void => {
      for (const found of find(value)) leaks.push({ ...base, where, value, found });
    };
    const m = splitSip(p.text);
    report(m.startLine.startsWith('SIP/2.0') ? 'status line' : 'request line', m.startLine);
    for (const h of m.headers) report(h.name, h.value);
    for (const line of m.junk) report('malformed line', line);
    if (!m.body) continue;
    const contentType = m.headers.find((h) => h.canonical === 'content-type')?.value;
    if (looksLikeSdp(m.body, contentType)) {
      for (const line of m.body.split(/\r?\n/)) if (line) report(/^[a-z]=/.test(line) ? `SDP ${line.slice(0, 2)}` : 'SDP', line);
    } else {
      report('body', m.body);
    }
  }

  let otherPayloads = 0;
  for (const p of o.payloads ?? []) {
    if (p.transport !== 'udp') continue;
    const text = p.payload.toString('latin1');
    if (isSipStart(text)) continue;
    otherPayloads++;
    const kind = isRtcp(p.payload) ? 'RTCP' : 'UDP payload';
    for (const found of find(text)) {
      // Only printable context: a binary payload printed whole would be noise.
      const at = text.indexOf(found);
      const value = text.slice(Math.max(0, at - 24), at + found.length + 24).replace(/[^\x20-\x7e]/g, '.');
      leaks.push({
        frame: p.frame, time: p.time, direction: directionOf(p.src, p.dst, sbc), from: hostPort(p.src, p.srcPort), to: hostPort(p.dst, p.dstPort),
        message: kind, where: kind === 'RTCP' ? 'RTCP packet (e.g. SDES CNAME)' : 'UDP payload', value, found,
      });
    }
  }

  for (const f of o.flows ?? []) {
    for (const [where, address] of [['IP source', f.src], ['IP destination', f.dst]] as const) {
      if (!address) continue;
      for (const found of find(address)) {
        leaks.push({
          frame: f.frame, time: f.time, direction: directionOf(f.src, f.dst, sbc), from: hostPort(f.src, f.srcPort), to: hostPort(f.dst, f.dstPort),
          message: `${f.proto} packet`, where, value: address, found,
        });
      }
    }
  }

  leaks.sort((a, b) => a.frame - b.frame);
  return {
    summary: { sipMessages: packets.length, fromSbc, toSbc, otherPayloads, packets: o.flows?.length ?? 0, leaks: leaks.length },
    coreAddresses: o.coreAddresses,
    coreHostNames: o.coreHostNames,
    coreNets: o.coreNets ?? [],
    leaks,
  };
}

/** One line per leak: where it was seen and what it carried. */
export function formatLeak(l: Leak): string {
  const when = Number.isFinite(l.time) && l.time > 0 ? new Date(l.time * 1000).toISOString() : '';
  return `frame ${l.frame} ${when} ${l.from} -> ${l.to} (${l.direction}) ${l.message}: ${l.where}: ${l.value}  [${l.found}]`;
}

export function formatAudit(r: AuditReport, maxLeaks = Infinity): string {
  const s = r.summary;
  const head =
    `topology-hiding audit: ${s.sipMessages} SIP messages (${s.fromSbc} from the SBC, ${s.toSbc} to it), ` +
    `${s.otherPayloads} other datagrams, ${s.packets} packets; ${s.leaks} leak${s.leaks === 1 ? '' : 's'} of ` +
    `[${[...r.coreAddresses, ...r.coreHostNames, ...r.coreNets].join(', ')}]`;
  const shown = r.leaks.slice(0, maxLeaks).map((l) => `  ${formatLeak(l)}`);
  if (r.leaks.length > shown.length) shown.push(`  ... and ${r.leaks.length - shown.length} more`);
  return [head, ...shown].join('\n');
}

/** Writes `<name>.json` and `<name>.txt` into `dir` (evidence); returns both paths. */
export function writeAuditReport(dir: string, r: AuditReport, name = 'topology-audit'): { json: string; text: string } {
  const json = join(dir, `${name}.json`);
  const text = join(dir, `${name}.txt`);
  writeFileSync(json, JSON.stringify(r, null, 2));
  writeFileSync(text, `${formatAudit(r)}\n`);
  return { json, text };
}
