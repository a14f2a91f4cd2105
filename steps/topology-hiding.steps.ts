/**
 * Topology hiding (GEN-03): what the public side saw of each scenario's exchanges, read from the public
 * zone's capture (TLS decrypted with the suite's key log), must carry no core address or host name.
 */
import { appendFileSync } from 'node:fs';
import { Given, Then, When } from '@cucumber/cucumber';
import { readCapture, type CapturedSip } from '../harness/capture/pcap-read';
import { splitSip } from '../harness/capture/sip-text';
import { auditPublicCapture, formatAudit, writeAuditReport, type AuditReport } from '../harness/capture/topology-audit';
import { check, describeRun } from './assertions';
import { auditScope, runCaptures, tlsKeylogFile, tlsNote } from './capture.hooks';
import type { SbcWorld } from './world';
import { parseVia } from '../harness/sip/headers';

Given('the core servers reject calls with 486 Busy Here', async function (this: SbcWorld) {
  await this.coreBehaviour('reject-486');
});

When('a public caller dials a new number over UDP and is rejected', async function (this: SbcWorld) {
  const number = this.newNumber();
  await this.runPublicSipp('caller', 'uac-invite-rejected-busy.xml', { service: number });
});

Then('the public party got every answer it expected', function (this: SbcWorld) {
  check(this.sipp.size > 0, () => `${this.ids}: no SIPp run in this scenario`);
  for (const r of this.sipp.values()) {
    check(r.outcome === 'all-calls-succeeded', () => `${this.ids}: the public party did not get the answers its exchange expects, so the path it should show on the public side was not exercised:\n${describeRun(r)}`);
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
    const via = parseVia(first?.headers('via')[0] ?? '');
    if (via) out.add(via.port === undefined ? via.host : `${via.host}:${via.port}`);
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
