import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCertificate, writeCertificate } from './certificate';
import { readCucumberMessages, type ScenarioResult } from './cucumber-results';

const dir = mkdtempSync(join(tmpdir(), 'cert-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const scenario = (name: string, tags: string[], status: ScenarioResult['status']): ScenarioResult => ({ name, uri: 'f.feature', tags, status, durationMs: 1 });

describe('certificate', () => {
  it('passes a requirement only when it ran and nothing of it failed; "not run" otherwise', () => {
    const cert = buildCertificate({
      sut: 'x',
      runId: 'r',
      scenarios: [
        scenario('a', ['GEN-01'], 'passed'),
        scenario('b', ['GEN-04'], 'passed'),
        scenario('c', ['GEN-04'], 'failed'),
        scenario('d', ['IN-01'], 'skipped'),
        scenario('e', ['IN-03'], 'undefined'),
      ],
    });
    const verdict = (id: string): string | undefined => cert.requirements.find((r) => r.id === id)?.verdict;
    expect(verdict('GEN-01')).toBe('pass');
    expect(verdict('GEN-04')).toBe('fail');
    expect(verdict('IN-01')).toBe('not run');
    expect(verdict('IN-03')).toBe('fail');
    expect(verdict('OUT-02')).toBe('not run');
    expect(cert.summary.pass + cert.summary.fail + cert.summary['not run']).toBe(cert.requirements.length);
    expect(cert.requirements.map((r) => r.id)).not.toContain('SUITE-04');
  });

  it('writes JSON and escaped HTML', () => {
    const cert = buildCertificate({ sut: '<sbc>', runId: 'r', scenarios: [scenario('x & y', ['GEN-01'], 'failed')] });
    const files = writeCertificate(dir, cert);
    expect(JSON.parse(readFileSync(files.json, 'utf8')).sut).toBe('<sbc>');
    const html = readFileSync(files.html, 'utf8');
    expect(html).toContain('&lt;sbc&gt;');
    expect(html).toContain('x &amp; y');
  });
});

describe('cucumber messages', () => {
  it('takes the worst step status of each scenario and ignores retried attempts', () => {
    const ts = (s: number) => ({ seconds: s, nanos: 0 });
    const lines = [
      { pickle: { id: 'p1', name: 'one', uri: 'a.feature', tags: [{ name: '@GEN-01' }] } },
      { pickle: { id: 'p2', name: 'two', uri: 'a.feature', tags: [{ name: '@GEN-04' }] } },
      { testCase: { id: 't1', pickleId: 'p1' } },
      { testCase: { id: 't2', pickleId: 'p2' } },
      { testCaseStarted: { id: 's1', testCaseId: 't1', timestamp: ts(10) } },
      { testStepFinished: { testCaseStartedId: 's1', testStepResult: { status: 'PASSED' } } },
      { testStepFinished: { testCaseStartedId: 's1', testStepResult: { status: 'FAILED', message: 'boom' } } },
      { testStepFinished: { testCaseStartedId: 's1', testStepResult: { status: 'SKIPPED' } } },
      { testCaseFinished: { testCaseStartedId: 's1', willBeRetried: false, timestamp: ts(12) } },
      { testCaseStarted: { id: 's2', testCaseId: 't2', timestamp: ts(12) } },
      { testStepFinished: { testCaseStartedId: 's2', testStepResult: { status: 'PASSED' } } },
      { testCaseFinished: { testCaseStartedId: 's2', willBeRetried: false, timestamp: ts(13) } },
    ];
    const file = join(dir, 'm.ndjson');
    writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n'));
    const results = readCucumberMessages(file);
    expect(results).toEqual([
      { name: 'one', uri: 'a.feature', tags: ['GEN-01'], status: 'failed', message: 'boom', durationMs: 2000 },
      { name: 'two', uri: 'a.feature', tags: ['GEN-04'], status: 'passed', message: undefined, durationMs: 1000 },
    ]);
  });
});
