/**
 * IN-01 against an attacker: a flood banned automatically while a legitimate caller is served, and a
 * scanner left unanswered. The attacker's requests are raw bytes (harness/blocking/raw-request.ts),
 * judged by the answers it got and by what the core servers received.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Given, Then, When } from '@cucumber/cucumber';
import { rawRequest } from '../harness/blocking/raw-request';
import { blast, silenceOnset, type BlastRequest } from '../harness/sip/udp-blaster';
import { check, describeRun } from './assertions';
import { provisionIp, unblockAtEnd } from './support/provisioning';
import type { SbcWorld } from './world';

/** One OPTIONS from the attacker answered 200: otherwise a later "no answer" would prove nothing. */
async function attackerServed(world: SbcWorld): Promise<boolean> {
  const r = await blast({
    localIp: world.ctx.state.addresses.attacker,
    target: { ip: world.sbcPublic, port: world.ctx.profile.sbc.public.udp },
    ratePerS: 2,
    durationMs: 1000,
    settleMs: 1500,
    build: (i, local) => ({ callId: `served-${Date.now()}-${i}@${local.ip}`, method: 'OPTIONS', data: rawRequest({ method: 'OPTIONS', user: 'ping', callId: `served-${Date.now()}-${i}@${local.ip}`, local, sbc: world.sbcPublic }) }),
  });
  return r.records.some((rec) => rec.answers.some((a) => a.status === 200));
}

Given('the attacker\'s address is served by the SBC', async function (this: SbcWorld) {
  const attacker = this.ctx.state.addresses.attacker;
  // An automatic ban of this scenario must not leak into the next one.
  unblockAtEnd(this, attacker);
  if (await attackerServed(this)) return;
  // A ban left over from an earlier run or scenario: lift it if the profile can.
  await provisionIp(this, 'unblockIp', attacker);
  check(await attackerServed(this), () => `IN-01: the attacker address ${attacker} gets no 200 OK to OPTIONS before the test begins, so silence later would prove nothing (still banned from before?)`);
});

When('the attacker floods the SBC with INVITEs and OPTIONS at {int} requests\\/s for {int} s while a public caller places {int} calls', async function (this: SbcWorld, rate: number, seconds: number, calls: number) {
  const numberPrefix = this.newNumber('the flood');
  const sbc = this.sbcPublic;
  const build = (i: number, local: { ip: string; port: number }): BlastRequest => {
    const method = i % 2 === 0 ? 'INVITE' : 'OPTIONS';
    const user = `${numberPrefix}${String(i).padStart(5, '0')}`;
    const callId = `flood-${numberPrefix.slice(1)}-${i}@${local.ip}`;
    return { callId, method, data: rawRequest({ method, user, callId, local, sbc }) };
  };
  const legit = this.newNumber();
  const [result] = await Promise.all([
    blast({ localIp: this.ctx.state.addresses.attacker, target: { ip: sbc, port: this.ctx.profile.sbc.public.udp }, ratePerS: rate, durationMs: seconds * 1000, settleMs: 2000, build }),
    this.runPublicSipp('caller', 'uac-invite-answered.xml', { service: legit, calls, rate: 2, extra: ['-d', '500'] }),
  ]);
  this.blocking.flood = { result, numberPrefix };
  const onset = silenceOnset(result);
  writeFileSync(join(this.evidenceDir, 'flood.json'), JSON.stringify({
    rate, seconds, requests: result.records.length, answered: onset.answered, silenceAfterMs: onset.afterMs, silent: onset.silent,
    records: result.records.map((r) => ({ i: r.index, m: r.method, t: r.sentAt - result.startedAt, answers: r.answers.map((a) => `${a.status}@${a.at - result.startedAt}`) })),
  }));
  this.notes.push(`flood: ${result.records.length} requests in ${result.endedAt - result.startedAt} ms, ${onset.answered} answered; silence from request ${onset.first?.index ?? '-'} at ${onset.afterMs ?? '-'} ms`);
});

