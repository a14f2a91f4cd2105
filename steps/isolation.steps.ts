/**
 * Isolation of the core (GEN-02) and TCP refused on the public SIP port (GEN-08): probes from a public
 * host, judged by what they got and by the core zone's capture (which runs for the whole run,
 * capture.hooks.ts).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Given, Then, When } from '@cucumber/cucumber';
import { readCapture } from '../harness/capture/pcap-read';
import { auditCoreCapture, formatCoreFinding, probeUdp, type CoreZoneAudit } from '../harness/capture/zone-isolation';
import { probeTcp, type TcpProbeResult } from '../harness/sip/probe-tcp';
import { run } from '../harness/util/process';
import { check } from './assertions';
import { coreScope, onScenarioEnd, runCaptures, writeCoreAudit } from './capture.hooks';
import type { IsolationProbe } from './support/capture';
import type { SbcWorld } from './world';

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
  this.capture.isolationProbes = results;
  writeFileSync(join(this.evidenceDir, 'isolation-probes.json'), JSON.stringify({ from: localIp, timeoutMs: PROBE_TIMEOUT_MS, probes: results }, null, 2));
  this.notes.push(...results.map(describeProbe));
});

Then('none of them is answered or accepted', function (this: SbcWorld) {
  const probes = this.capture.isolationProbes;
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
  this.capture.sipPortProbe = r;
  writeFileSync(join(this.evidenceDir, 'tcp-probe.json'), JSON.stringify({ target: `${this.sbcPublic}:${port}`, ...r }, null, 2));
  this.notes.push(`TCP ${this.sbcPublic}:${port}: ${r.outcome}${r.errorCode ? ` (${r.errorCode})` : ''}, connected ${r.connected}, ${r.elapsedMs} ms`);
});

Then('the connection is refused or closed without any SIP answer', function (this: SbcWorld) {
  const r = this.capture.sipPortProbe;
  check(r, () => 'no TCP probe was made in this scenario');
  const target = `${this.sbcPublic}:${this.ctx.profile.sbc.public.udp}`;
  check(r.received === '', () => `GEN-08: the SBC answered over TCP on ${target}:\n${r.received.slice(0, 600)}`);
  // A handshake that never completes (SYN dropped) refuses too; an accepted connection left open does not.
  check(r.outcome === 'refused' || r.outcome === 'closed-without-answer' || (r.outcome === 'timeout' && !r.connected), () =>
    `GEN-08: TCP to ${target} was accepted and kept open for ${r.elapsedMs} ms without being closed (outcome ${r.outcome})`);
});
