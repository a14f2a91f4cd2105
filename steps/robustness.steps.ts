/**
 * Robustness (@robustness, issue 6): a corpus of malformed and hostile messages over UDP and TLS, then
 * a normal call, then proof that the SBC is the same process as before (no crash, no restart).
 */
import { createSocket } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as netConnect } from 'node:net';
import { connect } from 'node:tls';
import { Given, Then, When } from '@cucumber/cucumber';
import { malformedCorpus, type MalformedCase } from '../harness/sip/malformed-corpus';
import { netnsExec } from '../harness/sut/probe';
import { readHealth } from '../harness/sut/provision';
import { check, describeRun } from './assertions';
import type { SbcWorld } from './world';

interface ProcessNote {
  /** The pid the profile's health URL reports, if it reports one. */
  healthPid?: number;
  /** The pid the topology started, when it started the SBC. */
  startedPid?: number;
}

const noted = new WeakMap<SbcWorld, ProcessNote>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

Given('the SBC\'s process is noted', async function (this: SbcWorld) {
  const health = await readHealth(this.ctx.profile, this.ctx.state.vars, netnsExec(this.ctx.state.namespaces));
  // The pid the topology started goes stale when another scenario restarts the SBC (the GEN-05 crash
  // test): the health URL's pid, when there is one, is the current process.
  const startedPid = health?.pid === undefined ? this.ctx.state.sbc.pid : undefined;
  if (health) check(health.ok, () => `the SBC's health URL does not answer 2xx before the test (${health.status}: ${health.body})`);
  if (health?.pid === undefined && startedPid === undefined) {
    this.notes.push('neither a health URL with a pid nor a pid from the topology: the process cannot be compared');
    return 'skipped';
  }
  if (startedPid !== undefined) check(alive(startedPid), () => `the SBC process ${startedPid} the topology started is not running before the test`);
  noted.set(this, { ...(health?.pid === undefined ? {} : { healthPid: health.pid }), ...(startedPid === undefined ? {} : { startedPid }) });
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
  const before = noted.get(this);
  check(before, () => 'the SBC process was not noted before the corpus');
  if (before.startedPid !== undefined) check(alive(before.startedPid), () => `robustness: the SBC process ${before.startedPid} is gone after the malformed corpus (crashed)`);
  if (before.healthPid !== undefined) {
    const health = await readHealth(this.ctx.profile, this.ctx.state.vars, netnsExec(this.ctx.state.namespaces));
    check(health?.ok, () => `robustness: the SBC's health URL no longer answers 2xx after the corpus (${health?.status}: ${health?.body})`);
    check(health.pid === before.healthPid, () => `robustness: the SBC restarted during the corpus (pid ${before.healthPid} before, ${health.pid} after)`);
  }
});
