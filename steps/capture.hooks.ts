/**
 * The run's packet captures: the public zone and the core zone, each for the whole run
 * (`<reportDir>/capture/public.pcap`, `core.pcap`), so GEN-02 and GEN-03 can look at everything every
 * feature did. At the end of the run both are audited once more as a whole (evidence beside the pcaps);
 * the public zone's audit is GEN-03's run-wide check for the certificate (harness/report/run-checks.ts).
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AfterAll, BeforeAll } from '@cucumber/cucumber';
import { startCapture, type Capture } from '../harness/capture/capture';
import { readCapture } from '../harness/capture/pcap-read';
import { auditPublicCapture, formatAudit, writeAuditReport, type AuditOptions, type AuditReport } from '../harness/capture/topology-audit';
import { writeRunChecks, type RunCheck } from '../harness/report/run-checks';
import { auditCoreCapture, formatCoreFinding, type CoreZoneAudit } from '../harness/capture/zone-isolation';
import { loadSutProfile } from '../harness/sut/profile';
import { coreAddresses } from '../topology/addresses';
import { readState, type TopologyState } from '../topology/state';
import type { SbcWorld } from './world';

export interface RunCaptures {
  dir: string;
  pub: Capture;
  core: Capture;
}

let captures: RunCaptures | undefined;
let startError: string | undefined;

/** The run's captures; throws with the reason they could not start, so only the steps that need them fail. */
export function runCaptures(): RunCaptures {
  if (captures) return captures;
  throw new Error(`the run's packet captures are not running: ${startError ?? 'BeforeAll did not start them'}`);
}

/**
 * The TLS key log of this process, if node was started with --tls-keylog (command line or NODE_OPTIONS):
 * with it the public capture's SIP over TLS is audited too.
 */
export function tlsKeylogFile(): string | undefined {
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  return flags.find((f) => f.startsWith('--tls-keylog='))?.slice('--tls-keylog='.length) || undefined;
}

/** One line on TLS connections the audit could not read. */
export function tlsNote(tls: { streams: number; decrypted: number }): string {
  if (tls.streams === tls.decrypted) return tls.streams ? `all ${tls.streams} TLS connections decrypted and audited` : '';
  return `${tls.streams - tls.decrypted} of ${tls.streams} TLS connections not audited (${tlsKeylogFile() ? 'not decrypted with the key log' : 'no TLS key log: run cucumber with node --tls-keylog=FILE'})`;
}

/** What the topology-hiding audit looks for, from the topology and the SUT profile. */
export function auditScope(state: TopologyState, coreHostNames: string[], sbcPublic: string): AuditOptions {
  return { coreAddresses: coreAddresses(state.addresses), coreHostNames, coreNets: [state.addresses.coreNet], sbcAddresses: [sbcPublic] };
}

/** The core zone's checks (GEN-02): sources other than the core servers must be the SBC's core address. */
export function coreScope(state: TopologyState, sbcCore: string): { coreServers: string[]; sbcCore: string; publicNets: string[] } {
  const a = state.addresses;
  return { coreServers: [...a.coreServers, a.enumDns, a.postgres], sbcCore, publicNets: [a.publicNet] };
}

export function writeCoreAudit(dir: string, audit: CoreZoneAudit, name = 'core-zone-audit'): string {
  const text = [
    `core-zone audit: ${audit.checked} packets checked (${audit.fromSbc} from the SBC's core address), ${audit.ignored} loopback or IPv6 link-local packets ignored; ${audit.findings.length} findings`,
    ...audit.findings.map((f) => `  ${formatCoreFinding(f)}`),
  ].join('\n');
  writeFileSync(join(dir, `${name}.json`), JSON.stringify(audit, null, 2));
  writeFileSync(join(dir, `${name}.txt`), `${text}\n`);
  return text;
}

