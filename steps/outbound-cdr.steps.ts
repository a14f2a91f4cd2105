import { join } from 'node:path';
import { Then, When } from '@cucumber/cucumber';
import { startSipp } from '../harness/sipp/runner';
import { setEnumRecords } from '../topology/services/knot';
import { REPO_ROOT } from '../topology/paths';
import { check, describeRun } from './assertions';
import { cdrReader } from './cdr.steps';
import { CORE_CALLER_NUMBER, coreCall } from './routing-world';
import type { SbcWorld } from './world';

/**
 * GEN-05/06 for an outbound call: a core server calls a number whose ENUM record points at a public
 * device; the SBC's row names the public leg (the Call-ID the device received, the device's address).
 */
const deviceAddress = new WeakMap<SbcWorld, string>();

When('a core server calls a new number whose ENUM record points at a public device over UDP, and hangs up after {int} s', async function (this: SbcWorld, seconds: number) {
  const { state } = this.ctx;
  const ep = this.publicEndpoint();
  deviceAddress.set(this, ep.ip);
  const device = startSipp({
    name: 'device',
    evidenceDir: this.evidenceDir,
    netns: state.namespaces.pub,
    killAfterMs: 60_000,
    options: {
      scenario: { file: join(REPO_ROOT, 'scenarios', 'uas-answer.xml') },
      localIp: ep.ip, localPort: ep.port, mediaIp: ep.ip, mediaPort: 20000 + ((ep.port * 2) % 20000),
      calls: 1, recvTimeoutMs: 10_000, timeoutS: 30,
    },
  });
  this.onScenarioEnd(async () => void (await device.stop()));
  const number = this.newNumber();
  await setEnumRecords(state.enumDns, [{ number, order: 10, preference: 10, uri: `sip:${number}@${ep.ip}:${ep.port}` }]);
  const caller = await coreCall(this, 'core-caller', number, { answered: true, holdMs: seconds * 1000 });
  const answered = await Promise.race([device.done(), new Promise<undefined>((r) => setTimeout(() => r(undefined), 5000))]);
  const deviceRun = answered ?? (await device.stop());
  this.sipp.set('device', deviceRun);
  this.notes.push(deviceRun.summary);
  check(caller.outcome === 'all-calls-succeeded', () => `GEN-05: the outbound call did not complete (answered, BYE, 200 OK) at the core caller:\n${describeRun(caller)}\ndevice:\n${describeRun(deviceRun)}`);
  check(deviceRun.messages.some((m) => m.direction === 'received' && m.method === 'INVITE'), () => `GEN-05: the public device received no INVITE for ${number}:\n${describeRun(deviceRun)}`);
});

Then('exactly one CDR row carries the Call-ID the public device received, with the core caller\'s number, the dialled number and the device\'s address as remote IP', async function (this: SbcWorld) {
  const cdr = cdrReader(this);
  if (!cdr) return 'skipped';
  const invite = this.result('device').messages.find((m) => m.direction === 'received' && m.method === 'INVITE');
  const callId = invite?.header('call-id');
  check(callId, () => 'GEN-05: the public device received no INVITE with a Call-ID');
  await cdr.waitFor((row) => row.callId === callId, { timeoutMs: 10_000, description: `GEN-05: a CDR row with the public leg's Call-ID ${callId}` });
  // Give a duplicate the chance to appear before counting.
  await new Promise((r) => setTimeout(r, 500));
  const rows = (await cdr.rows()).filter((row) => row.callId === callId);
  check(rows.length === 1, () => `GEN-05: ${rows.length} CDR rows carry the outbound call's public Call-ID ${callId}; expected exactly one`);
  const row = rows[0]!;
  const problems: string[] = [];
  if (row.srcNumber !== CORE_CALLER_NUMBER) problems.push(`source number ${JSON.stringify(row.srcNumber)}, expected ${JSON.stringify(CORE_CALLER_NUMBER)}`);
  if (row.dstNumber !== this.number()) problems.push(`destination number ${JSON.stringify(row.dstNumber)}, expected ${JSON.stringify(this.number())}`);
  if (row.remoteIp !== deviceAddress.get(this)) problems.push(`remote IP ${JSON.stringify(row.remoteIp)}, expected the device's ${deviceAddress.get(this)}`);
  if (row.answerAt === null) problems.push('no answer time for an answered call');
  check(problems.length === 0, () => `GEN-06: the CDR of outbound call ${callId} has ${problems.join('; ')}`);
  return undefined;
});
