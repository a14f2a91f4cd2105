import { join } from 'node:path';
import { Then, When } from '@cucumber/cucumber';
import { startSipp } from '../harness/sipp/runner';
import { setEnumRecords } from '../topology/services/knot';
import { REPO_ROOT } from '../topology/paths';
import { check, describeRun } from './assertions';
import { cdrReader } from './cdr.steps';
import { coreCall } from './routing-world';
import type { SbcWorld } from './world';
import type { CdrRow } from '../harness/cdr/cdr-reader';
import { CORE_CALLER_NUMBER } from '../harness/sipp/scenario-keys';

/*
 * GEN-05/06 for an outbound call: a core server calls a number whose ENUM record points at a public
 * device; the SBC's row names the public leg (the Call-ID the device received, the device's address).
 */

When('a core server calls a new number whose ENUM record points at a public device over UDP, and hangs up after {int} s', async function (this: SbcWorld, seconds: number) {
  const { state } = this.ctx;
  const ep = this.publicEndpoint();
  this.cdr.deviceAddress = ep.ip;
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
  check(caller.outcome === 'all-calls-succeeded', () => `${this.ids}: the outbound call did not complete (answered, BYE, 200 OK) at the core caller:\n${describeRun(caller)}\ndevice:\n${describeRun(deviceRun)}`);
  check(deviceRun.messages.some((m) => m.direction === 'received' && m.method === 'INVITE'), () => `${this.ids}: the public device received no INVITE for ${number}:\n${describeRun(deviceRun)}`);
});

/** The one CDR row of the outbound call, found by either leg's Call-ID; fails unless there is exactly one. */
async function outboundRow(world: SbcWorld, cdr: NonNullable<ReturnType<typeof cdrReader>>, legs: 'either' | 'public'): Promise<{ row: CdrRow; callIds: string[] }> {
  const received = (r: string): string | undefined => world.result(r).messages.find((m) => m.direction === (r === 'device' ? 'received' : 'sent') && m.method === 'INVITE')?.header('call-id');
  const publicLeg = received('device');
  check(publicLeg, () => `${world.ids}: the public device received no INVITE with a Call-ID`);
  const callIds = legs === 'public' ? [publicLeg] : [publicLeg, received('core-caller')].filter((c): c is string => !!c);
  const which = legs === 'public' ? `the public leg's Call-ID ${publicLeg}` : `the Call-ID of either leg (${callIds.join(', ')})`;
  await cdr.waitFor((row) => callIds.includes(row.callId), { timeoutMs: 10_000, description: `${world.ids}: a CDR row with ${which}` });
  // Give a duplicate the chance to appear before counting.
  await new Promise((r) => setTimeout(r, 500));
  const rows = (await cdr.rows()).filter((row) => callIds.includes(row.callId));
  check(rows.length === 1, () => `${world.ids}: ${rows.length} CDR rows carry ${which} of the outbound call; expected exactly one`);
  return { row: rows[0]!, callIds };
}

Then('exactly one CDR row carries the Call-ID of one of the call\'s legs', async function (this: SbcWorld) {
  const cdr = cdrReader(this);
  if (!cdr) return 'skipped';
  await outboundRow(this, cdr, 'either');
  return undefined;
});

Then('the row with the Call-ID of one of the call\'s legs has the core caller\'s number, the dialled number and the device\'s address as remote IP', async function (this: SbcWorld) {
  const cdr = cdrReader(this);
  if (!cdr) return 'skipped';
  const { row } = await outboundRow(this, cdr, 'either');
  const problems: string[] = [];
  if (row.srcNumber !== CORE_CALLER_NUMBER) problems.push(`source number ${JSON.stringify(row.srcNumber)}, expected ${JSON.stringify(CORE_CALLER_NUMBER)}`);
  if (row.dstNumber !== this.number()) problems.push(`destination number ${JSON.stringify(row.dstNumber)}, expected ${JSON.stringify(this.number())}`);
  if (row.remoteIp !== this.cdr.deviceAddress) problems.push(`remote IP ${JSON.stringify(row.remoteIp)}, expected the public peer's ${this.cdr.deviceAddress}`);
  check(problems.length === 0, () => `${this.ids}: the CDR of outbound call ${row.callId} has ${problems.join('; ')}`);
  return undefined;
});

/** Beyond the requirement: the row names the public leg (its Call-ID) and records the answer. */
Then('exactly one CDR row carries the Call-ID the public device received, and it has an answer time', async function (this: SbcWorld) {
  const cdr = cdrReader(this);
  if (!cdr) return 'skipped';
  const { row } = await outboundRow(this, cdr, 'public');
  check(row.answerAt !== null, () => `GEN-06 (beyond the requirement): the CDR of outbound call ${row.callId} has no answer time for an answered call`);
  return undefined;
});
