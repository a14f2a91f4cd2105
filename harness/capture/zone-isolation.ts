/**
 * GEN-02: nothing from the public side reaches the core except through the SBC. Two kinds of evidence:
 * active probes from a public host (a UDP datagram or a TCP connection to each core service must get
 * nothing back), and the core zone's capture (every packet in it that does not come from a core server
 * must come from the SBC's core address; no public address may appear as a source at all).
 */
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { inAnyNet } from './ipv4';
import type { Flow } from './pcap-read';

export type UdpProbeOutcome = 'answered' | 'no-answer' | 'refused' | 'unreachable';

export interface UdpProbeResult {
  target: string;
  outcome: UdpProbeOutcome;
  /** What came back, printable characters only (evidence). */
  received: string;
  errorCode?: string;
  elapsedMs: number;
}

/** A request each service would answer if it were reachable, so silence means unreachable, not uninterested. */
export function probePayload(port: number, target: string, localIp = '0.0.0.0'): Buffer {
  const id = randomBytes(6).toString('hex');
  if (port === 53) {
    // DNS query: id, RD, one question "e164.arpa. SOA IN".
    const name = Buffer.concat(['e164', 'arpa'].map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])));
    return Buffer.concat([Buffer.from([0x4a, 0x11, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]), name, Buffer.from([0, 0, 6, 0, 1])]);
  }
  if (port === 5432) return Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]); // PostgreSQL SSLRequest
  return Buffer.from(
    [
      `OPTIONS sip:${target}:${port} SIP/2.0`,
      `Via: SIP/2.0/UDP ${localIp};branch=z9hG4bK${id};rport`,
      'Max-Forwards: 70',
      `From: <sip:probe@${localIp}>;tag=${id}`,
      `To: <sip:${target}:${port}>`,
      `Call-ID: isolation-${id}@${localIp}`,
      'CSeq: 1 OPTIONS',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );
}

/**
 * Sends one datagram from `localIp` to `ip:port` on a connected socket (so an ICMP port unreachable
 * surfaces as ECONNREFUSED) and waits `timeoutMs` for anything back.
 */
export function probeUdp(ip: string, port: number, timeoutMs: number, o: { localIp?: string; payload?: Buffer } = {}): Promise<UdpProbeResult> {
  const started = Date.now();
  const target = `${ip}:${port}`;
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    let settled = false;
    const finish = (outcome: UdpProbeOutcome, received = '', errorCode?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.close();
      const r: UdpProbeResult = { target, outcome, received, elapsedMs: Date.now() - started };
      if (errorCode) r.errorCode = errorCode;
      resolve(r);
    };
    const fromError = (err: NodeJS.ErrnoException): void => {
      const code = err.code ?? err.message;
      finish(code === 'ECONNREFUSED' ? 'refused' : 'unreachable', '', code);
    };
    const timer = setTimeout(() => finish('no-answer'), timeoutMs);
    socket.on('error', fromError);
    socket.on('message', (msg) => finish('answered', msg.toString('latin1').replace(/[^\x20-\x7e\r\n]/g, '.')));
    socket.bind({ address: o.localIp ?? '0.0.0.0', port: 0 }, () => {
      socket.connect(port, ip, (err?: Error) => {
        if (err) return fromError(err);
        socket.send(o.payload ?? probePayload(port, ip, o.localIp), (e) => e && fromError(e));
      });
    });
  });
}

export interface CoreZoneFinding {
  frame: number;
  time: number;
  src: string;
  dst: string;
  proto: string;
  srcPort?: number;
  dstPort?: number;
  reason: 'public-source' | 'not-from-sbc';
}

export interface CoreZoneAudit {
  /** Packets whose source was checked (IPv4, ARP, non-link-local IPv6). */
  checked: number;
  /** Loopback packets (the capture's own markers, local services) and IPv6 link-local control (ND, MLD). */
  ignored: number;
  /** Packets from the SBC's core address. */
  fromSbc: number;
  findings: CoreZoneFinding[];
}

function isLoopback(a: string): boolean {
  return a.startsWith('127.') || a === '::1';
}

function isLinkLocalControl(f: Flow): boolean {
  return f.src.includes(':') && (f.src === '::' || /^fe[89ab][0-9a-f]?:/i.test(f.src));
}

/**
 * Checks the core zone's capture: a packet not sent by a core server must come from the SBC's core
 * address, and no packet may carry a public source address.
 */
export function auditCoreCapture(flows: Flow[], o: { coreServers: string[]; sbcCore: string; publicNets: string[] }): CoreZoneAudit {
  const servers = new Set(o.coreServers);
  const out: CoreZoneAudit = { checked: 0, ignored: 0, fromSbc: 0, findings: [] };
  for (const f of flows) {
    if (!f.src || isLoopback(f.src) || isLoopback(f.dst) || isLinkLocalControl(f)) {
      out.ignored++;
      continue;
    }
    out.checked++;
    if (servers.has(f.src)) continue;
    if (f.src === o.sbcCore) {
      out.fromSbc++;
      continue;
    }
    const finding: CoreZoneFinding = { frame: f.frame, time: f.time, src: f.src, dst: f.dst, proto: f.proto, reason: inAnyNet(f.src, o.publicNets) ? 'public-source' : 'not-from-sbc' };
    if (f.srcPort !== undefined) finding.srcPort = f.srcPort;
    if (f.dstPort !== undefined) finding.dstPort = f.dstPort;
    out.findings.push(finding);
  }
  return out;
}

export function formatCoreFinding(f: CoreZoneFinding): string {
  const ports = f.srcPort !== undefined ? ` ${f.srcPort} -> ${f.dstPort}` : '';
  const why = f.reason === 'public-source' ? 'a public source address in the core zone' : 'not from the SBC\'s core address';
  return `frame ${f.frame} ${new Date(f.time * 1000).toISOString()} ${f.proto} ${f.src} -> ${f.dst}${ports}: ${why}`;
}
