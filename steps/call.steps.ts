import { Given, Then, When } from '@cucumber/cucumber';
import { userOf } from '../harness/sipp/messages';
import { check, describeRun, ladder } from './assertions';
import type { SbcWorld } from './world';
import { parseVia } from '../harness/sip/headers';

Given('the core servers answer calls', async function (this: SbcWorld) {
  await this.coreBehaviour('answer');
});

Given('the core servers answer calls and hang up after {int} s', async function (this: SbcWorld, seconds: number) {
  await this.coreBehaviour('answer-then-bye', seconds * 1000);
});

When('a public caller dials a new number over UDP and hangs up after {int} s', async function (this: SbcWorld, seconds: number) {
  const number = this.newNumber();
  await this.runPublicSipp('caller', 'uac-invite-answered.xml', { service: number, extra: ['-d', String(seconds * 1000)] });
});

When('a public caller dials a new number over UDP and waits for the callee to hang up', async function (this: SbcWorld) {
  const number = this.newNumber();
  await this.runPublicSipp('caller', 'uac-invite-answered-remote-bye.xml', { service: number });
});

Then('the caller saw the call answered and its BYE answered 200 OK', function (this: SbcWorld) {
  const r = this.result('caller');
  check(r.outcome === 'all-calls-succeeded', () => `${this.ids}: the caller's call did not complete as scripted (answered, BYE, 200 OK):\n${describeRun(r)}`);
  const got = r.messages.filter((m) => m.direction === 'received');
  check(got.some((m) => m.status === 200 && /INVITE/.test(m.header('cseq') ?? '')), () => `${this.ids}: the caller never received 200 OK to its INVITE:\n${describeRun(r)}`);
  check(got.some((m) => m.status === 200 && /BYE/.test(m.header('cseq') ?? '')), () => `${this.ids}: the caller's BYE was never answered 200 OK:\n${describeRun(r)}`);
});

Then('the caller saw the call answered and then received a BYE from the SBC\'s public address', function (this: SbcWorld) {
  const r = this.result('caller');
  check(r.outcome === 'all-calls-succeeded', () => `${this.ids}: the caller's call did not complete as scripted (answered, BYE from the callee):\n${describeRun(r)}`);
  const bye = r.messages.find((m) => m.direction === 'received' && m.method === 'BYE');
  check(bye, () => `${this.ids}: the caller never received the callee's BYE:\n${describeRun(r)}`);
  const top = bye.headers('via')[0] ?? '';
  check(top.includes(this.sbcPublic), () => `${this.ids}: the BYE the caller received does not come from the SBC's public address ${this.sbcPublic} (top Via: ${top})`);
});

function coreReceipt(world: SbcWorld) {
  const number = world.number();
  const receipts = world.ctx.core.receivedFor(number);
  check(receipts.length === 1, () =>
    receipts.length === 0
      ? `${world.ids}: no core server received an INVITE for ${number}; the caller saw:\n${describeRun(world.result('caller'))}`
      : `${world.ids}: ${receipts.length} core servers received an INVITE for ${number} (${receipts.map((r) => r.server).join(', ')}); expected exactly one`,
  );
  return receipts[0]!;
}

Then('exactly one core server received the INVITE for that number, from the SBC\'s core address', function (this: SbcWorld) {
  const receipt = coreReceipt(this);
  const invites = receipt.messages.filter((m) => m.direction === 'received' && m.method === 'INVITE');
  const callIds = new Set(invites.map((m) => m.header('call-id')));
  check(callIds.size === 1, () => `${this.ids}: core server ${receipt.server} received ${callIds.size} distinct INVITE dialogs for ${this.number()}; expected one`);
  const sbcCore = this.ctx.profile.sbc.core.address;
  const via = invites[0]!.headers('via');
  check(via.length === 1, () => `${this.ids}: the INVITE at the core has ${via.length} Via headers (${via.join(' | ')}); a B2BUA sends exactly its own`);
  check(via[0]!.includes(sbcCore), () => `${this.ids}: the INVITE at the core does not come from the SBC's core address ${sbcCore}: Via ${via[0]}`);
  check(userOf(invites[0]!.requestUri) === this.number(), () => `${this.ids}: the core received Request-URI ${invites[0]!.requestUri}, expected the dialled number ${this.number()}`);
});

