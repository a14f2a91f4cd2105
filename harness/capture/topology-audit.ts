/**
 * GEN-03: nothing a public party can see carries a core address or a core host name. The audit scans
 * every line of every SIP message the public side received (start line, every header whatever its name,
 * every SDP line, any other body), and optionally the payload of every other datagram it received (RTCP
 * SDES items are a classic leak) and the source address of every packet, and lists each finding with
 * where it was.
 *
 * What public hosts sent is not audited: it carries what they wrote (a GEN-02 probe addresses a core
 * host on purpose). For the same reason a core address is not held against a packet sent to a public
 * host that had itself sent packets to that address earlier in the capture (the SBC host refusing a
 * probe of its core address answers from it); such finds are counted as `exempt`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inAnyNet } from './ipv4';
import type { CapturedPayload, CapturedSip, Flow } from './pcap-read';
import { describeSip, isSipStart, splitSip } from './sip-text';

export interface AuditOptions {
  /** Every core address (servers, DNS, database, the SBC's own core address). */
  coreAddresses: string[];
  /** Core host names; a name also matches as the suffix of a longer name (pbx1.core.example matches core.example). */
  coreHostNames: string[];
  /** Core networks as CIDR (e.g. 10.20.0.0/24): any IPv4 literal inside them is a leak, listed or not. */
  coreNets?: string[];
  /**
   * The SBC's public address(es). When given, only what the public side received is audited: packets
   * from these addresses, or from a core address. Absent: every message is audited.
   */
  sbcAddresses?: string[];
  /** Every packet of the capture: a core source address is a leak too, and the flows tell which public host addressed which core address. */
  flows?: Flow[];
  /** Every UDP payload of the capture: core addresses in non-SIP datagrams (RTCP, STUN, ...) are leaks too. */
  payloads?: CapturedPayload[];
}

/** 'from-sbc': sent by the SBC's public address; 'from-core': sent from a core address into the public zone. */
export type LeakDirection = 'from-sbc' | 'from-core' | 'other';

export interface Leak {
  frame: number;
  time: number;
  direction: LeakDirection;
  /** ip:port of the sender and receiver. */
  from: string;
  to: string;
  /** The message ("200 OK (1 INVITE)", "BYE sip:…") or packet kind ("RTCP", "udp packet"). */
  message: string;
  /** Where in it: 'request line', 'status line', a header name as written ('Via', 'v'), 'SDP c=', 'body', 'IP source', ... */
  where: string;
  /** The whole header value or line, so the reader sees the context. */
  value: string;
  /** The core address or host name found. */
  found: string;
}

export interface AuditReport {
  summary: {
    /** SIP messages audited (received by the public side), and how many of them the SBC sent. */
    sipMessages: number;
    fromSbc: number;
    /** SIP messages public hosts sent, not audited. */
    notAudited: number;
    otherPayloads: number;
    packets: number;
    /** Finds of a core address in packets to a public host that had addressed it itself. */
    exempt: number;
    leaks: number;
  };
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

function looksLikeSdp(body: string, contentType: string | undefined): boolean {
  if (contentType) return /application\/sdp/i.test(contentType);
  return /^v=0\r?$/m.test(body);
}

function isRtcp(p: Buffer): boolean {
  const b1 = p[1] ?? 0;
  return p.length >= 8 && (p[0]! >> 6) === 2 && b1 >= 200 && b1 <= 207;
}

interface Packet {
  frame: number;
  time: number;
  src: string;
  dst: string;
  srcPort?: number;
  dstPort?: number;
}

/** Audits what the public side received, as seen in its capture (see the module comment for the scope). */
export function auditPublicCapture(packets: CapturedSip[], o: AuditOptions): AuditReport {
  const find = coreFinder(o);
  const sbc = new Set(o.sbcAddresses ?? []);
  const flows = o.flows ?? [];
  const directionOf = (src: string): LeakDirection => (sbc.has(src) ? 'from-sbc' : find(src).length ? 'from-core' : 'other');
  const audited = (src: string): boolean => sbc.size === 0 || directionOf(src) !== 'other';
  // Which core address each public host sent to, first at which frame.
  const addressed = new Map<string, number>();
  for (const f of flows) {
    if (!f.src || !f.dst || directionOf(f.src) !== 'other') continue;
    for (const found of find(f.dst)) {
      const key = `${f.src}>${found}`;
      if (!addressed.has(key)) addressed.set(key, f.frame);
    }
  }
  const leaks: Leak[] = [];
  let exempt = 0;
  const add = (p: Packet, message: string, where: string, value: string, found: string): void => {
    const first = addressed.get(`${p.dst}>${found}`);
    if (first !== undefined && first < p.frame) {
      exempt++;
      return;
    }
    leaks.push({ frame: p.frame, time: p.time, direction: directionOf(p.src), from: hostPort(p.src, p.srcPort), to: hostPort(p.dst, p.dstPort), message, where, value, found });
  };

  let sipMessages = 0;
  let fromSbc = 0;
  let notAudited = 0;
  for (const p of packets) {
    if (!audited(p.src)) {
      notAudited++;
      continue;
    }
    sipMessages++;
    if (sbc.has(p.src)) fromSbc++;
    const message = describeSip(p.text);
    const report = (where: string, value: string): void => {
      for (const found of find(value)) add(p, message, where, value, found);
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
    if (p.transport !== 'udp' || !audited(p.src)) continue;
    const text = p.payload.toString('latin1');
    if (isSipStart(text)) continue;
    otherPayloads++;
    const rtcp = isRtcp(p.payload);
    for (const found of find(text)) {
      // Only printable context: a binary payload printed whole would be noise.
      const at = text.indexOf(found);
      const value = text.slice(Math.max(0, at - 24), at + found.length + 24).replace(/[^\x20-\x7e]/g, '.');
      add(p, rtcp ? 'RTCP' : 'UDP datagram', rtcp ? 'RTCP packet (e.g. SDES CNAME)' : 'UDP payload', value, found);
    }
  }

  // A packet sent to a public host from a core address shows that address, whatever it carries.
  for (const f of flows) {
    if (f.src) for (const found of find(f.src)) add(f, `${f.proto} packet`, 'IP source', f.src, found);
  }

  leaks.sort((a, b) => a.frame - b.frame);
  return {
    summary: { sipMessages, fromSbc, notAudited, otherPayloads, packets: flows.length, exempt, leaks: leaks.length },
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
    `topology-hiding audit: ${s.sipMessages} SIP messages received on the public side (${s.fromSbc} from the SBC; ` +
    `${s.notAudited} sent by public hosts, not audited), ${s.otherPayloads} other datagrams, ${s.packets} packets` +
    `${s.exempt ? `, ${s.exempt} exempt (answers to a public host that addressed that core address itself)` : ''}; ` +
    `${s.leaks} leak${s.leaks === 1 ? '' : 's'} of ` +
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
