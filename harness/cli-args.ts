import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import parseTagExpression from '@cucumber/tag-expressions';
import { CAPACITY_USAGE, parseCapacityArgs, type CapacityRequest } from './capacity/capacity-options';

/**
 * The command line, parsed strictly before anything starts: an unknown command or flag, a flag without
 * its value, a bad tag expression or a missing file is a usage error (exit 2), never a silent default.
 */
export const EXIT = Object.freeze({
  /** Every requirement that ran passed (and, with --expect, the verdicts are the expected ones). */
  pass: 0,
  /** The SUT failed a requirement (or a unit test failed). */
  failed: 1,
  /** Bad usage or a bad SUT profile: nothing was started. */
  usage: 2,
  /** The suite or its topology failed: no verdict about the SUT. */
  suite: 3,
  interrupted: 130,
});

export class UsageError extends Error {
  constructor(
    message: string,
    readonly usage: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

const DEFAULT_PROFILE = join('topology', 'profiles', 'reference-sbc.yaml');

export const USAGE: Record<string, string> = {
  test: `test                       unit tests, then every acceptance feature against the reference SBC in a
                             topology built for the run; prints "N passed, N failed, N skipped"`,
  certify: `certify [--sut FILE]       bring the topology up, run the features against the SUT profile FILE
                             (default ${DEFAULT_PROFILE}), write the certificate
        [--tags EXPR]        only the scenarios matching a cucumber tag expression, e.g. "@GEN-04 or @IN-01"
        [--expect FILE]      compare the verdicts with FILE ({"GEN-01": "pass", ...}); differences fail the run
        [--robustness-cases N]  malformed messages the @ROBUST scenarios send (default: the feature's own)
        [--provider P]       the topology: netns (root, ip netns) or compose (a Docker engine, no root);
                             default: netns where it can run, else compose when a Docker engine answers`,
  topology: `topology up [--sut FILE] [--provider P]  bring the topology up and keep it until Ctrl-C (for exploring by hand)
topology clean             remove namespaces and processes left by an interrupted run`,
  capacity: CAPACITY_USAGE.trimEnd().replace(/^ {2}/gm, ''),
};

export function usageText(command?: string): string {
  const body = command && USAGE[command] ? USAGE[command] : Object.values(USAGE).join('\n');
  return `usage: npm run <command> -- [options]   (or: tsx bin/cli.ts <command> [options])

${body}

exit codes: 0 pass, 1 the SUT failed a requirement (or a test failed), 2 bad usage or SUT profile,
            3 the suite or topology failed, 130 interrupted
`;
}

export type Command =
  | { name: 'help'; text: string }
  | { name: 'test'; provider?: Provider }
  | { name: 'certify'; profileFile: string; tags?: string; expectFile?: string; robustnessCases?: number; provider?: Provider }
  | { name: 'topology-up'; profileFile: string; provider?: Provider }
  | { name: 'topology-clean' }
  /** `feature`: run the @capacity features (features/capacity/) instead of the searches. */
  | { name: 'capacity'; profileFiles: string[]; request: CapacityRequest; feature: boolean };

/** Which topology provider builds the zones (bin/cli.ts chooses one when the flag is absent). */
export type Provider = 'netns' | 'compose';
export const PROVIDERS: readonly Provider[] = ['netns', 'compose'];

type Options = NonNullable<ParseArgsConfig['options']>;
const HELP: Options = { help: { type: 'boolean', short: 'h' } };
const SUT: Options = { sut: { type: 'string' } };
const PROVIDER: Options = { provider: { type: 'string' } };

function provider(command: string, value: string | boolean | undefined): { provider?: Provider } {
  if (value === undefined) return {};
  if (!PROVIDERS.includes(value as Provider)) {
    throw new UsageError(`${command}: --provider ${JSON.stringify(value)}: use ${PROVIDERS.join(' or ')}`, usageText(command));
  }
  return { provider: value as Provider };
}

function strict(command: string, args: string[], options: Options): Record<string, string | boolean | undefined> {
  try {
    return parseArgs({ args, options: { ...HELP, ...options }, strict: true, allowPositionals: false }).values as Record<string, string | boolean | undefined>;
  } catch (err) {
    // node's messages name the flag ("Unknown option '--sutt'"); the usage shows the right ones.
    throw new UsageError(`${command}: ${(err as Error).message.replace(/\. To specify a positional argument.*$/s, '')}`, usageText(command));
  }
}

function existingFile(command: string, flag: string, value: string | undefined, cwd: string): string | undefined {
  if (value === undefined) return undefined;
  const file = resolve(cwd, value);
  if (!existsSync(file)) throw new UsageError(`${command}: ${flag} ${value}: no such file`, usageText(command));
  return file;
}

/** Every tag used in the feature files (without @), to refuse a filter naming a tag no scenario has. */
export function knownTags(featuresDir: string): Set<string> {
  const tags = new Set<string>();
  for (const f of readdirSync(featuresDir).filter((x) => x.endsWith('.feature'))) {
    for (const line of readFileSync(join(featuresDir, f), 'utf8').split('\n')) {
      if (!line.trim().startsWith('@')) continue;
      for (const m of line.matchAll(/@([^\s@]+)/g)) tags.add(m[1]!);
    }
  }
  return tags;
}

export function checkTagExpression(expr: string, known: Set<string>): void {
  try {
    parseTagExpression(expr);
  } catch (err) {
    // The parser says "empty stack" for an expression that ends in an operator.
    const why = (err as Error).message === 'empty stack' ? 'an operator has no operand' : (err as Error).message;
    throw new UsageError(`certify: --tags ${JSON.stringify(expr)} is not a tag expression: ${why}`, usageText('certify'));
  }
  const unknown = [...expr.matchAll(/@([^\s()@]+)/g)].map((m) => m[1]!).filter((t) => !known.has(t));
  if (unknown.length) {
    throw new UsageError(
      `certify: --tags names ${unknown.map((t) => `@${t}`).join(', ')}, which no scenario has (known: ${[...known].sort().map((t) => `@${t}`).join(' ')})`,
      usageText('certify'),
    );
  }
}

/** Parses argv (without node and the script) into one command; throws UsageError for anything wrong. */
export function parseCommandLine(argv: string[], o: { repoRoot: string; cwd?: string }): Command {
  const cwd = o.cwd ?? process.cwd();
  const [command, ...args] = argv;
  const profile = (v: string | boolean | undefined, name: string): string =>
    existingFile(name, '--sut', v as string | undefined, cwd) ?? join(o.repoRoot, DEFAULT_PROFILE);
  switch (command) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      return { name: 'help', text: usageText() };
    case 'test': {
      const v = strict('test', args, PROVIDER);
      return v.help ? { name: 'help', text: usageText('test') } : { name: 'test', ...provider('test', v.provider) };
    }
    case 'certify': {
      const v = strict('certify', args, { ...SUT, tags: { type: 'string' }, expect: { type: 'string' }, 'robustness-cases': { type: 'string' }, ...PROVIDER });
      if (v.help) return { name: 'help', text: usageText('certify') };
      const chosen = provider('certify', v.provider);
      const tags = v.tags as string | undefined;
      if (tags !== undefined) checkTagExpression(tags, knownTags(join(o.repoRoot, 'features')));
      const cases = v['robustness-cases'] as string | undefined;
      const robustnessCases = cases === undefined ? undefined : Number(cases);
      if (robustnessCases !== undefined && !(Number.isInteger(robustnessCases) && robustnessCases > 0)) {
        throw new UsageError(`certify: --robustness-cases needs a positive whole number, not ${JSON.stringify(cases)}`, usageText('certify'));
      }
      return {
        name: 'certify',
        profileFile: profile(v.sut, 'certify'),
        ...(tags !== undefined ? { tags } : {}),
        ...(v.expect !== undefined ? { expectFile: existingFile('certify', '--expect', v.expect as string, cwd)! } : {}),
        ...(robustnessCases !== undefined ? { robustnessCases } : {}),
        ...chosen,
      };
    }
    case 'topology': {
      const [sub, ...rest] = args;
      if (sub === 'clean') {
        const v = strict('topology', rest, {});
        return v.help ? { name: 'help', text: usageText('topology') } : { name: 'topology-clean' };
      }
      if (sub === 'up') {
        const v = strict('topology', rest, { ...SUT, ...PROVIDER });
        return v.help ? { name: 'help', text: usageText('topology') } : { name: 'topology-up', profileFile: profile(v.sut, 'topology'), ...provider('topology', v.provider) };
      }
      if (sub === '--help' || sub === '-h') return { name: 'help', text: usageText('topology') };
      throw new UsageError(`topology: unknown subcommand ${sub ?? '(none)'}: use "topology up" or "topology clean"`, usageText('topology'));
    }
    case 'capacity': {
      const number = { type: 'string' } as const;
      const v = strict('capacity', args, {
        sut: { type: 'string', multiple: true },
        'budget-s': number, 'max-cps': number, 'start-cps': number, 'step-s': number, 'hold-ms': number,
        'max-calls': number, 'no-concurrency': { type: 'boolean' }, slo: number, 'media-probes': number,
        'generator-budget-s': number, 'no-generator-ceiling': { type: 'boolean' }, media: number, ...PROVIDER,
        'caller-cps': number, callers: number, feature: { type: 'boolean' },
      });
      if (v.help) return { name: 'help', text: usageText('capacity') };
      if (v.provider !== undefined && v.provider !== 'netns') {
        // Figures measured through Docker's bridges and NAT would not be the SBC's: the ceiling, the
        // SUT's CPU cost and the loss counters all read the netns topology's namespaces.
        throw new UsageError(`capacity: --provider ${String(v.provider)}: capacity runs only in the netns topology (root, ip netns): its figures read the namespaces' counters and processes`, usageText('capacity'));
      }
      let request: CapacityRequest;
      try {
        request = parseCapacityArgs(args);
      } catch (err) {
        throw new UsageError((err as Error).message, usageText('capacity'));
      }
      const suts = (v.sut as unknown as string[] | undefined) ?? [];
      const profileFiles = suts.length ? suts.map((s) => profile(s, 'capacity')) : [profile(undefined, 'capacity')];
      return { name: 'capacity', profileFiles, request, feature: v.feature === true };
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`, usageText());
  }
}
