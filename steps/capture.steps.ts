/**
 * Steps that judge by packet captures: isolation of the core (GEN-02), TCP refused on the SIP port
 * (GEN-08) and topology hiding (GEN-03). The captures run for the whole run (capture.hooks.ts).
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Given, Then, When } from '@cucumber/cucumber';
import { readCapture, type CapturedSip } from '../harness/capture/pcap-read';
import { splitSip } from '../harness/capture/sip-text';
import { auditPublicCapture, formatAudit, writeAuditReport, type AuditReport } from '../harness/capture/topology-audit';
import { auditCoreCapture, formatCoreFinding, probeUdp, type CoreZoneAudit } from '../harness/capture/zone-isolation';
import { probeTcp, type TcpProbeResult } from '../harness/sip/probe-tcp';
import { run } from '../harness/util/process';
import { check, describeRun } from './assertions';
import { auditScope, coreScope, onScenarioEnd, runCaptures, tlsKeylogFile, tlsNote, writeCoreAudit } from './capture.hooks';
import type { SbcWorld } from './world';

interface IsolationProbe {
  proto: 'udp' | 'tcp';
  target: string;
  outcome: string;
  /** A UDP answer came back, or the TCP handshake completed: a flow was opened. */
  opened: boolean;
  received: string;
  errorCode?: string;
}

const isolationProbes = new WeakMap<SbcWorld, IsolationProbe[]>();
const sipPortProbes = new WeakMap<SbcWorld, TcpProbeResult>();

const PROBE_TIMEOUT_MS = 1500;

function describeProbe(p: IsolationProbe): string {
  const detail = p.errorCode ? ` (${p.errorCode})` : '';
  const got = p.received ? `; received: ${p.received.split(/\r?\n/)[0]}` : '';
  return `${p.proto.toUpperCase()} ${p.target}: ${p.outcome}${detail}${got}`;
}

// ---- GEN-02: isolation of the core -------------------------------------------------------------

Given('a public host routes the core network through the SBC\'s public address', async function (this: SbcWorld) {
  // A host on the SBC's public segment can do this; without it the probes would only prove that the
  // public zone has no route, not that the SBC host forwards nothing.
  const { namespaces, addresses } = this.ctx.state;
  const route = [addresses.coreNet, 'via', this.sbcPublic];
  await run('ip', ['route', 'replace', ...route], { netns: namespaces.pub });
  onScenarioEnd(this, async () => {
    await run('ip', ['route', 'del', ...route], { netns: namespaces.pub, check: false });
  });
  this.notes.push(`public zone: ip route ${route.join(' ')}`);
});

/**
 * A handshake completed with a core server proves the SBC host forwarded it. The SBC's own core
 * address is a socket of the SBC host: as for TCP on its public port (GEN-08), a connection it closes
 * without a byte back carries nothing; an answer, or a connection it keeps open, is a flow.
 */
function tcpFlowOpened(r: TcpProbeResult, sbcOwnAddress: boolean): boolean {
  if (r.received !== '') return true;
  if (!r.connected) return false;
  return !sbcOwnAddress || r.outcome !== 'closed-without-answer';
}

When('it sends a UDP datagram and opens a TCP connection to every core address and service port', async function (this: SbcWorld) {
  const a = this.ctx.state.addresses;
  const sbcCore = this.ctx.profile.sbc.core;
  const targets: [string, number][] = [
    ...a.coreServers.map((ip): [string, number] => [ip, 5060]),
    [a.enumDns, 53],
    [a.postgres, 5432],
    [sbcCore.address, sbcCore.udp],
    ...(sbcCore.tls ? [[sbcCore.address, sbcCore.tls] as [string, number]] : []),
    [sbcCore.address, 5432],
  ];
  const localIp = a.attacker;
  const results = await Promise.all(
    targets.flatMap(([ip, port]) => [
      probeUdp(ip, port, PROBE_TIMEOUT_MS, { localIp }).then((r): IsolationProbe => ({
        proto: 'udp', target: r.target, outcome: r.outcome, opened: r.outcome === 'answered', received: r.received, ...(r.errorCode ? { errorCode: r.errorCode } : {}),
      })),
      probeTcp(ip, port, PROBE_TIMEOUT_MS, { localIp }).then((r): IsolationProbe => ({
        proto: 'tcp', target: `${ip}:${port}`, outcome: r.outcome, opened: tcpFlowOpened(r, ip === sbcCore.address), received: r.received, ...(r.errorCode ? { errorCode: r.errorCode } : {}),
      })),
    ]),
  );
  isolationProbes.set(this, results);
  writeFileSync(join(this.evidenceDir, 'isolation-probes.json'), JSON.stringify({ from: localIp, timeoutMs: PROBE_TIMEOUT_MS, probes: results }, null, 2));
  this.notes.push(...results.map(describeProbe));
});

