import { AfterAll, Given, Then, When } from '@cucumber/cucumber';
import type { TracedMessage } from '../harness/sipp/messages';
import type { SippInstance } from '../harness/sipp/runner';
import { SutControl } from '../harness/sut/lifecycle';
import { sutHostOf } from '../topology/sut-host';
import { check, describeRun } from './assertions';
import { cdrReader } from './cdr.steps';
import type { SbcWorld } from './world';

/**
 * GEN-05 across a crash: the SBC is killed outright (no clean shutdown) and started again through the
 * SUT profile's `control` section; every call that had got its final response before the kill must
 * still have exactly one CDR row.
 */
let control: SutControl | undefined;

/** The run's one controller of the SUT (other features restart the SBC through it too, so its pid stays right). */
export function sutControl(world: SbcWorld): SutControl | undefined {
  const { profile, state } = world.ctx;
  control ??= SutControl.for(sutHostOf(state, profile), state.sbc.pid);
  return control;
}

const isInviteResponse = (m: TracedMessage): boolean => m.direction === 'received' && m.status !== undefined && /INVITE/.test(m.header('cseq') ?? '');
const isByeOk = (m: TracedMessage): boolean => m.direction === 'received' && m.status === 200 && /BYE/.test(m.header('cseq') ?? '');

/** Starts callers 100 ms apart, as real traffic would come; they are stopped (if still up) after the scenario. */
async function startCallers(world: SbcWorld, count: number, role: string, extra: string[]): Promise<SippInstance[]> {
  const started: SippInstance[] = [];
  for (let i = 1; i <= count; i++) {
    const number = world.newNumber(`${role}-${i}`);
    started.push(world.startPublicSipp(`${role}-${i}`, 'uac-invite-answered.xml', { service: number, extra }));
    await new Promise((r) => setTimeout(r, 100));
  }
  world.restart.callers.push(...started);
  return started;
}

