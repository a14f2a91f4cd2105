/**
 * Routing by zone (GEN-01), round robin to the core (IN-04), ENUM routing with failover (OUT-01,
 * OUT-02). Judged by where calls landed (the core servers' traces by dialled number, what public
 * destinations received) and by the public capture's timestamps.
 */
import { Given, Then, When, type DataTable } from '@cucumber/cucumber';
import { setEnumRecords } from '../topology/services/knot';
import type { EnumRecord } from '../topology/enum-zone';
import { check, describeRun } from './assertions';
import {
  coreSip,
  addDestination, coreCall, destination, finalStatus, firstAnswerFrom, firstInviteTo, parseBehaviour, publicSip, startLine,
} from './routing-world';
import type { SbcWorld } from './world';

const digitsOf = (number: string): string => number.replace(/^\+/, '');

// ---------------------------------------------------------------- ENUM (OUT-01, OUT-02)

Given(/^a public destination "([A-Z])" that (answers calls|stays silent|answers \d{3}|refuses TLS connections|is not listening on UDP)$/, async function (this: SbcWorld, name: string, behaviour: string) {
  await addDestination(this, name, parseBehaviour(behaviour));
});

Given('the ENUM records of a new number point at:', async function (this: SbcWorld, table: DataTable) {
  const number = this.newNumber();
  const records: EnumRecord[] = table.hashes().map((row) => {
    const d = destination(this, row.destination ?? '');
    // A back-reference, so the URI proves the regexp was applied (RFC 3402), not just copied.
    return { number, order: Number(row.order), preference: Number(row.preference), regexp: `!^\\+(.*)$!sip:\\1@${d.ip}:${d.port}${d.uriParams}!` };
  });
  await setEnumRecords(this.ctx.state.enumDns, records);
});

Given('the ENUM zone has no record for a new number', async function (this: SbcWorld) {
  this.newNumber();
  await setEnumRecords(this.ctx.state.enumDns, []);
});

When('a core server calls that number', async function (this: SbcWorld) {
  await coreCall(this, 'core-caller', this.number(), { answered: true });
});

When('a core server calls that number and is refused', async function (this: SbcWorld) {
  await coreCall(this, 'core-caller', this.number(), { answered: false });
});

Then('the core server saw the call answered', function (this: SbcWorld) {
  const r = this.result('core-caller');
  check(finalStatus(r) === 200 && r.outcome === 'all-calls-succeeded', () => `${this.ids}: the core server's call to ${this.number()} was not answered and completed (final answer ${finalStatus(r) ?? 'none'}):\n${describeRun(r)}`);
});

Then('the core server\'s call was refused with {int}', function (this: SbcWorld, status: number) {
  const r = this.result('core-caller');
  const got = finalStatus(r);
  check(got === status, () => `${this.ids}: the core server's call to ${this.number()} ended with ${got ?? 'no final answer'}; the SBC must refuse it with ${status}:\n${describeRun(r)}`);
});

Then('destination {string} received the call with the Request-URI the NAPTR regexp gives', function (this: SbcWorld, name: string) {
  const d = destination(this, name);
  check(d.calls.length > 0, () => `${this.ids}: destination ${name} (${d.ip}:${d.port}) received no INVITE for ${this.number()}; the core server saw:\n${describeRun(this.result('core-caller'))}`);
  const uri = d.calls[0]!.invite.uri;
  const expected = `sip:${digitsOf(this.number())}@${d.ip}:${d.port}`;
  check(uri === expected, () => `${this.ids}: destination ${name} received Request-URI ${uri}; the NAPTR regexp gives ${expected}`);
});

Then('nothing the SBC sent to the public side carries that number', async function (this: SbcWorld) {
  const digits = digitsOf(this.number());
  const { sip, file } = await publicSip();
  const leaked = sip.filter((m) => m.src === this.sbcPublic && m.text.includes(digits));
  check(leaked.length === 0, () => `${this.ids}: the SBC sent ${leaked.length} SIP messages carrying ${this.number()} to the public side (first: ${leaked[0] ? `${startLine(leaked[0])} to ${leaked[0].dst}` : ''}; capture ${file})`);
});

Then('destination {string} received no call', function (this: SbcWorld, name: string) {
  const d = destination(this, name);
  check(d.calls.length === 0, () => `${this.ids}: destination ${name} received ${d.calls.length} INVITEs although the search should have ended before it`);
});