Then('the SBC stopped answering the attacker within {int} s of the flood\'s start, for the rest of the flood', function (this: SbcWorld, seconds: number) {
  const flood = this.blocking.flood;
  check(flood, () => 'no flood was sent in this scenario');
  const { result } = flood;
  const onset = silenceOnset(result);
  const duration = result.endedAt - result.startedAt;
  check(onset.first && onset.afterMs !== undefined, () =>
    `IN-01: the SBC answered the attacker's flood to the end (${onset.answered} of ${result.records.length} requests answered, the last one too): it was never blocked`);
  check(onset.afterMs <= seconds * 1000, () =>
    `IN-01: the SBC kept answering the flood for ${onset.afterMs} ms (limit ${seconds * 1000} ms): answers stopped for good only from request ${onset.first?.index} of ${result.records.length} (flood of ${duration} ms); evidence flood.json`);
});

Then('none of the attacker\'s requests after that reached the core', function (this: SbcWorld) {
  const flood = this.blocking.flood;
  check(flood, () => 'no flood was sent in this scenario');
  const first = silenceOnset(flood.result).first?.index ?? Number.POSITIVE_INFINITY;
  const leaked = this.ctx.core.receivedContaining(flood.numberPrefix).flatMap((r) =>
    r.messages
      .filter((m) => m.method === 'INVITE')
      .map((m) => ({ server: r.server, index: Number(new RegExp(`${flood.numberPrefix.replace('+', '\\+')}(\\d{5})`).exec(m.requestUri ?? '')?.[1] ?? -1) }))
      .filter((x) => x.index >= first));
  check(leaked.length === 0, () =>
    `IN-01: ${leaked.length} of the attacker's INVITEs sent after the SBC stopped answering reached the core (first: #${leaked[0]?.index} at ${leaked[0]?.server})`);
});

Then('every call of the public caller was answered and ended', function (this: SbcWorld) {
  const r = this.result('caller');
  check(r.outcome === 'all-calls-succeeded', () => `IN-01: a legitimate caller's calls failed during the flood from another address:\n${describeRun(r)}`);
});

When('the attacker scans {int} extensions with OPTIONS as {string}', async function (this: SbcWorld, count: number, agent: string) {
  const token = `scan${this.newNumber('the scan').slice(1)}`;
  const sbc = this.sbcPublic;
  const result = await blast({
    localIp: this.ctx.state.addresses.attacker,
    // SIPVicious svmap/svwar probe from port 5060 and walk extensions 100, 101, ...
    target: { ip: sbc, port: this.ctx.profile.sbc.public.udp },
    ratePerS: 20,
    durationMs: (count * 1000) / 20,
    settleMs: 2500,
    build: (i, local) => {
      const callId = `${token}-${i}@${local.ip}`;
      return { callId, method: 'OPTIONS', data: rawRequest({ method: 'OPTIONS', user: String(100 + i), callId, local, sbc, extra: [`User-Agent: ${agent}`, 'Accept: application/sdp'] }) };
    },
  });
  this.blocking.scan = { result, token };
  const answered = result.records.filter((r) => r.answers.length > 0);
  this.notes.push(`scan: ${result.records.length} OPTIONS as "${agent}", ${answered.length} answered`);
});

Then('none of the scan\'s requests got any answer', function (this: SbcWorld) {
  const scan = this.blocking.scan;
  check(scan, () => 'no scan was sent in this scenario');
  const answered = scan.result.records.filter((r) => r.answers.length > 0);
  check(answered.length === 0, () =>
    `IN-01: the SBC answered ${answered.length} of ${scan.result.records.length} scanner OPTIONS (e.g. extension ${100 + (answered[0]?.index ?? 0)} got ${answered[0]?.answers.map((a) => a.status).join(', ')}): a scanner learns that SIP is served here`);
});

Then('no core server received anything of the scan', function (this: SbcWorld) {
  const scan = this.blocking.scan;
  check(scan, () => 'no scan was sent in this scenario');
  const leaked = this.ctx.core.receivedContaining(scan.token);
  check(leaked.length === 0, () => `IN-01: the scan reached the core: ${leaked.map((r) => `${r.server} (${r.messages.length} messages)`).join(', ')}`);
});
