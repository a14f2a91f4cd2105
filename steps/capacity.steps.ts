import { Given, Then, When } from '@cucumber/cucumber';
import { join } from 'node:path';
import { SustainedLoad } from '../harness/capacity/sustained-load';
import { REPO_ROOT } from '../topology/paths';
import type { SbcWorld } from './world';

/** The @capacity feature: a fixed load in business terms (harness/capacity/sustained-load.ts). */
let load: SustainedLoad | undefined;

const current = (): SustainedLoad => {
  if (!load) throw new Error('no capacity load in this scenario (a Given step sets it up)');
  return load;
};

Given('every call carries G.711 media through the SBC and is held {float} s', async function (this: SbcWorld, holdS: number) {
  // The capacity load answers with SIPp UAS on the core servers' SIP port: the suite's own core servers step aside.
  await this.ctx.core.stop();
  const l = new SustainedLoad({ topology: this.ctx.state, profile: this.ctx.profile, repoRoot: REPO_ROOT, dir: join(this.evidenceDir, 'capacity'), media: 'rtp', holdMs: holdS * 1000 });
  load = l;
  this.onScenarioEnd(async () => {
    await l.stop();
    load = undefined;
    await this.ctx.core.ensure('answer');
  });
  await l.start(600);
});

When('callers offer {int} new calls per second for {int} s', { timeout: 900_000 }, async function (this: SbcWorld, cps: number, seconds: number) {
  const r = await current().offer(cps, seconds);
  const m = r.measurement;
  this.notes.push(`${r.rateCps} cps for ${r.seconds} s from ${r.callers} callers: offered ${m.offeredCps} cps, ${m.callsCreated} calls, ${m.callsFailed + m.callsUnfinished} failed, setup p99 ${m.setupMs.p99 ?? '-'} ms, retransmissions ${m.retransmissions} of ${m.messages}${r.host.machineCpu ? `; machine cpu ${r.host.machineCpu.busyPercent} % busy, ${r.host.machineCpu.stealPercent} % stolen` : ''}${m.cost ? `; the SUT waited for a CPU ${m.cost.sutRunQueueWaitPercent} % of the time (rtpengine ${m.cost.mediaRelayRunQueueWaitPercent} %)` : ''}`);
});

Then('the service level held for every call of those {int} s', function (this: SbcWorld, _seconds: number) {
  const r = current().last;
  // The verdict is the service level's alone; a saturated machine is said beside it, never excused.
  const machine = r.host.machineWarning ? ` (${r.host.machineWarning})` : '';
  if (r.verdict !== 'pass') throw new Error(`${r.rateCps} calls per second for ${r.seconds} s broke the service level (${r.serviceLevel}): ${r.violations.join('; ')}${machine}`);
});
