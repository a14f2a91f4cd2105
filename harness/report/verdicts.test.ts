import { describe, expect, it } from 'vitest';
import { parseCucumberMessages } from './cucumber-results';
import { fakeRun, ndjson, result } from './test-messages';
import { judgeRequirement, runComplete, scenarioOutcome } from './verdicts';

describe('verdict rules (DESIGN.md "Verdicts")', () => {
  it('passes an ID only when every one of its scenarios ran and passed', () => {
    const v = judgeRequirement('GEN-04', [result('a', ['GEN-04']), result('b', ['GEN-04'])], undefined);
    expect(v.verdict).toBe('pass');
    expect(v.scenarios).toHaveLength(2);
  });

  it('fails an ID when one scenario failed, whatever the others did', () => {
    const v = judgeRequirement('IN-01', [
      result('a', ['IN-01']),
      result('b', ['IN-01'], { status: 'failed', message: 'boom' }),
      result('c', ['IN-01'], { selected: false, finished: false, status: undefined }),
    ], '@IN-01');
    expect(v.verdict).toBe('fail');
  });

  it('--tags @GEN-04 does not mark IN-01 pass: one scenario ran, the filtered ones make it incomplete with the filter named', () => {
    const run = parseCucumberMessages(ndjson(fakeRun([
      { name: 'options', tags: ['GEN-04'], status: 'passed' },
      { name: 'block at run time', tags: ['IN-01', 'GEN-04'], status: 'passed' },
      { name: 'flood ban', tags: ['IN-01'] },
      { name: 'scanner dropped', tags: ['IN-01'] },
      { name: 'unblock', tags: ['IN-01'] },
    ])));
    const v = judgeRequirement('IN-01', run.scenarios, '@GEN-04');
    expect(v.verdict).toBe('incomplete');
    expect(v.scenarios.map((j) => j.outcome.outcome)).toEqual(['passed', 'incomplete', 'incomplete', 'incomplete']);
    expect(v.scenarios[1]!.outcome.why).toBe('not run: filtered out by the tag filter @GEN-04');
    expect(judgeRequirement('GEN-04', run.scenarios, '@GEN-04').verdict).toBe('pass');
    expect(runComplete(run.scenarios, '@GEN-04', run.runFinished)).toBe(false);
  });

  it('a skipped scenario is incomplete with the reason its step attached (capability, precondition)', () => {
    const cap = result('a', ['GEN-05'], { status: 'skipped', incomplete: ['the profile has no CDR query (cdr.query)'] });
    const pre = result('b', ['GEN-05'], { status: 'skipped', incomplete: ['precondition not met: PostgreSQL did not come back'] });
    expect(scenarioOutcome(cap, undefined)).toEqual({ outcome: 'incomplete', why: 'the profile has no CDR query (cdr.query)' });
    expect(scenarioOutcome(pre, undefined).why).toBe('precondition not met: PostgreSQL did not come back');
    expect(judgeRequirement('GEN-05', [cap, pre, result('c', ['GEN-05'])], undefined).verdict).toBe('incomplete');
  });

  it('a skip without a reason is still incomplete, never a pass', () => {
    const o = scenarioOutcome(result('a', ['GEN-08'], { status: 'skipped' }), undefined);
    expect(o).toEqual({ outcome: 'incomplete', why: 'skipped: no step said why' });
  });

  it('undefined, pending and ambiguous steps are the suite\'s gap: incomplete, not a fail of the SBC', () => {
    for (const status of ['undefined', 'pending', 'ambiguous'] as const) {
      expect(judgeRequirement('IN-03', [result('a', ['IN-03'], { status })], undefined).verdict).toBe('incomplete');
    }
  });

  it('a scenario the run never finished is incomplete (interrupted or crashed run)', () => {
    const started = result('a', ['OUT-02'], { finished: false, status: undefined, startedAt: 5 });
    const never = result('b', ['OUT-02'], { finished: false, status: undefined, startedAt: undefined });
    expect(scenarioOutcome(started, undefined).why).toBe('not finished: the run stopped during this scenario');
    expect(scenarioOutcome(never, undefined).why).toBe('not run: the run stopped before this scenario started');
    expect(judgeRequirement('OUT-02', [result('c', ['OUT-02']), started], undefined).verdict).toBe('incomplete');
  });

  it('an ID with no scenario at all is incomplete', () => {
    expect(judgeRequirement('OUT-03', [result('a', ['GEN-04'])], undefined).verdict).toBe('incomplete');
  });

  it('@beyond scenarios are reported apart and their failure does not fail the ID', () => {
    const v = judgeRequirement('GEN-06', [
      result('fields', ['GEN-06']),
      result('final_status', ['GEN-06', 'beyond'], { status: 'failed', message: 'final_status was "ok"' }),
    ], undefined);
    expect(v.verdict).toBe('pass');
    expect(v.beyond.map((j) => j.scenario.name)).toEqual(['final_status']);
    expect(v.scenarios.map((j) => j.scenario.name)).toEqual(['fields']);
  });

  it('an ID whose only scenarios are @beyond checks is incomplete: nothing checked the requirement itself', () => {
    expect(judgeRequirement('GEN-07', [result('x', ['GEN-07', 'beyond'])], undefined).verdict).toBe('incomplete');
  });

  it('capacity scenarios are never part of a certificate', () => {
    const v = judgeRequirement('GEN-01', [result('a', ['GEN-01']), result('load', ['GEN-01', 'capacity'], { selected: false, finished: false, status: undefined })], '@GEN-01');
    expect(v.verdict).toBe('pass');
    expect(v.scenarios).toHaveLength(1);
  });

  it('the run is complete only when every scenario was selected, finished and answered, and the stream ended', () => {
    const all = [result('a', ['GEN-01']), result('b', ['GEN-04'], { status: 'failed' })];
    expect(runComplete(all, undefined, true)).toBe(true);
    expect(runComplete(all, undefined, false)).toBe(false);
    expect(runComplete([...all, result('c', ['IN-02'], { status: 'skipped' })], undefined, true)).toBe(false);
    expect(runComplete([], undefined, true)).toBe(false);
  });
});
