/**
 * GEN-05, GEN-06: one CDR row per call attempt, found by the Call-ID of the caller's INVITE, with the
 * fields the requirement names. The rows are read through the SUT profile's CDR query.
 */
import { AfterAll, Then } from '@cucumber/cucumber';
import { CdrReader, type CdrRow } from '../harness/cdr/cdr-reader';
import { substitute } from '../harness/sut/profile';
import { check, describeRun } from './assertions';
import { PUBLIC_CALLER_NUMBER } from '../harness/sipp/scenario-keys';
import type { SbcWorld } from './world';
import { parseVia } from '../harness/sip/headers';

let reader: CdrReader | undefined;

/** The CDR reader for the SUT profile's query; undefined when the profile gives none (the scenario is "not run"). */
export function cdrReader(world: SbcWorld): CdrReader | undefined {
  const cdr = world.ctx.profile.cdr;
  if (!cdr) return undefined;
  reader ??= new CdrReader({ connection: substitute(cdr.connection, world.ctx.state.vars, 'cdr.connection'), query: cdr.query });
  return reader;
}

export function sentInvite(world: SbcWorld, role = 'caller') {
  const r = world.result(role);
  const invite = r.messages.find((m) => m.direction === 'sent' && m.method === 'INVITE');
  check(invite, () => `the ${role} sent no INVITE:\n${describeRun(r)}`);
  return invite;
}

/** The row of the caller's call, by its Call-ID; the failure names the scenario's ID and what is missing. */
export async function rowFor(world: SbcWorld, role = 'caller'): Promise<CdrRow | 'skipped'> {
  const cdr = cdrReader(world);
  if (!cdr) return 'skipped';
  const callId = sentInvite(world, role).header('call-id');
  const rows = await cdr.waitFor((row) => row.callId === callId, { timeoutMs: 10000, description: `${world.ids}: a CDR row with the Call-ID ${callId} of the ${role}'s INVITE` });
  return rows[0]!;
}

/**
 * GEN-05: the attempt whose INVITE `role` sent has exactly one row (found by that INVITE's Call-ID), however
 * the call ended. Waits for the row, then a little longer, so that a duplicate has the chance to appear.
 */
export async function exactlyOneRow(world: SbcWorld, role: string, what: string): Promise<'skipped' | undefined> {
  const cdr = cdrReader(world);
  if (!cdr) return 'skipped';
  const callId = sentInvite(world, role).header('call-id');
  await cdr.waitFor((row) => row.callId === callId, { timeoutMs: 10000, description: `${world.ids}: no CDR row for ${what} (Call-ID ${callId}); every attempt needs one` });
  await new Promise((r) => setTimeout(r, 500));
  const rows = (await cdr.rows()).filter((row) => row.callId === callId);
  check(rows.length === 1, () => `${world.ids}: ${rows.length} CDR rows carry Call-ID ${callId} of ${what}; expected exactly one`);
  return undefined;
}

Then('exactly one CDR row carries the caller\'s Call-ID', async function (this: SbcWorld) {
  return exactlyOneRow(this, 'caller', "the caller's call");
});


Then('that row has the caller\'s number, the dialled number and the caller\'s address as remote IP', async function (this: SbcWorld) {
  const row = await rowFor(this);
  if (row === 'skipped') return row;
  const invite = sentInvite(this);
  const callerIp = parseVia(invite.headers('via')[0] ?? '')?.host;
  const problems: string[] = [];
  if (row.srcNumber !== PUBLIC_CALLER_NUMBER) problems.push(`source number ${JSON.stringify(row.srcNumber)}, expected ${JSON.stringify(PUBLIC_CALLER_NUMBER)}`);
  if (row.dstNumber !== this.number()) problems.push(`destination number ${JSON.stringify(row.dstNumber)}, expected ${JSON.stringify(this.number())}`);
  if (row.remoteIp !== callerIp) problems.push(`remote IP ${JSON.stringify(row.remoteIp)}, expected the caller's ${callerIp}`);
  check(problems.length === 0, () => `${this.ids}: the CDR of call ${row.callId} has ${problems.join('; ')}`);
  return undefined;
});

Then('that row\'s attempt time is within {int} s of when the caller sent its INVITE', async function (this: SbcWorld, seconds: number) {
  const row = await rowFor(this);
  if (row === 'skipped') return row;
  const sentAt = sentInvite(this).at.getTime();
  const delta = Math.abs(row.attemptAt.getTime() - sentAt);
  check(delta <= seconds * 1000, () => `${this.ids}: the CDR attempt time ${row.attemptAt.toISOString()} is ${(delta / 1000).toFixed(1)} s from the INVITE the caller sent at ${new Date(sentAt).toISOString()}; at most ${seconds} s allowed`);
  return undefined;
});

/** GEN-07: the row's duration against what the caller saw, 200 OK to the BYE it sent (or received). */
async function durationAsSeen(world: SbcWorld, seconds: number, bye: 'sent' | 'received'): Promise<'skipped' | undefined> {
  const row = await rowFor(world);
  if (row === 'skipped') return row;
  const r = world.result('caller');
  const ok = r.messages.find((m) => m.direction === 'received' && m.status === 200 && /INVITE/.test(m.header('cseq') ?? ''));
  const end = r.messages.find((m) => m.direction === bye && m.method === 'BYE');
  check(ok && end, () => `${world.ids}: the caller's trace lacks the 200 OK or the BYE it ${bye}, so the connected time is unknown:\n${describeRun(r)}`);
  const seen = (end.at.getTime() - ok.at.getTime()) / 1000;
  const invite = sentInvite(world);
  const fromInvite = (end.at.getTime() - invite.at.getTime()) / 1000;
  check(Math.abs(row.durationS - seen) <= seconds, () =>
    `${world.ids}: CDR duration ${row.durationS} s, but the caller was connected for ${seen.toFixed(1)} s (200 OK to BYE; ${fromInvite.toFixed(1)} s from the INVITE); the duration must count from the answer, within ${seconds} s`);
  return undefined;
}

Then('that call\'s CDR duration is within {int} s of the time from the 200 OK to the BYE the caller saw', async function (this: SbcWorld, seconds: number) {
  return durationAsSeen(this, seconds, 'sent');
});

Then('that call\'s CDR duration is within {int} s of the time from the 200 OK to the BYE the caller received', async function (this: SbcWorld, seconds: number) {
  return durationAsSeen(this, seconds, 'received');
});

AfterAll(async function () {
  await reader?.close();
  reader = undefined;
});

Then('the caller\'s CDR row has duration 0', async function (this: SbcWorld) {
  const row = await rowFor(this);
  if (row === 'skipped') return row;
  check(row.durationS === 0, () => `${this.ids}: the CDR of call ${row.callId}, never answered, has duration ${row.durationS} s; an unanswered or rejected call has duration 0`);
  return undefined;
});

/** Beyond the requirement (GEN-06 names six fields): the final status and the absent answer time. */
Then('the caller\'s CDR row has final status {int} and no answer time', async function (this: SbcWorld, status: number) {
  const row = await rowFor(this);
  if (row === 'skipped') return row;
  const problems: string[] = [];
  if (row.finalStatus !== status) problems.push(`final status ${row.finalStatus}, expected ${status}`);
  if (row.answerAt !== null) problems.push(`answer time ${row.answerAt.toISOString()} for a call never answered`);
  check(problems.length === 0, () => `GEN-05 (beyond the requirement): the CDR of unanswered call ${row.callId}: ${problems.join('; ')}`);
  return undefined;
});