Then('that core server received the ACK and the caller\'s BYE', function (this: SbcWorld) {
  const receipt = coreReceipt(this);
  const received = receipt.messages.filter((m) => m.direction === 'received');
  check(received.some((m) => m.method === 'ACK'), () => `${this.ids}: core server ${receipt.server} never received the ACK for its 200 OK:\n${ladder(receipt.messages)}`);
  check(received.some((m) => m.method === 'BYE'), () => `${this.ids}: the caller's BYE was not relayed to core server ${receipt.server}:\n${ladder(receipt.messages)}`);
  check(
    receipt.messages.some((m) => m.direction === 'sent' && m.status === 200 && /BYE/.test(m.header('cseq') ?? '')),
    () => `${this.ids}: core server ${receipt.server} did not answer the BYE:\n${ladder(receipt.messages)}`,
  );
});

Then('that core server\'s BYE was answered 200 OK', function (this: SbcWorld) {
  const receipt = coreReceipt(this);
  check(receipt.messages.some((m) => m.direction === 'sent' && m.method === 'BYE'), () => `${this.ids}: core server ${receipt.server} never sent its BYE:\n${ladder(receipt.messages)}`);
  check(
    receipt.messages.some((m) => m.direction === 'received' && m.status === 200 && /BYE/.test(m.header('cseq') ?? '')),
    () => `${this.ids}: the core server's BYE was not answered 200 OK by the SBC:\n${ladder(receipt.messages)}`,
  );
});

Then('the core leg shares no Call-ID, tag, Via or Contact with the public leg', function (this: SbcWorld) {
  const caller = this.result('caller');
  const publicInvite = caller.messages.find((m) => m.direction === 'sent' && m.method === 'INVITE');
  check(publicInvite, () => `the caller sent no INVITE:\n${describeRun(caller)}`);
  const coreInvite = coreReceipt(this).messages.find((m) => m.direction === 'received' && m.method === 'INVITE')!;
  const publicTag = /tag=([^;>\s]+)/.exec(publicInvite.header('from') ?? '')?.[1];
  const callerAddress = parseVia(publicInvite.headers('via')[0] ?? '')?.host ?? '';
  const leaks: string[] = [];
  if (coreInvite.header('call-id') === publicInvite.header('call-id')) leaks.push(`Call-ID ${coreInvite.header('call-id')}`);
  if (publicTag && (coreInvite.header('from') ?? '').includes(publicTag)) leaks.push(`From tag ${publicTag}`);
  for (const name of ['via', 'contact', 'record-route', 'call-id']) {
    for (const v of coreInvite.headers(name)) if (callerAddress && v.includes(callerAddress)) leaks.push(`${name}: ${v}`);
  }
  check(leaks.length === 0, () => `${this.ids}: the core leg carries the public leg's addressing: ${leaks.join('; ')}`);
});

Given('the core servers ring and never answer', async function (this: SbcWorld) {
  await this.coreBehaviour('ring-no-answer');
});

When('a public caller dials a new number over UDP and cancels after {int} s of ringing', async function (this: SbcWorld, seconds: number) {
  const number = this.newNumber();
  await this.runPublicSipp('caller', 'uac-invite-cancelled.xml', { service: number, extra: ['-d', String(seconds * 1000)] });
});

Then('the caller saw its CANCEL answered 200 and the INVITE ended 487', function (this: SbcWorld) {
  const r = this.result('caller');
  check(r.outcome === 'all-calls-succeeded', () => `${this.ids}: the cancelled call did not go as scripted (180, CANCEL, 200, 487, ACK):\n${describeRun(r)}`);
});
