/**
 * ENUM routing with failover (OUT-01, OUT-02): calls from the core go where the number's NAPTR records
 * say, in order then preference, moving on when a destination fails. Judged by what the public
 * destinations received and by the public capture's timestamps.
 */
import { Given, Then, When, type DataTable } from '@cucumber/cucumber';
import { setEnumRecords } from '../topology/services/knot';
import type { EnumRecord } from '../topology/enum-zone';
import { check, describeRun } from './assertions';
import {
  addDestination, coreCall, destination, finalStatus, firstAnswerFrom, firstInviteTo, parseBehaviour, publicSip, startLine,
} from './routing-world';
import type { SbcWorld } from './world';

const digitsOf = (number: string): string => number.replace(/^\+/, '');

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
