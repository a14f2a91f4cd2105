import { After, AfterAll, Before, BeforeAll, setDefaultTimeout, Status } from '@cucumber/cucumber';
import { relative } from 'node:path';
import { EVIDENCE_MEDIA_TYPE } from '../harness/report/cucumber-results';
import { reapAll } from '../harness/util/process';
import { currentRun, openRun, type SbcWorld } from './world';

setDefaultTimeout(60_000);

BeforeAll({ timeout: 30_000 }, async function () {
  const run = openRun();
  await run.core.ensure('answer');
});

let scenarioIndex = 0;

Before(function (this: SbcWorld, { pickle }) {
  scenarioIndex++;
  this.openEvidence(scenarioIndex, pickle.name, pickle.tags.map((t) => t.name.replace(/^@/, '')));
  // The certificate links this scenario's evidence files through this attachment (by test case, not by name).
  this.attach(relative(this.ctx.state.reportDir, this.evidenceDir), EVIDENCE_MEDIA_TYPE);
});

After({ timeout: 50_000 }, async function (this: SbcWorld, { result }) {
  const problems = await this.undo();
  const status = result?.status ?? Status.UNKNOWN;
  this.writeEvidence(String(status));
  if (status !== Status.PASSED && this.notes.length) this.attach(this.notes.join('\n'), 'text/plain');
  this.attach(`evidence: ${relative(this.ctx.state.reportDir, this.evidenceDir)}/ in the report folder`, 'text/plain');
  if (problems.length) throw new Error(`scenario clean-up failed: ${problems.join('; ')}`);
});

AfterAll({ timeout: 30_000 }, async function () {
  await currentRun()?.core.stop();
  await reapAll();
});
