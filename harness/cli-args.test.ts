import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkTagExpression, knownTags, parseCommandLine, UsageError } from './cli-args';

const repoRoot = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'cli-args-'));
const profile = join(dir, 'my-sbc.yaml');
writeFileSync(profile, 'name: x\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const parse = (...argv: string[]): ReturnType<typeof parseCommandLine> => parseCommandLine(argv, { repoRoot, cwd: dir });
const usageError = (...argv: string[]): string => {
  try {
    parse(...argv);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error(`accepted: ${argv.join(' ')}`);
};

describe('command line', () => {
  it('takes --sut FILE and --sut=FILE alike, relative to the working directory', () => {
    expect(parse('certify', '--sut', 'my-sbc.yaml')).toMatchObject({ name: 'certify', profileFile: profile });
    expect(parse('certify', '--sut=my-sbc.yaml')).toMatchObject({ name: 'certify', profileFile: profile });
  });

  it('defaults to the reference SBC only when no --sut is given', () => {
    expect(parse('certify')).toMatchObject({ profileFile: join(repoRoot, 'topology', 'profiles', 'reference-sbc.yaml') });
  });

  it('refuses unknown flags, typos and missing files instead of certifying the reference SBC', () => {
    expect(usageError('certify', '--sutt', 'my-sbc.yaml')).toMatch(/Unknown option '--sutt'/);
    expect(usageError('certify', '--sut', 'nope.yaml')).toMatch(/--sut nope\.yaml: no such file/);
    expect(usageError('certify', '--sut')).toMatch(/--sut/);
    expect(usageError('certify', 'stray')).toMatch(/certify/);
    expect(usageError('test', '--sut', 'my-sbc.yaml')).toMatch(/Unknown option '--sut'/);
    expect(usageError('certfy')).toMatch(/unknown command "certfy"/);
    expect(usageError('topology', 'upp')).toMatch(/unknown subcommand upp/);
    expect(usageError('capacity', '--budget-s', 'abc')).toMatch(/--budget-s needs a positive number/);
    expect(usageError('capacity', '--bugdet-s', '10')).toMatch(/Unknown option '--bugdet-s'/);
    expect(usageError('certify', '--robustness-cases', '1.5')).toMatch(/positive whole number/);
  });

  it('has --help for every command', () => {
    for (const argv of [['--help'], ['certify', '--help'], ['test', '-h'], ['topology', 'up', '--help'], ['capacity', '--help']]) {
      const cmd = parse(...argv);
      expect(cmd.name).toBe('help');
      expect(cmd.name === 'help' && cmd.text).toMatch(/exit codes: 0 pass, 1 .*2 bad usage/s);
    }
  });

  it('refuses a bad tag expression or a tag no scenario has, before anything starts', () => {
    const known = knownTags(join(repoRoot, 'features'));
    expect(known.has('GEN-04')).toBe(true);
    expect(() => checkTagExpression('@GEN-04 or @IN-01', known)).not.toThrow();
    expect(() => checkTagExpression('not @beyond and (@GEN-05 or @GEN-07)', known)).not.toThrow();
    expect(() => checkTagExpression('@GEN-04 or', known)).toThrow(/not a tag expression: an operator has no operand/);
    expect(() => checkTagExpression('(@GEN-04', known)).toThrow(/not a tag expression/);
    expect(() => checkTagExpression('@GEN-4', known)).toThrow(/@GEN-4, which no scenario has/);
    expect(parse('certify', '--tags', '@GEN-04')).toMatchObject({ tags: '@GEN-04' });
  });

  it('takes --provider netns or compose for the commands that bring a topology up, and nothing else', () => {
    expect(parse('certify', '--provider', 'compose')).toMatchObject({ name: 'certify', provider: 'compose' });
    expect(parse('test', '--provider', 'netns')).toMatchObject({ name: 'test', provider: 'netns' });
    expect(parse('topology', 'up', '--provider', 'compose')).toMatchObject({ name: 'topology-up', provider: 'compose' });
    expect(parse('certify')).not.toHaveProperty('provider');
    expect(usageError('certify', '--provider', 'docker')).toMatch(/--provider "docker": use netns or compose/);
    expect(usageError('certify', '--provider')).toMatch(/--provider/);
  });

  it('refuses capacity in the compose topology, saying why', () => {
    expect(usageError('capacity', '--provider', 'compose')).toMatch(/capacity runs only in the netns topology/);
    expect(parse('capacity', '--provider', 'netns')).toMatchObject({ name: 'capacity' });
  });
});
