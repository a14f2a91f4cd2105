import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyDefect, DefectError, listProblems, REQUIREMENT_IDS, type Defect } from './defect';
import { DEFECTS } from './defects';
import { mutantProfile } from './mutant-workspace';
import { outcomeOf, parseMutantsArgs, unionTags } from './run-mutants';
import { REPO_ROOT } from '../topology/paths';

const source = (file: string): string => readFileSync(join(REPO_ROOT, 'reference-sbc', 'src', file), 'utf8');

describe('the planted defects', () => {
  it('are a sound list: kebab-case unique ids, known requirements, valid tag expressions', () => {
    expect(listProblems(DEFECTS)).toEqual([]);
  });

  it('number at least 40 and cover every requirement ID', () => {
    expect(DEFECTS.length).toBeGreaterThanOrEqual(40);
    const covered = new Set(DEFECTS.map((d) => d.requirement));
    expect(REQUIREMENT_IDS.filter((id) => !covered.has(id))).toEqual([]);
  });

  it.each(DEFECTS.map((d) => [d.id, d] as const))('%s applies exactly once to the current source', (_id, d) => {
    const before = source(d.file);
    const after = applyDefect(d, before);
    expect(after).not.toBe(before);
    for (const edit of [d, ...(d.also ?? [])]) expect(after).toContain(edit.replace);
  });

  it('no two defects make the same edit', () => {
    const edits = DEFECTS.map((d) => JSON.stringify([d.file, d.find, d.replace, d.also ?? []]));
    expect(new Set(edits).size).toBe(edits.length);
  });
});

describe('applyDefect', () => {
  const d: Defect = { id: 'x', requirement: 'GEN-01', what: 'w', file: 'f.ts', find: 'aa', replace: 'b', tags: '@GEN-01' };

  it('refuses a find text that is absent or ambiguous, naming the defect', () => {
    expect(() => applyDefect(d, 'none here')).toThrow(DefectError);
    expect(() => applyDefect(d, 'aa aa')).toThrow(/defect x: .*occurs 2 times/);
  });

  it('applies every further edit, each exactly once', () => {
    expect(applyDefect({ ...d, also: [{ find: 'cc', replace: 'd' }] }, 'aa cc')).toBe('b d');
    expect(() => applyDefect({ ...d, also: [{ find: 'zz', replace: 'd' }] }, 'aa cc')).toThrow(/occurs 0 times/);
  });

  it('replaces literally ($ patterns are not special)', () => {
    expect(applyDefect({ ...d, replace: '$&$1' }, 'xaax')).toBe('x$&$1x');
  });
});

describe('the command line', () => {
  it('selects defects with --only and refuses unknown ids, empty ids and unknown flags', () => {
    const ids = DEFECTS.slice(0, 2).map((d) => d.id);
    expect(parseMutantsArgs(['--only', ids.join(',')], DEFECTS).defects.map((d) => d.id)).toEqual(ids);
    expect(() => parseMutantsArgs(['--only', 'no-such-defect'], DEFECTS)).toThrow(/unknown defect no-such-defect/);
    expect(() => parseMutantsArgs(['--only', `${ids[0]},`], DEFECTS)).toThrow(/empty id/);
    expect(() => parseMutantsArgs(['--onyl', 'x'], DEFECTS)).toThrow(/Unknown option/);
    expect(() => parseMutantsArgs(['--only'], DEFECTS)).toThrow(/argument missing/);
    expect(() => parseMutantsArgs(['extra'], DEFECTS)).toThrow();
  });

  it('maps certify exit codes: only 1 is a kill', () => {
    expect([0, 1, 2, 3, 130].map(outcomeOf)).toEqual(['survived', 'killed', 'error', 'error', 'error']);
  });

  it('joins the selected tags into one expression for the baseline', () => {
    expect(unionTags([{ ...DEFECTS[0]!, tags: '@A' }, { ...DEFECTS[0]!, tags: '@B and not @C' }, { ...DEFECTS[0]!, tags: '@A' }])).toBe('(@A) or (@B and not @C)');
  });
});

describe('the mutant profile', () => {
  it('starts the mutant\'s own main.ts and names every path absolutely', () => {
    const text = mutantProfile(REPO_ROOT, '/tmp/m/x', 'x');
    expect(text).toContain('/tmp/m/x/src/main.ts');
    expect(text).not.toMatch(/^\s*- reference-sbc\/src\/main\.ts/m);
    expect(text).toContain(`template: ${join(REPO_ROOT, 'topology', 'profiles', 'reference-sbc.config.yaml')}`);
    expect(text).toContain('name: reference-sbc-mutant-x');
    expect(text).toContain(join(REPO_ROOT, 'reference-sbc', 'db', '001-cdr.sql'));
    expect(text).not.toMatch(/\.\.\/reference-sbc/);
  });
});
