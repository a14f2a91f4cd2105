/**
 * Robustness (@ROBUST), issue 11: a generated corpus of thousands of cases (harness/robustness), fired
 * from many public sources, judged by the answers, health probes, the core zone's capture and the
 * CDRs; its figures go to `<reportDir>/robustness/summary.json`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Then, When } from '@cucumber/cucumber';
import { readSip } from '../harness/capture/pcap-read';
import { runRobustness, type RobustnessRun } from '../harness/robustness/run';
import { describeSummary, writeSummary } from '../harness/robustness/summary';
import { netnsExec } from '../harness/sut/probe';
import { readHealth } from '../harness/sut/provision';
import { check } from './assertions';
import { runCaptures } from './capture.hooks';
import { cdrReader } from './cdr.steps';
import { alive } from './support/sbc-process';
import type { SbcWorld } from './world';

/** Cases of the generated corpus: `SBCX_ROBUSTNESS_CASES` (the CLI's --robustness-cases), default 4000. */
const DEFAULT_CASES = 4000;
/** A fixed default seed, so that two runs fire the same corpus; `SBCX_ROBUSTNESS_SEED` changes it. */
const DEFAULT_SEED = 11;

function positiveIntFromEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < min) throw new Error(`${name}: expected an integer >= ${min}, got "${raw}"`);
  return Number(raw);
}

When('public hosts fire the generated robustness corpus at the SBC over UDP and TLS', { timeout: 60 * 60 * 1000 }, async function (this: SbcWorld) {
  const cases = positiveIntFromEnv('SBCX_ROBUSTNESS_CASES', DEFAULT_CASES, 1);
  const seed = positiveIntFromEnv('SBCX_ROBUSTNESS_SEED', DEFAULT_SEED, 0);
  const ratePerS = positiveIntFromEnv('SBCX_ROBUSTNESS_RATE', 150, 1);
  const pub = this.ctx.profile.sbc.public;
  const hosts = this.ctx.state.addresses.publicHosts;
  const prefix = this.newNumber('the corpus');
  const before = this.robustness.process;
  let lastPid = before?.healthPid;
  const { core } = runCaptures();
  const cdr = cdrReader(this);
  if (!cdr) this.notes.push('the SUT profile has no CDR query: completed calls are not checked for CDRs');
  const run = await runRobustness({
    seed,
    cases,
    sbc: { ip: pub.address, port: pub.udp },
    // The last public host answers the probes only, so a probe never waits behind a case.
    sources: hosts.slice(0, -1),
    probeSource: hosts[hosts.length - 1]!,
    port: 7100,
    numberPrefix: prefix,
    token: `rb${prefix.slice(-8)}`,
    ratePerS,
    probeEvery: 250,
    ...(pub.tls === undefined ? {} : { tlsPort: pub.tls }),
    coreServers: this.ctx.state.addresses.coreServers,
    settleMs: 4000,
    processCheck: async () => {
      if (before?.startedPid !== undefined && !alive(before.startedPid)) return { lost: true, detail: `process ${before.startedPid} is gone` };
      if (lastPid === undefined) return { lost: false, detail: 'process alive' };
      const health = await readHealth(this.ctx.profile, this.ctx.state.vars, netnsExec(this.ctx.state.namespaces));
      if (!health?.ok) return { lost: true, detail: `health probe answers ${health?.status ?? 'nothing'}` };
      if (health.pid !== lastPid) {
        const was = lastPid;
        lastPid = health.pid;
        return { lost: true, detail: `pid ${was} replaced by ${health.pid}` };
      }
      return { lost: false, detail: `pid ${health.pid}` };
    },
    coreMessages: async (sinceS) => {
      await core.sync();
      return (await readSip(core.file)).filter((m) => m.time >= sinceS && m.transport === 'udp');
    },
    ...(cdr ? { cdrRows: async () => (await cdr.rows()).map((r) => ({ callId: r.callId, dstNumber: r.dstNumber })) } : {}),
    log: (line) => this.notes.push(line),
  });
  this.robustness.run = run;
  const file = writeSummary(this.ctx.state.reportDir, run.summary, run.outcomes);
  writeFileSync(join(this.evidenceDir, 'robustness-summary.json'), JSON.stringify(run.summary, null, 2));
  this.notes.push(describeSummary(run.summary), `summary: ${file}`);
  process.stdout.write(`\n${describeSummary(run.summary)}\n`);
});

/** The failures of one kind, listed for the failure message (the summary has them all). */
function failuresLike(run: RobustnessRun, pattern: RegExp, max = 15): string {
  const list = run.summary.failures.filter((f) => pattern.test(f.why));
  return list.slice(0, max).map((f) => `  ${f.case}: ${f.why}`).join('\n') + (list.length > max ? `\n  ... ${list.length - max} more` : '');
}

Then('the SBC stayed the same process and answered OPTIONS within 2 s throughout', function (this: SbcWorld) {
  const run = this.robustness.run;
  const s = run.summary;
  check(s.detail.probes.sent > 0, () => 'robustness: no health probe was sent during the corpus');
  check(s.crashes === 0, () => `robustness: ${s.crashes} health probe(s) failed or the SBC process was lost:\n${failuresLike(run, /OPTIONS|process|pid|health/)}`);
});

Then('every case got an answer or a documented drop, and none a 5xx for the caller\'s fault', function (this: SbcWorld) {
  const run = this.robustness.run;
  const s = run.summary;
  check(s.detail.unanswered === 0, () => `robustness: ${s.detail.unanswered} case(s) got no answer and are no documented drop:\n${failuresLike(run, /no answer at all|no final answer/)}`);
  check(s.fiveXxForCallerFault === 0, () => `robustness: ${s.fiveXxForCallerFault} case(s) answered 5xx for the caller's fault:\n${failuresLike(run, /for the caller's fault/)}`);
});

Then('nothing a core server received breaks the core\'s limits', function (this: SbcWorld) {
  const run = this.robustness.run;
  const s = run.summary;
  check(s.detail.coreMessagesChecked > 0, () => 'robustness: no message of the corpus reached a core server, so nothing was audited (is the core capture running?)');
  check(s.coreMessagesOverLimit === 0, () => `robustness: ${s.coreMessagesOverLimit} message(s) a core server received are over its limits:\n${failuresLike(run, /over its limits/)}`);
  check(s.detail.coreMessagesMalformed === 0, () => `robustness: ${s.detail.coreMessagesMalformed} message(s) a core server received are malformed:\n${failuresLike(run, /malformed message/)}`);
});

Then('every call the corpus started has ended', function (this: SbcWorld) {
  const run = this.robustness.run;
  const s = run.summary;
  check(s.detail.callsCompleted > 0, () => 'robustness: the corpus completed no call at all, so the SBC served nobody while under attack');
  check(s.callsLeftOpen === 0, () => `robustness: ${s.callsLeftOpen} call(s) the corpus started are still open:\n${failuresLike(run, /call left open/)}`);
});

Then('every completed call of the corpus has its CDR', function (this: SbcWorld) {
  const run = this.robustness.run;
  const s = run.summary;
  if (s.cdrsMissing === null) return 'skipped';
  check(s.cdrsMissing === 0, () => `robustness: ${s.cdrsMissing} completed call(s) have no CDR row:\n${failuresLike(run, /without a CDR/)}`);
  return undefined;
});