Then('none of them is answered or accepted', function (this: SbcWorld) {
  const probes = isolationProbes.get(this);
  check(probes, () => 'no isolation probes were sent in this scenario');
  // Probes that never left the public host would prove nothing about the SBC host.
  const unsent = probes.filter((p) => p.errorCode === 'ENETUNREACH');
  check(unsent.length === 0, () => `GEN-02: ${unsent.length} probe(s) found no route out of the public host (${unsent.map((p) => p.target).join(', ')}): the route through the SBC's public address was not in place`);
  const opened = probes.filter((p) => p.opened);
  check(opened.length === 0, () =>
    `GEN-02: a public host (${this.ctx.state.addresses.attacker}) opened ${opened.length} flow(s) to the core:\n` +
    `${opened.map((p) => `  ${describeProbe(p)}`).join('\n')}\nall probes:\n${probes.map((p) => `  ${describeProbe(p)}`).join('\n')}`,
  );
});

async function coreZoneAudit(world: SbcWorld): Promise<{ audit: CoreZoneAudit; pcap: string }> {
  const { core } = runCaptures();
  await core.sync();
  const audit = auditCoreCapture((await readCapture(core.file)).flows, coreScope(world.ctx.state, world.ctx.profile.sbc.core.address));
  writeCoreAudit(world.evidenceDir, audit);
  return { audit, pcap: core.file };
}

const listFindings = (audit: CoreZoneAudit, reason?: string): string =>
  audit.findings.filter((f) => !reason || f.reason === reason).slice(0, 30).map((f) => `  ${formatCoreFinding(f)}`).join('\n');

Then('no packet from a public address reached the core zone', async function (this: SbcWorld) {
  if (this.ctx.state.provider === 'compose') return this.incomplete(COMPOSE_CORE_VIEW);
  const { audit, pcap } = await coreZoneAudit(this);
  const fromPublic = audit.findings.filter((f) => f.reason === 'public-source');
  check(fromPublic.length === 0, () =>
    `GEN-02: ${fromPublic.length} packet(s) with a public source address were captured in the core zone:\n${listFindings(audit, 'public-source')}\n  capture: ${pcap}`);
  return undefined;
});

Then('every packet the core zone received from outside came from the SBC\'s core address', async function (this: SbcWorld) {
  if (this.ctx.state.provider === 'compose') return this.incomplete(COMPOSE_CORE_VIEW);
  const { audit, pcap } = await coreZoneAudit(this);
  const sbcCore = this.ctx.profile.sbc.core.address;
  check(audit.fromSbc > 0, () => `GEN-02: no packet from the SBC's core address ${sbcCore} was captured in the core zone, so there is nothing to judge (capture: ${pcap})`);
  check(audit.findings.length === 0, () =>
    `GEN-02: ${audit.findings.length} packet(s) reached the core zone from somewhere other than the core servers or the SBC's core address ${sbcCore}:\n${listFindings(audit)}\n  capture: ${pcap}`);
  return undefined;
});

/** Why GEN-02's core-zone checks cannot conclude in the compose topology. */
const COMPOSE_CORE_VIEW = 'GEN-02: in the compose topology the core zone is captured on the SBC container\'s core interface only; what else reaches the core containers (through the engine\'s bridges, forwarding and firewall on its host) is Docker\'s business and is not captured, so isolation is not proven there (run the netns topology)';

// ---- GEN-08: no SIP over TCP on the public SIP port ---------------------------------------------

When('a public host opens a TCP connection to the SBC\'s public SIP port and sends OPTIONS', async function (this: SbcWorld) {
  const port = this.ctx.profile.sbc.public.udp;
  const r = await probeTcp(this.sbcPublic, port, 3000, { localIp: this.publicEndpoint().ip });
  sipPortProbes.set(this, r);
  writeFileSync(join(this.evidenceDir, 'tcp-probe.json'), JSON.stringify({ target: `${this.sbcPublic}:${port}`, ...r }, null, 2));
  this.notes.push(`TCP ${this.sbcPublic}:${port}: ${r.outcome}${r.errorCode ? ` (${r.errorCode})` : ''}, connected ${r.connected}, ${r.elapsedMs} ms`);
});

Then('the connection is refused or closed without any SIP answer', function (this: SbcWorld) {
  const r = sipPortProbes.get(this);
  check(r, () => 'no TCP probe was made in this scenario');
  const target = `${this.sbcPublic}:${this.ctx.profile.sbc.public.udp}`;
  check(r.received === '', () => `GEN-08: the SBC answered over TCP on ${target}:\n${r.received.slice(0, 600)}`);
  // A handshake that never completes (SYN dropped) refuses too; an accepted connection left open does not.
  check(r.outcome === 'refused' || r.outcome === 'closed-without-answer' || (r.outcome === 'timeout' && !r.connected), () =>
    `GEN-08: TCP to ${target} was accepted and kept open for ${r.elapsedMs} ms without being closed (outcome ${r.outcome})`);
});