Then('the call connected on destination {string} within {int} s of destination {string}\'s failure being known', async function (this: SbcWorld, second: string, seconds: number, first: string) {
  const a = destination(this, first);
  const b = destination(this, second);
  const { sip, file } = await publicSip();
  const sbc = this.sbcPublic;
  const inviteA = firstInviteTo(sip, sbc, a);
  check(inviteA, () => `${this.ids}: the capture shows no INVITE from the SBC to the first destination ${a.ip}:${a.port} (capture ${file})`);
  // A silent hop's failure is known only when the SBC's per-hop time-out ends, which the suite cannot see:
  // timing from the first INVITE is the strictest reading (it counts the time-out too).
  let failure = inviteA.time;
  let what = `its first INVITE (silent destination, the per-hop time-out included)`;
  if (a.behaviour.kind === 'refuse') {
    const answer = firstAnswerFrom(sip, sbc, a, 300, 699);
    check(answer, () => `${this.ids}: the capture shows no final answer from destination ${first} (capture ${file})`);
    failure = answer.time;
    what = `its ${startLine(answer)}`;
  }
  const inviteB = firstInviteTo(sip, sbc, b);
  const okB = firstAnswerFrom(sip, sbc, b, 200, 299);
  check(inviteB && okB, () => `${this.ids}: the capture shows no answered INVITE at the second destination ${b.ip}:${b.port} (capture ${file})`);
  const connectS = okB.time - failure;
  this.notes.push(`${this.ids}: failure of ${first} known at ${failure.toFixed(3)} (${what}); INVITE to ${second} +${(inviteB.time - failure).toFixed(3)} s, answered +${connectS.toFixed(3)} s`);
  check(inviteB.time >= failure, () => `${this.ids}: the SBC tried ${second} before ${first} had failed`);
  check(connectS <= seconds, () => `${this.ids}: the call connected on ${second} ${connectS.toFixed(2)} s after ${first}'s failure was known (${what}); at most ${seconds} s allowed (capture ${file})`);
});

Then('the call connected on destination {string} within {int} s of the core server\'s INVITE', function (this: SbcWorld, name: string, seconds: number) {
  // A transport failure is known at once (connection refused, ICMP unreachable): the whole post-dial
  // delay is then the time the SBC took to move on.
  const d = destination(this, name);
  const r = this.result('core-caller');
  const invite = r.messages.find((m) => m.direction === 'sent' && m.method === 'INVITE');
  const ok = r.messages.find((m) => m.direction === 'received' && m.status === 200 && /INVITE/.test(m.header('cseq') ?? ''));
  check(invite && ok, () => `${this.ids}: the core server's call was not answered:\n${describeRun(r)}`);
  check(d.calls.length === 1, () => `${this.ids}: destination ${name} received ${d.calls.length} INVITEs; the call should have connected there`);
  const delay = (ok.at.getTime() - invite.at.getTime()) / 1000;
  check(delay <= seconds, () => `${this.ids}: the call connected on ${name} ${delay.toFixed(1)} s after the core server's INVITE, though the first destination failed at once at the transport; at most ${seconds} s allowed`);
});

Then('the destinations were tried in the order {word} {word} {word}', async function (this: SbcWorld, x: string, y: string, z: string) {
  const names = [x, y, z].map((n) => n.replace(/,$/, ''));
  const { sip, file } = await publicSip();
  const times = names.map((n) => ({ n, t: firstInviteTo(sip, this.sbcPublic, destination(this, n))?.time }));
  const missing = times.filter((e) => e.t === undefined).map((e) => e.n);
  check(missing.length === 0, () => `${this.ids}: the SBC never sent an INVITE to ${missing.join(', ')} (capture ${file})`);
  const order = [...times].sort((p, q) => p.t! - q.t!).map((e) => e.n);
  check(order.join() === names.join(), () => `${this.ids}: the destinations were tried in the order ${order.join(', ')}; expected ${names.join(', ')} (order, then preference)`);
});

// ---------------------------------------------------------------- round robin (IN-04)

async function publicCalls(world: SbcWorld, count: number): Promise<string[]> {
  const numbers: string[] = [];
  for (let i = 1; i <= count; i++) {
    const number = world.newNumber(`call ${i}`);
    numbers.push(number);
    await world.runPublicSipp(`caller-${i}`, 'uac-invite-answered.xml', { service: number, extra: ['-d', '200'] });
  }
  return numbers;
}

