/**
 * Robustness (@ROBUST). Issue 6: a fixed corpus of malformed and hostile messages over UDP and TLS, then
 * a normal call, then proof that the SBC is the same process as before (no crash, no restart).
 * Issue 11: a generated corpus of thousands of cases (harness/robustness), fired from many public
 * sources, judged by the answers, health probes, the core zone's capture and the CDRs; its figures go
 * to `<reportDir>/robustness/summary.json`.
 */
import { createSocket } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as netConnect } from 'node:net';
import { connect } from 'node:tls';
import { Given, Then, When } from '@cucumber/cucumber';
import { readSip } from '../harness/capture/pcap-read';
import { runRobustness, type RobustnessRun } from '../harness/robustness/run';
import { describeSummary, writeSummary } from '../harness/robustness/summary';
import { malformedCorpus, type MalformedCase } from '../harness/sip/malformed-corpus';
import { netnsExec } from '../harness/sut/probe';
import { readHealth } from '../harness/sut/provision';
import { check, describeRun } from './assertions';
import { runCaptures } from './capture.hooks';
import { cdrReader } from './cdr.steps';
import { sutControl } from './sbc-restart.steps';
import type { SbcWorld } from './world';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

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

async function sendUdp(cases: MalformedCase[], local: { ip: string; port: number }, target: { ip: string; port: number }): Promise<Map<string, string[]>> {
  const answers = new Map<string, string[]>();
  const sock = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(local.port, local.ip, () => resolve());
  });
  let current = '';
  const byCallId = new Map(cases.filter((c) => c.callId).map((c) => [c.callId!, c.name]));
  sock.on('message', (m) => {
    const text = m.toString('latin1');
    // By Call-ID when the answer carries one of ours (a slow answer is not blamed on the next case).
    const callId = /^(?:Call-ID|i)[ \t]*:[ \t]*(\S+)/im.exec(text)?.[1];
    const name = (callId && byCallId.get(callId)) || current;
    const list = answers.get(name) ?? [];
    list.push(text.split('\r\n')[0] ?? '');
    answers.set(name, list);
  });
  for (const c of cases) {
    current = c.name;
    await new Promise<void>((resolve) => sock.send(c.data, target.port, target.ip, () => resolve()));
    // One case at a time, so that an answer is attributed to the case that caused it.
    await new Promise((r) => setTimeout(r, 150));
  }
  await new Promise<void>((r) => sock.close(() => r()));
  return answers;
}

/** Each TLS case on its own connection: the SBC may close a connection whose framing it cannot trust. */
async function sendTls(c: MalformedCase, localIp: string, target: { ip: string; port: number }): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const raw = netConnect({ host: target.ip, port: target.port, localAddress: localIp });
    const socket = connect({ socket: raw, rejectUnauthorized: false, minVersion: 'TLSv1.2' });
    raw.on('error', () => undefined);
    const done = (how: string): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(`${how}${got ? `; received ${got.split('\r\n')[0]}` : ''}`);
    };
    const timer = setTimeout(() => done('still open after 2 s'), 2000);
    socket.on('secureConnect', () => socket.write(c.data));
    socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
    socket.on('close', () => done('closed by the SBC'));
    socket.on('error', (err) => done(`error ${(err as NodeJS.ErrnoException).code ?? err.message}`));
  });
}

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
