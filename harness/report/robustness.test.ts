import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRobustnessSummary, readRobustnessSection } from './robustness';

const dir = mkdtempSync(join(tmpdir(), 'robustness-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const good = {
  version: 1, seed: 7, cases: 3, byAnswer: { '400': 2, none: 1 }, byGroup: { torture: { cases: 3, byAnswer: { '400': 2, none: 1 } } },
  crashes: 0, coreMessagesOverLimit: 0, fiveXxForCallerFault: 0, callsLeftOpen: 0, cdrsMissing: 0, failures: [],
};

describe('robustness section', () => {
  it('absent when the run had no robustness stage', () => {
    expect(readRobustnessSection(dir)).toBeUndefined();
  });

  it('passes with every defect counter at zero and no failures; any one of them fails it', () => {
    expect(parseRobustnessSummary(good, 'f')).toMatchObject({ verdict: 'pass' });
    for (const k of ['crashes', 'coreMessagesOverLimit', 'fiveXxForCallerFault', 'callsLeftOpen', 'cdrsMissing']) {
      expect(parseRobustnessSummary({ ...good, [k]: 1 }, 'f'), k).toMatchObject({ verdict: 'fail' });
    }
    expect(parseRobustnessSummary({ ...good, failures: [{ case: 'c1', why: 'no answer to the next call' }] }, 'f')).toMatchObject({ verdict: 'fail' });
  });

  it('a summary of the wrong shape is shown as unreadable with the field named, not dropped', () => {
    const r = parseRobustnessSummary({ ...good, crashes: 'none', byGroup: { g: { cases: 1 } } }, 'robustness/summary.json');
    expect(r).toEqual({ file: 'robustness/summary.json', error: expect.stringMatching(/^the robustness summary is unreadable: /) });
    const error = 'error' in r ? r.error : '';
    expect(error).toContain('crashes: Expected number, received string');
    expect(error).toContain('byGroup.g.byAnswer: Required');
  });

  it('a file that is not JSON is unreadable too', () => {
    mkdirSync(join(dir, 'robustness'));
    writeFileSync(join(dir, 'robustness', 'summary.json'), '{"cases": 3,');
    expect(readRobustnessSection(dir)).toMatchObject({ file: 'robustness/summary.json', error: expect.stringMatching(/^the robustness summary is not JSON/) });
  });
});
