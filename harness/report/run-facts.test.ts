import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSutProfile } from '../sut/profile';
import { machineFacts, shownPath, suiteFacts, sutFacts } from './run-facts';

const dir = mkdtempSync(join(tmpdir(), 'run-facts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const REPO = join(import.meta.dirname, '..', '..');

describe('run facts', () => {
  it('the SUT: name and version from the profile, the profile file and its sha256', () => {
    const file = join(dir, 'vendor.yaml');
    writeFileSync(file, 'name: vendor-sbc\nversion: 5.6\n');
    expect(sutFacts(file, REPO)).toEqual({ name: 'vendor-sbc', version: '5.6', profile: { file: 'vendor.yaml', sha256: createHash('sha256').update(readFileSync(file)).digest('hex') } });
    writeFileSync(file, 'name: vendor-sbc\n');
    expect(sutFacts(file, REPO).version).toBeUndefined();
    expect(sutFacts(file, REPO, 'Server: vendor-sbc 7.1-b3')).toMatchObject({ reported: 'Server: vendor-sbc 7.1-b3' });
  });

  it('the profile schema accepts the optional version field (the certificate shows it)', () => {
    // Read as the reference profile itself: its templates resolve relative to its own folder.
    const file = join(REPO, 'topology', 'profiles', 'reference-sbc.yaml');
    expect(parseSutProfile(`${readFileSync(file, 'utf8')}\nversion: "0.1.0 build 12"\n`, file).version).toBe('0.1.0 build 12');
  });

  it('paths are shown relative to the repository, else by file name only', () => {
    expect(shownPath(join(REPO, 'topology', 'profiles', 'x.yaml'), REPO)).toBe('topology/profiles/x.yaml');
    expect(shownPath('/opt/vendor/profiles/x.yaml', REPO)).toBe('x.yaml');
  });

  it('the suite: package version and git commit; the machine', () => {
    const s = suiteFacts(REPO);
    expect(s.name).toBe('sbc-certify');
    expect(s.commit).toMatch(/^([0-9a-f]{40}|unknown)$/);
    expect(suiteFacts(dir)).toMatchObject({ version: '0.0.0', commit: 'unknown', modified: false });
    expect(machineFacts().cpus).toBeGreaterThan(0);
  });
});