/** Polls the callers' traces (SIPp writes them as it goes) until each shows `reached`. */
async function waitForTraces(instances: SippInstance[], reached: (m: TracedMessage) => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const instance of instances) {
    for (;;) {
      const exited = instance.proc.child.exitCode !== null || instance.proc.child.signalCode !== null;
      if (instance.messages().some(reached)) break;
      if (exited || Date.now() > deadline) {
        const r = await instance.stop();
        check(false, () => `GEN-05: call ${instance.name} was not ${what} ${exited ? 'when its caller ended' : `within ${timeoutMs} ms`}, so it proves nothing about the kill:\n${describeRun(r)}`);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

Given('the SUT can be killed and started again', function (this: SbcWorld) {
  if (!sutControl(this)) {
    this.notes.push('the SUT profile has no control section (kill and start): the crash scenario is not run');
    return 'skipped';
  }
  return undefined;
});

When('{int} public callers each dial a new number over UDP and are rejected', async function (this: SbcWorld, count: number) {
  const runs: Promise<unknown>[] = [];
  for (let i = 1; i <= count; i++) {
    const number = this.newNumber(`rejected-${i}`);
    runs.push(this.runPublicSipp(`rejected-${i}`, 'uac-invite-rejected-busy.xml', { service: number }));
    await new Promise((r) => setTimeout(r, 100));
  }
  await Promise.all(runs);
  const failed = [...this.sipp.values()].filter((r) => r.name.startsWith('rejected-') && r.outcome !== 'all-calls-succeeded');
  check(failed.length === 0, () => `GEN-05: ${failed.length} of ${count} calls were not rejected as scripted, so they prove nothing about the kill:\n${failed.map(describeRun).join('\n')}`);
});

When('{int} public callers each dial a new number over UDP and stay connected', async function (this: SbcWorld, count: number) {
  // Held longer than the rest of the scenario: these calls are still up when the SBC dies.
  const instances = await startCallers(this, count, 'held', ['-d', '50000']);
  // Connected means the 200 OK reached the caller (SIPp ACKs it at once).
  await waitForTraces(instances, (m) => isInviteResponse(m) && m.status === 200, 'answered', 10_000);
});

When('{int} public callers each complete a call over UDP, hanging up after {int} s', async function (this: SbcWorld, count: number, seconds: number) {
  const instances = await startCallers(this, count, 'released', ['-d', String(seconds * 1000)]);
  // Returns as soon as the last BYE is answered, so the kill can follow while records may still be on their way.
  await waitForTraces(instances, isByeOk, 'answered and released (BYE answered 200)', seconds * 1000 + 10_000);
});

/**
 * How soon after the last call ended the SBC is killed: before a batching SBC can have written its
 * rows, so a row it held only in memory is lost unless it recovers it.
 */
const KILL_DELAY_MS = 50;

/** Killed outright: SIGKILL through the profile's control section, no clean shutdown, no flush. */
When('the SBC is killed outright moments after the last of those calls ended', async function (this: SbcWorld) {
  await new Promise((r) => setTimeout(r, KILL_DELAY_MS));
  const outcome = await sutControl(this)!.kill();
  this.restart.killedAt = outcome.at;
  this.notes.push(`SBC killed at ${outcome.at.toISOString()} (${outcome.how})`);
});

When('the SBC is started again and is ready', async function (this: SbcWorld) {
  const outcome = await sutControl(this)!.start();
  this.notes.push(`SBC started again (${outcome.how}${outcome.pid ? `, pid ${outcome.pid}` : ''}), ready at ${outcome.readyAt.toISOString()} after ${outcome.readyAfterMs} ms`);
});

/** How a call stood at the kill, from the caller's own trace. */
function standing(messages: TracedMessage[], kill: Date): 'rejected' | 'released' | 'in progress' {
  const before = messages.filter((m) => m.at.getTime() < kill.getTime());
  const final = before.find((m) => isInviteResponse(m) && m.status! >= 200);
  if (final && final.status! >= 300) return 'rejected';
  return final && before.some(isByeOk) ? 'released' : 'in progress';
}

Then('every call that got its final response before the kill has exactly one CDR row within {int} s', async function (this: SbcWorld, seconds: number) {
  const cdr = cdrReader(this);
  if (!cdr) return 'skipped';
  const kill = this.restart.killedAt;
  check(kill, () => 'the SBC was not killed in this scenario');
  const traces = new Map<string, TracedMessage[]>();
  for (const r of this.sipp.values()) traces.set(r.name, r.messages);
  for (const instance of this.restart.callers) traces.set(instance.name, instance.messages());

  const owed = new Map<string, string>(); // Call-ID -> caller role
  const inProgress: string[] = [];
  for (const [role, messages] of traces) {
    const callId = messages.find((m) => m.direction === 'sent' && m.method === 'INVITE')?.header('call-id');
    check(callId, () => `GEN-05: caller ${role} sent no INVITE`);
    const s = standing(messages, kill);
    if (s === 'in progress') inProgress.push(role);
    else owed.set(callId, `${role} (${s})`);
    // The scenario's set-up promised these ended before the kill; otherwise the check below proves less.
    check(s !== 'in progress' || role.startsWith('held-'), () => `GEN-05: call ${role} had not ended when the SBC was killed`);
  }
  this.notes.push(`at the kill: ${owed.size} calls had their final response (${[...owed.values()].join(', ')}); ${inProgress.length} were in progress (${inProgress.join(', ') || 'none'}), which cannot have a complete row`);
  check(owed.size > 0, () => 'GEN-05: no call had its final response before the kill; nothing to check');

  const ids = new Set(owed.keys());
  await cdr.waitFor((row) => ids.has(row.callId), { timeoutMs: seconds * 1000, count: ids.size, description: `GEN-05: rows for the ${ids.size} calls that ended before the SBC was killed` })
    .catch(() => undefined); // the count below names exactly which rows are missing
  // Give a duplicate (a replayed record written twice) the chance to appear before counting.
  await new Promise((r) => setTimeout(r, 1000));
  const perCall = new Map<string, number>();
  for (const row of await cdr.rows()) if (ids.has(row.callId)) perCall.set(row.callId, (perCall.get(row.callId) ?? 0) + 1);
  const missing = [...owed].filter(([id]) => !perCall.has(id)).map(([id, role]) => `${role} ${id}`);
  const duplicated = [...perCall].filter(([, n]) => n > 1).map(([id, n]) => `${owed.get(id)} ${id} x${n}`);
  check(missing.length === 0 && duplicated.length === 0, () =>
    `GEN-05: after the SBC was killed and restarted, missing rows: ${missing.join(', ') || 'none'}; duplicated: ${duplicated.join(', ') || 'none'}`);
  return undefined;
});

AfterAll({ timeout: 15_000 }, async function () {
  await control?.stop();
  control = undefined;
});
