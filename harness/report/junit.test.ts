import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCucumberMessages } from './cucumber-results';
import { renderJunit, scenarioSuite, vitestSuites } from './junit';
import { fakeRun, ndjson } from './test-messages';

const dir = mkdtempSync(join(tmpdir(), 'junit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const paths = { reportDir: join(dir, 'reports', 'r'), repoRoot: dir };

describe('JUnit for CI', () => {
  const run = parseCucumberMessages(ndjson(fakeRun([
    { name: 'options', tags: ['GEN-04'], status: 'passed', seconds: 2 },
    { name: 'block & ban', tags: ['IN-01', 'GEN-01', 'slow'], status: 'failed', message: `AssertionError: IN-01: <INVITE> answered\n    at x (${dir}/steps/b.ts:1:1)` },
    { name: 'cdr', tags: ['GEN-05'], status: 'skipped', incomplete: ['the profile has no CDR query'] },
    { name: 'final_status', tags: ['GEN-06', 'beyond'], status: 'passed' },
    { name: 'filtered', tags: ['IN-02'] },
  ])));

  it('gives each scenario a property per requirement ID (not other tags), marks beyond checks, skips with the reason', () => {
    const xml = renderJunit([scenarioSuite(run.scenarios, '@x', paths)]);
    expect(xml).toContain('<testcase name="options" classname="features/f.feature" time="2.000"><properties><property name="requirement" value="GEN-04"/><property name="location" value="features/f.feature:3"/></properties></testcase>');
    expect(xml).toContain('<property name="requirement" value="IN-01"/><property name="requirement" value="GEN-01"/>');
    expect(xml).not.toContain('value="slow"');
    expect(xml).toContain('<property name="beyond" value="true"/>');
    expect(xml).toContain('<failure message="IN-01: &lt;INVITE&gt; answered" type="failure">');
    expect(xml).toContain('at x (steps/b.ts:1:1)');
    expect(xml).not.toContain(dir);
    expect(xml).toContain('<skipped message="the profile has no CDR query"/>');
    // Filtered-out scenarios are on the certificate, not in CI's list of tests that ran.
    expect(xml).not.toContain('name="filtered"');
    expect(xml).toMatch(/<testsuite name="acceptance scenarios" tests="4" failures="1" errors="0" skipped="1"/);
  });

  it('includes the unit tests from vitest.json, with a failing case for a test file that did not load', () => {
    const file = join(dir, 'vitest.json');
    writeFileSync(file, JSON.stringify({
      testResults: [
        { name: join(dir, 'harness/a.test.ts'), status: 'failed', assertionResults: [
          { ancestorTitles: ['parser'], title: 'folds', status: 'failed', duration: 4, failureMessages: ['AssertionError: expected 1 to be 2\n    at t'] },
          { ancestorTitles: ['parser'], title: 'root only', status: 'skipped', failureMessages: [] },
          { ancestorTitles: [], title: 'ok', status: 'passed', duration: 1, failureMessages: [] },
        ] },
        { name: join(dir, 'harness/b.test.ts'), status: 'failed', message: 'SyntaxError: Unexpected token', assertionResults: [] },
      ],
    }));
    const suites = vitestSuites(file, paths);
    const xml = renderJunit([...suites, scenarioSuite(run.scenarios, undefined, paths)]);
    expect(xml).toContain('<testsuite name="harness/a.test.ts" tests="3" failures="1" errors="0" skipped="1"');
    expect(xml).toContain('<testcase name="parser &gt; folds" classname="harness/a.test.ts" time="0.004"><failure message="expected 1 to be 2"');
    expect(xml).toContain('<testcase name="(test file)" classname="harness/b.test.ts" time="0.000"><failure message="Unexpected token"');
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="sbc-certify" tests="8" failures="3">/);
  });

  it('no vitest.json (a certify run): only the scenarios', () => {
    expect(vitestSuites(join(dir, 'none.json'), paths)).toEqual([]);
  });

  it('drops characters XML 1.0 cannot carry (a malformed SIP message quoted in a failure)', () => {
    const r = parseCucumberMessages(ndjson(fakeRun([{ name: 'x', tags: ['GEN-01'], status: 'failed', message: 'Error: got \u0000\u0007INVITE' }])));
    expect(renderJunit([scenarioSuite(r.scenarios, undefined, paths)])).toContain('message="got INVITE"');
  });
});
