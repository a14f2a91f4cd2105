import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RUN_CHECKS_FILE, readRunChecks, writeRunChecks } from './run-checks';
import { judgeRequirement } from './verdicts';
import type { ScenarioResult } from './cucumber-results';

const dir = mkdtempSync(join(tmpdir(), 'run-checks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const passedScenario: ScenarioResult = {
  pickleId: 'p1', name: 'An answered call shows nothing of the core', uri: 'features/topology-hiding.feature', tags: ['GEN-03'],
  selected: true, finished: true, status: 'passed', incomplete: [],
};
const check = { id: 'GEN-03', name: 'Nothing the public side received during the run shows anything of the core', startedAt: 1, finishedAt: 2 };

describe('run-wide checks', () => {
  it('none when the run wrote none', () => {
    expect(readRunChecks(join(dir, 'absent'))).toEqual([]);
  });

  it('a leak found by the whole-run audit fails the requirement though every scenario of it passed', () => {
    writeRunChecks(dir, [{ ...check, outcome: 'failed', message: 'GEN-03: 2 leaks', evidenceDir: 'capture/whole-run' }]);
    const [result] = readRunChecks(dir);
    expect(result).toMatchObject({ tags: ['GEN-03'], status: 'failed', message: 'GEN-03: 2 leaks', evidenceDir: 'capture/whole-run' });
    expect(judgeRequirement('GEN-03', [passedScenario, result!], undefined).verdict).toBe('fail');
  });

  it('a clean audit passes with the scenarios; one with nothing to audit leaves the requirement incomplete', () => {
    writeRunChecks(dir, [{ ...check, outcome: 'passed' }]);
    expect(judgeRequirement('GEN-03', [passedScenario, ...readRunChecks(dir)], undefined).verdict).toBe('pass');
    writeRunChecks(dir, [{ ...check, outcome: 'incomplete', message: 'no SIP message from the SBC' }]);
    const [result] = readRunChecks(dir);
    expect(result).toMatchObject({ status: 'skipped', incomplete: ['no SIP message from the SBC'] });
    expect(judgeRequirement('GEN-03', [passedScenario, result!], undefined).verdict).toBe('incomplete');
  });

  it('an unreadable file is a check that could not be judged, named as such', () => {
    writeFileSync(join(dir, RUN_CHECKS_FILE), '[{"id": "GEN-03"}]');
    const [result] = readRunChecks(dir);
    expect(result).toMatchObject({ status: 'unknown', message: expect.stringMatching(/^capture\/run-checks\.json is unreadable/) });
  });
});
