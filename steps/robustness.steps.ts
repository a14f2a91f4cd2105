/**
 * Robustness (@ROBUST), issue 6: a fixed corpus of malformed and hostile messages over UDP and TLS,
 * then a normal call, then proof that the SBC is the same process as before (no crash, no restart).
 * The generated corpus of issue 11 is robustness-generated.steps.ts.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Given, Then, When } from '@cucumber/cucumber';
import { sendTls, sendUdp } from '../harness/robustness/malformed-send';
import { malformedCorpus } from '../harness/sip/malformed-corpus';
import { netnsExec } from '../harness/sut/probe';
import { readHealth } from '../harness/sut/provision';
import { check, describeRun } from './assertions';
import { sutControl } from './sbc-restart.steps';
import { alive } from './support/sbc-process';
import type { SbcWorld } from './world';


/** Checks the SBC's health and notes which process serves, to tell a crash or a restart afterwards. */
Given('the SBC is up and healthy', async function (this: SbcWorld) {
  const health = await readHealth(this.ctx.profile, this.ctx.state.vars, netnsExec(this.ctx.state.namespaces));
  // The pid the topology started goes stale when another scenario restarts the SBC (the GEN-05 crash
  // test): the health URL's pid, when there is one, is the current process; otherwise the run's one
  // SUT controller knows the pid of the process it started last.
  const startedPid = health?.pid === undefined ? (sutControl(this)?.currentPid ?? this.ctx.state.sbc.pid) : undefined;
  if (health) check(health.ok, () => `the SBC's health URL does not answer 2xx before the test (${health.status}: ${health.body})`);
  if (health?.pid === undefined && startedPid === undefined) {
    this.notes.push('neither a health URL with a pid nor a pid from the topology: the process cannot be compared');
    return 'skipped';
  }
  if (startedPid !== undefined) check(alive(startedPid), () => `the SBC process ${startedPid} the topology started is not running before the test`);
  this.robustness.process = { ...(health?.pid === undefined ? {} : { healthPid: health.pid }), ...(startedPid === undefined ? {} : { startedPid }) };
  this.notes.push(`SBC process before: health pid ${health?.pid ?? '-'}, started pid ${startedPid ?? '-'}`);
  return undefined;
});

When('a public host sends the SBC a corpus of malformed messages over UDP and TLS', async function (this: SbcWorld) {
  const local = this.publicEndpoint();
  const pub = this.ctx.profile.sbc.public;
  const token = `fuzz${this.newNumber('the corpus').slice(1)}`;
  const corpus = malformedCorpus({ target: { ip: pub.address, port: pub.udp }, local, token });
  const udpAnswers = await sendUdp(corpus.filter((c) => c.transport === 'udp'), local, { ip: pub.address, port: pub.udp });
  const tlsOutcomes = new Map<string, string>();
  for (const c of corpus.filter((x) => x.transport === 'tls')) {
    tlsOutcomes.set(c.name, pub.tls === undefined ? 'not sent: the SBC has no TLS port' : await sendTls(c, local.ip, { ip: pub.address, port: pub.tls }));
  }
  const report = corpus.map((c) => ({
    case: c.name,
    transport: c.transport,
    bytes: c.data.length,
    outcome: c.transport === 'udp' ? (udpAnswers.get(c.name)?.join(' | ') ?? 'no answer') : tlsOutcomes.get(c.name),
  }));
  writeFileSync(join(this.evidenceDir, 'malformed-corpus.json'), JSON.stringify({ from: local, report }, null, 2));
  this.notes.push(...report.map((r) => `${r.transport} ${r.case} (${r.bytes} B): ${r.outcome}`));
});

Then('the caller\'s call was answered and ended normally', function (this: SbcWorld) {
  const r = this.result('caller');
  check(r.outcome === 'all-calls-succeeded', () => `robustness: after the malformed corpus a normal call no longer completes:\n${describeRun(r)}`);
});

Then('the SBC is still the same process, alive and healthy', async function (this: SbcWorld) {
  const before = this.robustness.process;
  check(before, () => 'the SBC process was not noted before the corpus');
  if (before.startedPid !== undefined) check(alive(before.startedPid), () => `robustness: the SBC process ${before.startedPid} is gone after the malformed corpus (crashed)`);
  if (before.healthPid !== undefined) {
    const health = await readHealth(this.ctx.profile, this.ctx.state.vars, netnsExec(this.ctx.state.namespaces));
    check(health?.ok, () => `robustness: the SBC's health URL no longer answers 2xx after the corpus (${health?.status}: ${health?.body})`);
    check(health.pid === before.healthPid, () => `robustness: the SBC restarted during the corpus (pid ${before.healthPid} before, ${health.pid} after)`);
  }
});
