/**
 * One JUnit XML file for CI: the unit tests (vitest's JSON report) and the acceptance scenarios, each
 * scenario carrying its requirement IDs as `<property name="requirement" value="GEN-04"/>`, so a CI
 * system can show results by requirement. Scenarios that gave no answer are `<skipped>` with the reason.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { ScenarioResult } from './cucumber-results';
import { plainError, scrubPaths, type PathContext } from './plain-words';
import { REQUIREMENTS } from './requirements';
import { BEYOND_TAG, certifiable, scenarioOutcome } from './verdicts';

interface Case {
  name: string;
  classname: string;
  timeS: number;
  properties: [string, string][];
  failure?: { message: string; body: string };
  skipped?: string;
}

interface Suite {
  name: string;
  cases: Case[];
  /** A whole test file that failed to load. */
  error?: string;
}

// XML 1.0 allows no control characters but tab, newline and carriage return.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;
const xml = (s: string): string => s.replace(CONTROL, '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);

/** The acceptance scenarios the tag filter selected (the others are on the certificate as "filtered out"). */
export function scenarioSuite(scenarios: ScenarioResult[], tagFilter: string | undefined, paths: PathContext): Suite {
  const cases = certifiable(scenarios)
    .filter((s) => s.selected)
    .map((s): Case => {
      const o = scenarioOutcome(s, tagFilter);
      const properties: [string, string][] = s.tags.filter((t) => t in REQUIREMENTS).map((t) => ['requirement', t]);
      if (s.tags.includes(BEYOND_TAG)) properties.push(['beyond', 'true']);
      properties.push(['location', `${s.uri}${s.line ? `:${s.line}` : ''}`]);
      const c: Case = {
        name: s.name,
        classname: s.uri,
        timeS: s.startedAt !== undefined && s.finishedAt !== undefined ? (s.finishedAt - s.startedAt) / 1000 : 0,
        properties,
      };
      if (o.outcome === 'failed') {
        const p = plainError(o.why, paths);
        c.failure = { message: p.reason, body: [p.reason, p.details].filter(Boolean).join('\n\n') };
      } else if (o.outcome === 'incomplete') c.skipped = o.why ?? 'no answer';
      return c;
    });
  return { name: 'acceptance scenarios', cases };
}

interface VitestReport {
  testResults?: {
    name: string;
    status?: string;
    message?: string;
    assertionResults?: { ancestorTitles?: string[]; title: string; fullName?: string; status: string; duration?: number | null; failureMessages?: string[] }[];
  }[];
}

/** vitest's `--reporter=json` output as one suite per test file. */
export function vitestSuites(file: string, paths: PathContext): Suite[] {
  if (!existsSync(file)) return [];
  const report = JSON.parse(readFileSync(file, 'utf8')) as VitestReport;
  return (report.testResults ?? []).map((f): Suite => {
    const name = scrubPaths(f.name, paths);
    const cases = (f.assertionResults ?? []).map((a): Case => {
      const c: Case = { name: [...(a.ancestorTitles ?? []), a.title].join(' > '), classname: name, timeS: (a.duration ?? 0) / 1000, properties: [] };
      if (a.status === 'failed') {
        const p = plainError((a.failureMessages ?? []).join('\n'), paths);
        c.failure = { message: p.reason, body: [p.reason, p.details].filter(Boolean).join('\n\n') };
      } else if (a.status !== 'passed') c.skipped = a.status;
      return c;
    });
    const loadFailed = f.status === 'failed' && !cases.some((c) => c.failure);
    return { name, cases, ...(loadFailed ? { error: plainError(f.message || 'the test file failed', paths).reason } : {}) };
  });
}

function renderSuite(s: Suite): string {
  const cases = [...s.cases];
  // A file that failed to load has no test case of its own; without one CI would show it green.
  if (s.error) cases.push({ name: '(test file)', classname: s.name, timeS: 0, properties: [], failure: { message: s.error, body: s.error } });
  const failures = cases.filter((c) => c.failure).length;
  const skipped = cases.filter((c) => c.skipped !== undefined).length;
  const time = cases.reduce((t, c) => t + c.timeS, 0);
  const body = cases.map((c) => {
    const props = c.properties.length ? `<properties>${c.properties.map(([n, v]) => `<property name="${xml(n)}" value="${xml(v)}"/>`).join('')}</properties>` : '';
    const inner = c.failure
      ? `<failure message="${xml(c.failure.message)}" type="failure">${xml(c.failure.body)}</failure>`
      : c.skipped !== undefined
        ? `<skipped message="${xml(c.skipped)}"/>`
        : '';
    return `    <testcase name="${xml(c.name)}" classname="${xml(c.classname)}" time="${c.timeS.toFixed(3)}">${props}${inner}</testcase>`;
  });
  return `  <testsuite name="${xml(s.name)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${time.toFixed(3)}">\n${body.join('\n')}\n  </testsuite>`;
}

export function renderJunit(suites: Suite[]): string {
  const all = suites.flatMap((s) => s.cases.length + (s.error ? 1 : 0));
  const tests = all.reduce((a, b) => a + b, 0);
  const failures = suites.reduce((n, s) => n + s.cases.filter((c) => c.failure).length + (s.error ? 1 : 0), 0);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="sbc-certify" tests="${tests}" failures="${failures}">\n${suites.map(renderSuite).join('\n')}\n</testsuites>\n`;
}