/** Which core server received each number's INVITE (undefined: none, '+': more than one). */
function landings(world: SbcWorld, numbers: string[]): Array<string | undefined> {
  return numbers.map((n) => {
    const r = world.ctx.core.receivedFor(n);
    return r.length === 1 ? r[0]!.server : r.length === 0 ? undefined : '+';
  });
}

When('public callers place {int} calls, one after the other, each to a new number', async function (this: SbcWorld, count: number) {
  this.routing.inboundNumbers = await publicCalls(this, count);
});

Given('core server {int} is down', async function (this: SbcWorld, index: number) {
  const address = this.ctx.state.addresses.coreServers[index - 1];
  check(address, () => `the topology has no core server ${index}`);
  await this.ctx.core.stopServer(address);
  this.routing.downServer = address;
  this.onScenarioEnd(() => this.ctx.core.ensure('answer'));
});

When('core server {int} is started again', async function (this: SbcWorld, index: number) {
  const address = this.ctx.state.addresses.coreServers[index - 1]!;
  await this.ctx.core.startServer(address);
  this.routing.downServer = undefined;
});

Then('within {int} s a new public call lands on core server {int}', async function (this: SbcWorld, seconds: number, index: number) {
  const address = this.ctx.state.addresses.coreServers[index - 1]!;
  const started = Date.now();
  const landed: string[] = [];
  for (let i = 1; Date.now() - started < seconds * 1000; i++) {
    const number = this.newNumber(`probe call ${i}`);
    const r = await this.runPublicSipp(`back-${i}`, 'uac-invite-answered.xml', { service: number, extra: ['-d', '200'] });
    check(r.outcome === 'all-calls-succeeded', () => `${this.ids}: a call after core server ${address} came back did not complete:\n${describeRun(r)}`);
    const server = this.ctx.core.receivedFor(number)[0]?.server ?? 'no core server';
    landed.push(server);
    if (server === address) {
      this.notes.push(`${this.ids}: core server ${address} took call ${i} after it was started again, ${((Date.now() - started) / 1000).toFixed(1)} s later`);
      return;
    }
    await new Promise((res) => setTimeout(res, 300));
  }
  check(false, () => `${this.ids}: core server ${address} answers again but got none of ${landed.length} calls in ${seconds} s (they went to ${landed.join(', ')})`);
});

Then('every call was answered and completed', function (this: SbcWorld) {
  const numbers = this.routing.inboundNumbers;
  numbers.forEach((_n, i) => {
    const r = this.result(`caller-${i + 1}`);
    check(r.outcome === 'all-calls-succeeded', () => `${this.ids}: call ${i + 1} of ${numbers.length} did not complete:\n${describeRun(r)}`);
  });
});

Then('each core server received {int} of them, in strict rotation', function (this: SbcWorld, each: number) {
  const numbers = this.routing.inboundNumbers;
  const landed = landings(this, numbers);
  const servers = this.ctx.state.addresses.coreServers;
  const show = landed.map((s, i) => `  call ${i + 1} -> ${s ?? 'no core server'}`).join('\n');
  check(landed.every((s) => s !== undefined && s !== '+'), () => `${this.ids}: not every call reached exactly one core server:\n${show}`);
  for (const server of servers) {
    const n = landed.filter((s) => s === server).length;
    check(n === each, () => `${this.ids}: core server ${server} received ${n} of ${numbers.length} calls; expected ${each}:\n${show}`);
  }
  const k = servers.length;
  check(landed.every((s, i) => i < k || s === landed[i - k]), () => `${this.ids}: the calls did not go round in a fixed rotation (each server every ${k}th call):\n${show}`);
});

Then('the core-zone capture shows at most one of those calls sent to the stopped server, the one that found it down', async function (this: SbcWorld) {
  const { inboundNumbers = [], downServer } = this.routing;
  check(downServer, () => `${this.ids}: no core server was stopped in this scenario`);
  const { sip, file } = await coreSip();
  // The stopped server's own trace is empty whatever the SBC did: only the wire shows what was sent to it.
  const tried = inboundNumbers.map((n, i) => (sip.some((m) => m.dst === downServer && startLine(m).startsWith('INVITE ') && startLine(m).includes(n)) ? i + 1 : 0)).filter((i) => i > 0);
  check(tried.length <= 1, () =>
    `${this.ids}: the SBC kept sending calls to the stopped core server ${downServer}: calls ${tried.join(', ')} of ${inboundNumbers.length} were sent there; once one attempt found it down, it must be skipped (capture ${file})`);
});

