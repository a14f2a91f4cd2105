/**
 * IN-01 (and GEN-04's blocked side): an address blocked and unblocked at run time through the SUT
 * profile. Judged by what crosses the wire: answers the public side received and what the core
 * servers received.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Given, Then, When } from '@cucumber/cucumber';
import { attemptOverTls } from '../harness/blocking/tls-attempt';
import { PUBLIC_CALLER_NUMBER } from '../harness/sipp/scenario-keys';
import { check, describeRun } from './assertions';
import { provisionIp, unblockAtEnd } from './support/provisioning';
import type { SbcWorld } from './world';

// ---- blocked and unblocked at run time ------------------------------------------------------------

Given('the operator has blocked the address of a public host', async function (this: SbcWorld) {
  const host = this.publicEndpoint();
  if (!(await provisionIp(this, 'blockIp', host.ip))) return 'skipped';
  unblockAtEnd(this, host.ip);
  this.blocking.host = host;
  // Provisioning may take effect asynchronously (a reload, a firewall rule): give it a moment.
  await new Promise((r) => setTimeout(r, 300));
  return undefined;
});

When('the operator unblocks that address', async function (this: SbcWorld) {
  const host = this.blocking.blockedHost();
  if (!(await provisionIp(this, 'unblockIp', host.ip))) return 'skipped';
  await new Promise((r) => setTimeout(r, 300));
  return undefined;
});

When('that host sends OPTIONS and an INVITE for a new number to the SBC\'s public address', async function (this: SbcWorld) {
  const host = this.blocking.blockedHost();
  const token = `options-${this.newNumber('the OPTIONS').slice(1)}`;
  this.numbers.set('the OPTIONS', token);
  const number = this.newNumber();
  await Promise.all([
    this.runPublicSipp('prober', 'uac-options-unanswered.xml', { localIp: host.ip, localPort: host.port, service: token, extra: ['-d', '3000'] }),
    this.runPublicSipp('caller', 'uac-invite-unanswered.xml', { localIp: host.ip, localPort: host.port + 1, mediaIp: host.ip, service: number, extra: ['-d', '3000'] }),
  ]);
});

Then('neither request got any answer', function (this: SbcWorld) {
  for (const [role, what] of [['prober', 'OPTIONS'], ['caller', 'INVITE']] as const) {
    const r = this.result(role);
    const got = r.messages.filter((m) => m.direction === 'received');
    check(got.length === 0, () => `${this.ids}: the blocked address ${this.blocking.host?.ip} got ${got.length} answer(s) to its ${what}; a blocked address must get none:\n${describeRun(r)}`);
    check(r.outcome === 'all-calls-succeeded', () => `${this.ids}: the ${what} of the blocked address did not run as scripted:\n${describeRun(r)}`);
  }
});

When('that host sends OPTIONS to the SBC\'s public address', async function (this: SbcWorld) {
  const host = this.blocking.blockedHost();
  const token = `options-${this.newNumber('the OPTIONS').slice(1)}`;
  this.numbers.set('the OPTIONS', token);
  await this.runPublicSipp('prober', 'uac-options-unanswered.xml', { localIp: host.ip, localPort: host.port, service: token, extra: ['-d', '3000'] });
});

Then('its OPTIONS got no answer', function (this: SbcWorld) {
  const r = this.result('prober');
  const got = r.messages.filter((m) => m.direction === 'received');
  check(got.length === 0, () => `${this.ids}: OPTIONS from the blocked address ${this.blocking.host?.ip} got ${got.map((m) => m.status).join(', ')}; a blocked address must get no answer:\n${describeRun(r)}`);
  check(r.outcome === 'all-calls-succeeded', () => `${this.ids}: the OPTIONS of the blocked address did not run as scripted:\n${describeRun(r)}`);
});

When('that host sends OPTIONS and an INVITE for a new number over TLS to the SBC\'s public address', async function (this: SbcWorld) {
  const host = this.blocking.blockedHost();
  const { address, tls } = this.ctx.profile.sbc.public;
  if (tls === undefined) return this.incomplete(`${this.ids}: the SUT profile names no public TLS port`);
  const token = `options-${this.newNumber('the OPTIONS').slice(1)}`;
  this.numbers.set('the OPTIONS', token);
  const number = this.newNumber();
  const result = await attemptOverTls({
    sbc: { ip: address, port: tls }, ca: readFileSync(this.ctx.state.pki.caCert), local: host, optionsUser: token, number,
    caller: PUBLIC_CALLER_NUMBER, ladderFile: join(this.evidenceDir, 'blocked-host-tls.txt'),
  });
  this.blocking.tls = result;
  this.notes.push(...result.notes, ...result.answers);
  return undefined;
});

Then('neither TLS request got any answer', function (this: SbcWorld) {
  const r = this.blocking.tls;
  check(r, () => 'no TLS request was sent by the blocked host in this scenario');
  check(r.answers.length === 0, () => `${this.ids}: the address ${this.blocking.host?.ip}, blocked at run time, was served over TLS: ${r.answers.join('; ')}; a blocked address gets no answer on any transport`);
});

Then('no core server received anything of that host\'s requests', function (this: SbcWorld) {
  const options = this.ctx.core.receivedContaining(this.number('the OPTIONS'));
  const invites = this.ctx.core.receivedFor(this.number());
  check(options.length === 0 && invites.length === 0, () =>
    `${this.ids}: traffic of the blocked address reached the core: ${[...options, ...invites].map((r) => `${r.server} (${r.messages.length} messages)`).join(', ')}`);
});

When('that host sends OPTIONS and places a call to a new number', async function (this: SbcWorld) {
  const host = this.blocking.blockedHost();
  const token = `options-${this.newNumber('the OPTIONS').slice(1)}`;
  await this.runPublicSipp('prober', 'uac-options.xml', { localIp: host.ip, localPort: host.port, service: token, recvTimeoutMs: 3000 });
  await this.runPublicSipp('caller', 'uac-invite-answered.xml', { localIp: host.ip, localPort: host.port, mediaIp: host.ip, service: this.newNumber(), extra: ['-d', '1000'] });
});

Then('its OPTIONS got 200 OK and its call was answered and ended', function (this: SbcWorld) {
  const options = this.result('prober');
  check(options.messages.some((m) => m.direction === 'received' && m.status === 200), () => `IN-01: the unblocked address got no 200 OK to OPTIONS:\n${describeRun(options)}`);
  const call = this.result('caller');
  check(call.outcome === 'all-calls-succeeded', () => `IN-01: the unblocked address's call did not complete:\n${describeRun(call)}`);
});