BeforeAll({ timeout: 30_000 }, async function () {
  const state = readState();
  const dir = join(state.reportDir, 'capture');
  let pub: Capture | undefined;
  try {
    pub = await startCapture({ netns: state.namespaces.pub, file: join(dir, 'public.pcap') });
    const core = await startCapture({ netns: state.namespaces.core, file: join(dir, 'core.pcap'), ...state.compose?.coreCapture });
    captures = { dir, pub, core };
  } catch (err) {
    await pub?.stop();
    startError = err instanceof Error ? err.message : String(err);
  }
});

const WHOLE_RUN_CHECK = 'Nothing the public side received during the whole run shows anything of the core';

/** GEN-03 over the whole run: fails on any leak; with no message of the SBC there is nothing to judge. */
function wholeRunVerdict(audit: AuditReport, tls: string): Pick<RunCheck, 'outcome' | 'message'> {
  const what = `what the public side received during the run (${audit.summary.sipMessages} SIP messages, ${audit.summary.otherPayloads} other datagrams, ${audit.summary.packets} packets)`;
  if (audit.summary.fromSbc === 0) return { outcome: 'incomplete', message: 'GEN-03: the public capture holds no SIP message from the SBC at all, so there is nothing to audit' };
  if (audit.leaks.length > 0) {
    return { outcome: 'failed', message: `GEN-03: ${what} carries core addresses or host names:\n${formatAudit(audit, 30)}\n  audit: capture/public-topology-audit.txt${tls ? `\n  ${tls}` : ''}` };
  }
  return { outcome: 'passed' };
}

/** Undo actions a scenario registered (a route it added, a core behaviour it switched), even when it failed. */
export function onScenarioEnd(world: SbcWorld, fn: () => Promise<void>): void {
  world.onScenarioEnd(fn);
}

AfterAll({ timeout: 120_000 }, async function () {
  if (!captures) return;
  const { dir, pub, core } = captures;
  captures = undefined;
  // The scenario pcaps and ladders are cut from these files after the run: a marker through each zone
  // proves the last scenario's packets are in them before dumpcap is stopped.
  await Promise.all([pub.sync(), core.sync()].map((p) => p.catch(() => undefined)));
  const [pubSummary, coreSummary] = await Promise.all([pub.stop(), core.stop()]);
  const log = [pubSummary, coreSummary].map((s) => `${s.file}: dumpcap exit ${s.exit}, dropped ${s.dropped ?? '?'}\n${s.log}`).join('\n\n');
  writeFileSync(join(dir, 'dumpcap.log'), `${log}\n`);
  // The whole run's audits: the core zone's for the evidence; the public one is GEN-03's run-wide
  // check (everything the public side received, from every feature, whatever the file order or tags).
  const startedAt = Date.now();
  const check = { id: 'GEN-03', name: WHOLE_RUN_CHECK, startedAt, evidenceDir: 'capture/whole-run' };
  let reportDir: string | undefined;
  try {
    const state = readState();
    reportDir = state.reportDir;
    const profile = loadSutProfile(state.profileFile);
    const pubContents = await readCapture(pub.file, { tlsKeylog: tlsKeylogFile() });
    const audit = auditPublicCapture(pubContents.sip, { ...auditScope(state, profile.coreHostNames, profile.sbc.public.address), flows: pubContents.flows, payloads: pubContents.payloads });
    const note = tlsNote(pubContents.tls);
    for (const at of [dir, join(dir, 'whole-run')]) {
      mkdirSync(at, { recursive: true });
      const files = writeAuditReport(at, audit, 'public-topology-audit');
      if (note) appendFileSync(files.text, `${note}\n`);
    }
    writeRunChecks(reportDir, [{ ...check, ...wholeRunVerdict(audit, note), finishedAt: Date.now() }]);
    writeCoreAudit(dir, auditCoreCapture((await readCapture(core.file)).flows, coreScope(state, profile.sbc.core.address)));
  } catch (err) {
    writeFileSync(join(dir, 'audit-error.txt'), `${err instanceof Error ? err.stack : String(err)}\n`);
    if (reportDir) writeRunChecks(reportDir, [{ ...check, outcome: 'incomplete', message: `the whole run's public capture could not be audited: ${err instanceof Error ? err.message : String(err)}`, finishedAt: Date.now() }]);
  }
});
