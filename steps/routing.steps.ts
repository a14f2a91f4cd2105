/**
 * Round robin to the core (IN-04) and routing by zone (GEN-01). Judged by where calls landed: the core
 * servers' traces by dialled number, and what the public destinations received.
 */
import { Given, Then, When } from '@cucumber/cucumber';
import { check, describeRun } from './assertions';
import { coreCall, coreSip, destination, finalStatus, startLine } from './routing-world';
import type { SbcWorld } from './world';

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
  await this.stopCoreServer(address);
  this.routing.downServer = address;
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
