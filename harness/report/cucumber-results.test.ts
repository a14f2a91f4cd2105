import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EVIDENCE_MEDIA_TYPE, INCOMPLETE_MEDIA_TYPE, parseCucumberMessages, readCucumberMessages } from './cucumber-results';
import { fakeRun, ndjson } from './test-messages';
import { judgeRequirement } from './verdicts';

const dir = mkdtempSync(join(tmpdir(), 'cucumber-results-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const REPO = join(import.meta.dirname, '..', '..');

describe('reading cucumber messages', () => {
  it('knows every pickle, run or filtered out, with its line, tags, status, reasons and evidence folder', () => {
    const run = parseCucumberMessages(ndjson(fakeRun([
      { name: 'ran', tags: ['GEN-01'], status: 'passed', evidenceDir: 'scenarios/001-ran', seconds: 3 },
      { name: 'filtered', tags: ['IN-01'] },
      { name: 'no cdr query', tags: ['GEN-05'], status: 'skipped', incomplete: ['the profile has no CDR query'] },
      { name: 'broke', tags: ['GEN-04'], status: 'failed', message: 'Error: no 200\n    at x (/tmp/a.ts:1:1)' },
    ])));
    expect(run.runFinished).toBe(true);
    const [ran, filtered, skipped, broke] = run.scenarios;
    expect(ran).toMatchObject({ name: 'ran', uri: 'features/f.feature', line: 3, tags: ['GEN-01'], selected: true, finished: true, status: 'passed', evidenceDir: 'scenarios/001-ran' });
    expect(ran!.finishedAt! - ran!.startedAt!).toBe(3000);
    expect(filtered).toMatchObject({ name: 'filtered', line: 8, selected: false, finished: false });
    expect(filtered!.status).toBeUndefined();
    expect(skipped).toMatchObject({ status: 'skipped', incomplete: ['the profile has no CDR query'] });
    expect(broke).toMatchObject({ status: 'failed', message: 'Error: no 200\n    at x (/tmp/a.ts:1:1)' });
  });

  it('keeps only the last attempt of a retried scenario and decodes base64 attachments', () => {
    const t = (s: number) => ({ seconds: s, nanos: 0 });
    const lines = [
      { pickle: { id: 'p1', name: 'flaky', uri: 'a.feature', astNodeIds: [], tags: [{ name: '@GEN-01' }] } },
      { testCase: { id: 't1', pickleId: 'p1' } },
      { testCaseStarted: { id: 's1', testCaseId: 't1', timestamp: t(10) } },
      { attachment: { testCaseStartedId: 's1', body: 'first attempt', mediaType: INCOMPLETE_MEDIA_TYPE } },
      { testStepFinished: { testCaseStartedId: 's1', testStepResult: { status: 'FAILED', message: 'boom' } } },
      { testCaseFinished: { testCaseStartedId: 's1', willBeRetried: true, timestamp: t(11) } },
      { testCaseStarted: { id: 's2', testCaseId: 't1', timestamp: t(12) } },
      { attachment: { testCaseStartedId: 's2', body: Buffer.from('scenarios/002-flaky').toString('base64'), mediaType: EVIDENCE_MEDIA_TYPE, contentEncoding: 'BASE64' } },
      { testStepFinished: { testCaseStartedId: 's2', testStepResult: { status: 'PASSED' } } },
      { testCaseFinished: { testCaseStartedId: 's2', willBeRetried: false, timestamp: t(13) } },
    ];
    const [s] = parseCucumberMessages(ndjson(lines)).scenarios;
    expect(s).toMatchObject({ status: 'passed', incomplete: [], evidenceDir: 'scenarios/002-flaky', startedAt: 12000, finishedAt: 13000 });
    expect(s!.message).toBeUndefined();
  });

  it('a stream cut by a crash keeps what it had: the running scenario is unfinished, the run not finished', () => {
    const text = ndjson(fakeRun([
      { name: 'done', tags: ['GEN-01'], status: 'passed' },
      { name: 'running', tags: ['GEN-01'], status: 'unfinished' },
    ], { finished: false }));
    const run = parseCucumberMessages(`${text}{"testStepFinished":{"testCase`);
    expect(run.runFinished).toBe(false);
    expect(run.scenarios.map((s) => [s.name, s.finished, s.startedAt !== undefined])).toEqual([['done', true, true], ['running', false, true]]);
  });

  it('no ndjson at all: no scenario, not finished (the certificate then says so instead of passing anything)', () => {
    expect(readCucumberMessages(join(dir, 'missing.ndjson'))).toEqual({ scenarios: [], runFinished: false });
  });

  it('cucumber itself writes a pickle for every scenario of the features, also those the tag filter leaves out', () => {
    const out = join(dir, 'dry.ndjson');
    const r = spawnSync(process.execPath, [
      '--import', 'tsx', join(REPO, 'node_modules', '@cucumber', 'cucumber', 'bin', 'cucumber.js'),
      '--dry-run', '--tags', '(@GEN-04) and not @capacity', '--format', `message:${out}`,
    ], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const run = readCucumberMessages(out);
    const scenariosInFeatures = readdirSync(join(REPO, 'features'))
      .filter((f) => f.endsWith('.feature'))
      .map((f) => readFileSync(join(REPO, 'features', f), 'utf8'))
      .reduce((n, text) => n + (text.match(/^\s*Scenario:/gm) ?? []).length, 0);
    expect(run.scenarios.length).toBeGreaterThanOrEqual(scenariosInFeatures);
    expect(run.scenarios.filter((s) => s.selected).every((s) => s.tags.includes('GEN-04'))).toBe(true);
    // IN-01's scenarios are known to the certificate even though none of them was selected.
    const in01 = judgeRequirement('IN-01', run.scenarios, '@GEN-04');
    expect(in01.scenarios.length).toBeGreaterThan(1);
    expect(in01.verdict).toBe('incomplete');
    expect(in01.scenarios.some((j) => j.outcome.why === 'not run: filtered out by the tag filter @GEN-04')).toBe(true);
  });
});
