/**
 * IN-02: a public device (the suite's SIP client) registers with digest authentication, the user
 * being provisioned through the SUT profile; calls from the core (SIPp) must reach it at its
 * registered contact while the binding lives, and not afterwards.
 */
import { Given, Then, When } from '@cucumber/cucumber';
import { getHeaders } from '../harness/sip';
import { check, describeRun } from './assertions';
import { coreCall } from './routing-world';
import { sutControl } from './sbc-restart.steps';
import { provisionUser, register } from './support/registration-device';
import type { SbcWorld } from './world';

Given('a SIP user with a password is provisioned on the SBC', async function (this: SbcWorld) {
  const u = await provisionUser(this);
  if (!u) return 'skipped';
  const ep = this.publicEndpoint();
  this.registration.device = { ...u, ip: ep.ip, port: ep.port, calls: [] };
  return undefined;
});

/** A second user (the victim of an attempted hijack): provisioned, never registered by its own device. */
Given('another SIP user with a password is provisioned on the SBC', async function (this: SbcWorld) {
  const u = await provisionUser(this);
  if (!u) return 'skipped';
  this.registration.victim = u;
  return undefined;
});

When('the first user\'s device registers its contact for the other user\'s address of record with its own credentials', async function (this: SbcWorld) {
  const v = this.registration.victim;
  v.registration = await register(this, this.registration.device.password, 3600, false, v.user);
});

Then('that registration was refused', function (this: SbcWorld) {
  const v = this.registration.victim;
  const res = v.registration!;
  const contacts = getHeaders(res, 'contact');
  check(res.status >= 300, () =>
    `${this.ids}: ${this.registration.device.user}, authenticated with its own password, registered a contact for ${v.user}'s address of record: answered ${res.status} ${res.reason} (Contact: ${contacts.join(' | ') || 'none'}); a user may only bind its own address of record`);
});

When('a core server calls the other user', async function (this: SbcWorld) {
  await coreCall(this, 'core-caller', this.registration.victim.user, { answered: false });
});

Then('the first user\'s device received no call for the other user', function (this: SbcWorld) {
  const d = this.registration.device;
  check(d.calls.length === 0, () => `${this.ids}: a call from the core to ${this.registration.victim.user} reached ${d.user}'s device (${d.calls.length} INVITEs): the hijacked binding was used`);
});

Given(/^a public device registers as that user (over TLS )?with its password for (\d+) s$/, async function (this: SbcWorld, overTls: string | null | undefined, seconds: string) {
  const d = this.registration.device;
  const expires = Number(seconds);
  const tls = Boolean(overTls);
  let res = await register(this, d.password, expires, tls);
  // A registrar may insist on a longer lifetime (423, RFC 3261 10.3); a short one is still usable here.
  const min = Number(getHeaders(res, 'min-expires')[0] ?? NaN);
  if (res.status === 423 && min <= 10) res = await register(this, d.password, min, tls);
  d.registration = res;
  d.requestedExpires = expires;
  check(res.status === 200, () => `${this.ids}: the REGISTER of ${d.user} with the right password was answered ${res.status} ${res.reason}; expected 200:\n${res.raw}`);
});

Given('a public device registers as that user with a wrong password', async function (this: SbcWorld) {
  const d = this.registration.device;
  d.registration = await register(this, `${d.password}-wrong`, 3600);
});

When('the device removes its binding with Expires 0', async function (this: SbcWorld) {
  const res = await register(this, this.registration.device.password, 0);
  check(res.status === 200, () => `${this.ids}: removing the binding (Expires: 0) was answered ${res.status} ${res.reason}; expected 200`);
});

When('{int} s pass', async function (this: SbcWorld, seconds: number) {
  await new Promise((r) => setTimeout(r, seconds * 1000));
});

Then('the registration was answered 200 OK with the device\'s contact and an expiry of at most {int} s', function (this: SbcWorld, max: number) {
  const d = this.registration.device;
  const res = d.registration!;
  const contacts = getHeaders(res, 'contact');
  const mine = contacts.find((c) => c.includes(`${d.ip}:${d.port}`));
  check(mine, () => `${this.ids}: the 200 OK to the REGISTER does not list the device's contact ${d.ip}:${d.port} (Contact: ${contacts.join(' | ') || 'none'})`);
  const expires = Number(/;\s*expires=(\d+)/i.exec(mine)?.[1] ?? getHeaders(res, 'expires')[0] ?? NaN);
  check(expires > 0 && expires <= max, () => `${this.ids}: the binding's expiry in the 200 OK is ${Number.isNaN(expires) ? 'missing' : `${expires} s`}; expected more than 0 and at most ${max} s`);
});

Then('the registration was refused with 401 or 403', function (this: SbcWorld) {
  const res = this.registration.device.registration!;
  check(res.status === 401 || res.status === 403, () => `${this.ids}: a REGISTER with a wrong password was answered ${res.status} ${res.reason}; expected 401 or 403`);
});

When('a core server calls that user', async function (this: SbcWorld) {
  await coreCall(this, 'core-caller', this.registration.device.user, { answered: true });
});

When('a core server calls that user and is refused', async function (this: SbcWorld) {
  await coreCall(this, 'core-caller', this.registration.device.user, { answered: false });
});

Then('the device received the call at its registered contact', function (this: SbcWorld) {
  const d = this.registration.device;
  check(d.calls.length === 1, () => `${this.ids}: the registered device received ${d.calls.length} INVITEs for ${d.user}; expected 1. The core server saw:\n${describeRun(this.result('core-caller'))}`);
  const uri = d.calls[0]!.invite.uri;
  check(uri.includes(`${d.ip}:${d.port}`), () => `${this.ids}: the INVITE reached the device with Request-URI ${uri}, not its registered contact ${d.ip}:${d.port}`);
});

Then('the device received no call', function (this: SbcWorld) {
  const d = this.registration.device;
  check(d.calls.length === 0, () => `${this.ids}: the device received ${d.calls.length} INVITEs for ${d.user} although it has no binding`);
});

When('the SBC is killed and started again', async function (this: SbcWorld) {
  const control = sutControl(this);
  if (!control) {
    this.notes.push('the SUT profile has no control section (kill and start): not run');
    return 'skipped';
  }
  const killed = await control.kill();
  const started = await control.start();
  this.notes.push(`SBC killed (${killed.how}) and started again (${started.how}), ready after ${started.readyAfterMs} ms`);
  return undefined;
});
