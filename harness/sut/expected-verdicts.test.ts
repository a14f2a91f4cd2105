import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareFiles, compareVerdicts, describeDifferences, ExpectedVerdictsError, parseCertificateVerdicts, parseExpected } from './expected-verdicts';

const cert = (entries: [string, string][]): string => JSON.stringify({ sut: 'kamailio', requirements: entries.map(([id, verdict]) => ({ id, title: 't', verdict, scenarios: [] })) });

describe('expected verdicts', () => {
  it('finds no difference when every verdict is as expected', () => {
    const actual = parseCertificateVerdicts(cert([['GEN-01', 'pass'], ['IN-01', 'fail']]), 'c.json');
    expect(compareVerdicts({ 'GEN-01': 'pass', 'IN-01': 'fail' }, actual)).toEqual([]);
  });

  it('lists changed, missing and unexpected IDs, in both directions', () => {
    const actual = parseCertificateVerdicts(cert([['GEN-01', 'fail'], ['GEN-02', 'pass'], ['OUT-01', 'incomplete'], ['OUT-09', 'pass']]), 'c.json');
    const diffs = compareVerdicts({ 'GEN-01': 'pass', 'GEN-02': 'fail', 'OUT-01': 'incomplete', 'IN-04': 'pass' }, actual);
    expect(diffs).toEqual([
      { id: 'GEN-01', expected: 'pass', actual: 'fail' },
      { id: 'GEN-02', expected: 'fail', actual: 'pass' },
      { id: 'IN-04', expected: 'pass', actual: undefined },
      { id: 'OUT-09', expected: undefined, actual: 'pass' },
    ]);
    expect(describeDifferences(diffs)).toEqual([
      'GEN-01: expected pass, got fail',
      'GEN-02: expected fail, got pass',
      'IN-04: expected pass, not in the certificate',
      'OUT-09: pass in the certificate, not in the expected verdicts',
    ]);
  });

  it('refuses a bad expectation or certificate with the file and field named', () => {
    expect(() => parseExpected('{"GEN-01": "passed"}', 'e.json')).toThrow(/e\.json: GEN-01: Invalid enum value/);
    expect(() => parseExpected('{"gen1": "pass"}', 'e.json')).toThrow(/e\.json: gen1: expected a requirement ID/);
    expect(() => parseExpected('{', 'e.json')).toThrow(ExpectedVerdictsError);
    expect(() => parseCertificateVerdicts('{"requirements": [{"id": "GEN-01"}]}', 'c.json')).toThrow(/c\.json: requirements\.0\.verdict: Required/);
    expect(() => parseCertificateVerdicts(cert([['GEN-01', 'pass'], ['GEN-01', 'fail']]), 'c.json')).toThrow(/GEN-01 appears twice/);
  });

  const dir = mkdtempSync(join(tmpdir(), 'expected-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('compares files, and names a file that cannot be read', () => {
    writeFileSync(join(dir, 'certificate.json'), cert([['GEN-04', 'pass']]));
    writeFileSync(join(dir, 'expected.json'), '{"GEN-04": "fail"}');
    expect(compareFiles(join(dir, 'certificate.json'), join(dir, 'expected.json'))).toEqual([{ id: 'GEN-04', expected: 'fail', actual: 'pass' }]);
    expect(() => compareFiles(join(dir, 'nope.json'), join(dir, 'expected.json'))).toThrow(/nope\.json: cannot read: ENOENT/);
  });

  it('the committed Kamailio expectation is well formed', async () => {
    const { readFileSync } = await import('node:fs');
    const file = join(import.meta.dirname, '../../topology/suts/kamailio/expected.json');
    expect(Object.keys(parseExpected(readFileSync(file, 'utf8'), file)).length).toBeGreaterThan(10);
  });
});