// ---- GEN-03: topology hiding ---------------------------------------------------------------------

Given('the core servers reject calls with 486 Busy Here', async function (this: SbcWorld) {
  await this.coreBehaviour('reject-486');
});

When('a public caller dials a new number over UDP and is rejected', async function (this: SbcWorld) {
  const number = this.newNumber();
  await this.runPublicSipp('caller', 'uac-invite-rejected-busy.xml', { service: number, keys: { from: '+31201110000' } });
});

Then('the public party\'s exchange went as scripted', function (this: SbcWorld) {
  check(this.sipp.size > 0, () => `${this.ids}: no SIPp run in this scenario`);
  for (const r of this.sipp.values()) {
    check(r.outcome === 'all-calls-succeeded', () => `${this.ids}: the exchange did not go as scripted, so the path it should show on the public side was not exercised:\n${describeRun(r)}`);
  }
});

function callIdOf(text: string): string | undefined {
  return splitSip(text).headers.find((h) => h.canonical === 'call-id')?.value;
}

/** The ip:port a SIPp run sent from, read from the Via of its first request. */
function endpointsOf(world: SbcWorld): Set<string> {
  const out = new Set<string>();
  for (const r of world.sipp.values()) {
    const first = r.messages.find((m) => m.direction === 'sent' && m.method);
    const sentBy = /SIP\/2\.0\/\w+\s+([^;\s]+)/.exec(first?.headers('via')[0] ?? '')?.[1];
    if (sentBy) out.add(sentBy);
  }
  return out;
}

function failOnLeaks(world: SbcWorld, report: AuditReport, what: string, pcap: string, tls: string): void {
  const files = writeAuditReport(world.evidenceDir, report);
  if (tls) appendFileSync(files.text, `${tls}\n`);
  check(report.leaks.length === 0, () => `GEN-03: ${what} carries core addresses or host names:\n${formatAudit(report, 30)}\n  audit: ${files.text}\n  capture: ${pcap}${tls ? `\n  ${tls}` : ''}`);
}

Then('no message of this scenario\'s exchanges seen on the public side carries a core address or core host name', async function (this: SbcWorld) {
  const { pub } = runCaptures();
  await pub.sync();
  const callIds = new Set([...this.sipp.values()].flatMap((r) => r.messages.map((m) => m.header('call-id')).filter((c): c is string => !!c)));
  for (const c of this.exchanges.callIds) callIds.add(c);
  const endpoints = endpointsOf(this);
  for (const e of this.exchanges.endpoints) endpoints.add(e);
  const mine = (m: CapturedSip): boolean =>
    callIds.has(callIdOf(m.text) ?? '') || endpoints.has(`${m.src}:${m.srcPort}`) || endpoints.has(`${m.dst}:${m.dstPort}`);
  const contents = await readCapture(pub.file, { tlsKeylog: tlsKeylogFile() });
  const report = auditPublicCapture(contents.sip.filter(mine), auditScope(this.ctx.state, this.ctx.profile.coreHostNames, this.sbcPublic));
  check(report.summary.fromSbc > 0, () =>
    `GEN-03: the public capture holds no message the SBC sent in this scenario's exchanges (Call-IDs ${[...callIds].join(', ') || 'none'}; endpoints ${[...endpoints].join(', ') || 'none'}), so there is nothing to audit (capture: ${pub.file})`);
  const tls = tlsNote(contents.tls);
  failOnLeaks(this, report, `what the SBC sent to the public side in this scenario (${report.summary.fromSbc} messages)`, pub.file, tls);
  this.notes.push(formatAudit(report, 0));
});

Then('nothing the public side received during the whole run so far carries a core address or core host name', async function (this: SbcWorld) {
  const { pub } = runCaptures();
  await pub.sync();
  const contents = await readCapture(pub.file, { tlsKeylog: tlsKeylogFile() });
  const report = auditPublicCapture(contents.sip, {
    ...auditScope(this.ctx.state, this.ctx.profile.coreHostNames, this.sbcPublic), flows: contents.flows, payloads: contents.payloads,
  });
  check(report.summary.fromSbc > 0, () => `GEN-03: the public capture holds no SIP message from the SBC at all, so there is nothing to audit (capture: ${pub.file})`);
  const tls = tlsNote(contents.tls);
  failOnLeaks(this, report, `what the public side received during the run (${report.summary.sipMessages} SIP messages, ${report.summary.otherPayloads} other datagrams, ${report.summary.packets} packets)`, pub.file, tls);
  this.notes.push(formatAudit(report, 0), ...(tls ? [tls] : []));
});