Then('every one of those calls was answered within {int} s of its INVITE', function (this: SbcWorld, seconds: number) {
  const numbers = this.routing.inboundNumbers;
  const slow: string[] = [];
  numbers.forEach((_n, i) => {
    const r = this.result(`caller-${i + 1}`);
    const invite = r.messages.find((m) => m.direction === 'sent' && m.method === 'INVITE');
    const ok = r.messages.find((m) => m.direction === 'received' && m.status === 200 && /INVITE/.test(m.header('cseq') ?? ''));
    const delay = invite && ok ? (ok.at.getTime() - invite.at.getTime()) / 1000 : Infinity;
    if (delay > seconds) slow.push(`call ${i + 1}: ${Number.isFinite(delay) ? `${delay.toFixed(1)} s` : 'never answered'}`);
  });
  check(slow.length === 0, () => `${this.ids}: with one core server down, callers waited too long for the answer (${slow.join('; ')}); limit ${seconds} s from the INVITE`);
});

Then('no call reached the stopped server and each other core server received at least {int}', function (this: SbcWorld, least: number) {
  const { inboundNumbers = [], downServer } = this.routing;
  const landed = landings(this, inboundNumbers);
  const show = landed.map((s, i) => `  call ${i + 1} -> ${s ?? 'no core server'}`).join('\n');
  check(!landed.includes(downServer), () => `${this.ids}: a call was answered by the stopped core server ${downServer}:\n${show}`);
  for (const server of this.ctx.state.addresses.coreServers.filter((s) => s !== downServer)) {
    const n = landed.filter((s) => s === server).length;
    check(n >= least, () => `${this.ids}: core server ${server} received ${n} calls; with one server down the others share them (at least ${least} each):\n${show}`);
  }
});

// ---------------------------------------------------------------- treatment by zone (GEN-01)

When('a public caller dials that number', async function (this: SbcWorld) {
  await this.runPublicSipp('caller', 'uac-invite-answered.xml', { service: this.number(), extra: ['-d', '200'] });
});

Then('the public call reached a core server and destination {string} received nothing from it', function (this: SbcWorld, name: string) {
  const r = this.result('caller');
  check(r.outcome === 'all-calls-succeeded', () => `${this.ids}: the public caller's call did not complete:\n${describeRun(r)}`);
  const landed = this.ctx.core.receivedFor(this.number());
  check(landed.length === 1, () => `${this.ids}: the public call to ${this.number()} reached ${landed.length} core servers; round robin sends it to exactly one`);
  check(destination(this, name).calls.length === 0, () => `${this.ids}: the public call to ${this.number()} was sent to the ENUM destination ${name}; public calls go to the core`);
  this.routing.coreInvitesBefore = landed[0]!.messages.filter((m) => m.direction === 'received' && m.method === 'INVITE').length;
});

Then('the core call reached destination {string} and no core server received it', function (this: SbcWorld, name: string) {
  const d = destination(this, name);
  check(d.calls.length === 1, () => `${this.ids}: the core call to ${this.number()} did not reach the ENUM destination ${name} (${d.calls.length} INVITEs):\n${describeRun(this.result('core-caller'))}`);
  const landed = this.ctx.core.receivedFor(this.number());
  const invites = landed.flatMap((l) => l.messages.filter((m) => m.direction === 'received' && m.method === 'INVITE')).length;
  check(invites === (this.routing.coreInvitesBefore ?? 0), () => `${this.ids}: the core call to ${this.number()} was routed to a core server too; calls from the core go by ENUM`);
});

When('a host on the core network that is not a core server calls that number', async function (this: SbcWorld) {
  await coreCall(this, 'core-caller', this.number(), { answered: false, from: this.ctx.state.addresses.enumDns });
});

Then('that call was not routed: no answer or an error, and destination {string} received nothing', function (this: SbcWorld, name: string) {
  const r = this.result('core-caller');
  const status = finalStatus(r);
  check(status === undefined || status >= 400, () => `${this.ids}: an INVITE from ${this.ctx.state.addresses.enumDns}, not a core server, got ${status}; it must be refused or dropped:\n${describeRun(r)}`);
  check(destination(this, name).calls.length === 0, () => `${this.ids}: the INVITE from a host that is not a core server was routed to ${name}`);
  this.notes.push(`${this.ids}: unknown core host got ${status ?? 'no answer'}`);
});
