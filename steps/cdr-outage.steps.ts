/**
 * GEN-05 across a CDR database outage: calls carried while the database is down keep exactly one row
 * each once it is back. The database is started again after the scenario whatever happens in it.
 */
import { Given, Then, When } from '@cucumber/cucumber';
import { restartPostgres, stopPostgres } from '../topology/services/postgres';
import { check, describeRun } from './assertions';
import { cdrReader, sentInvite } from './cdr.steps';
import type { SbcWorld } from './world';
import { namespaceOf } from '../topology/hosts';

Given('the CDR database is stopped', async function (this: SbcWorld) {
  if (!cdrReader(this)) return this.incomplete('GEN-05: the SUT profile has no cdr section, so no row can be checked');
  const pg = this.ctx.state.postgres;
  await stopPostgres(pg.dataDir);
  let down = true;
  const end = async (): Promise<void> => {
    if (!down) return;
    await restartPostgres({ netns: namespaceOf(this.ctx.state, this.ctx.state.addresses.postgres), dataDir: pg.dataDir, serverOptions: pg.serverOptions, logFile: pg.logFile });
    down = false;
  };
  // Registered with the stop itself: whatever fails later in the scenario, the next one finds the database up.
  this.onScenarioEnd(end);
  this.cdr.outage = { stoppedAt: Date.now(), end };
  this.notes.push(`CDR database stopped at ${new Date().toISOString()}`);
  return undefined;
});

When('{int} public callers each dial a new number over UDP and hang up after {int} s', async function (this: SbcWorld, count: number, seconds: number) {
  const runs: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const number = this.newNumber(`call ${i + 1}`);
    runs.push(this.runPublicSipp(`caller-${i + 1}`, 'uac-invite-answered.xml', { service: number, extra: ['-d', String(seconds * 1000)] }));
    // Spread the calls a little, as real traffic would be.
    await new Promise((r) => setTimeout(r, 100));
  }
  await Promise.all(runs);
  const failed = [...this.sipp.values()].filter((r) => r.name.startsWith('caller-') && r.outcome !== 'all-calls-succeeded');
  check(failed.length === 0, () => `GEN-05: ${failed.length} of ${count} calls did not complete while the database was down (the SBC must keep carrying calls):\n${failed.map(describeRun).join('\n')}`);
});

Given('the CDR database is started again after being down for {int} s', async function (this: SbcWorld, seconds: number) {
  const outage = this.cdr.outage;
  check(outage, () => 'GEN-05: the scenario did not stop the CDR database first');
  const wait = outage.stoppedAt + seconds * 1000 - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  await outage.end();
  this.notes.push(`CDR database started again at ${new Date().toISOString()}`);
});

Then('every one of those {int} calls has exactly one CDR row within {int} s', async function (this: SbcWorld, count: number, seconds: number) {
  const cdr = cdrReader(this);
  if (!cdr) return 'skipped';
  const callIds: string[] = [];
  for (let i = 0; i < count; i++) callIds.push(sentInvite(this, `caller-${i + 1}`).header('call-id')!);
  const wanted = new Set(callIds);
  await cdr.waitFor((row) => wanted.has(row.callId), { timeoutMs: seconds * 1000, count, description: `GEN-05: CDR rows for all ${count} calls made while the database was down` });
  const rows = (await cdr.rows()).filter((row) => wanted.has(row.callId));
  const perCall = new Map<string, number>();
  for (const row of rows) perCall.set(row.callId, (perCall.get(row.callId) ?? 0) + 1);
  const missing = callIds.filter((id) => !perCall.has(id));
  const duplicated = [...perCall].filter(([, n]) => n > 1).map(([id, n]) => `${id} x${n}`);
  check(missing.length === 0 && duplicated.length === 0, () => `GEN-05: after the outage, missing rows: ${missing.join(', ') || 'none'}; duplicated: ${duplicated.join(', ') || 'none'}`);
  return undefined;
});
