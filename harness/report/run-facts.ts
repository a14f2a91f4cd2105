/**
 * What a certificate says about the run besides the verdicts: which SBC (profile name, its version or
 * build, the profile file and its sha256, so a customer can check the certified configuration is the one
 * they were given), which suite (package version and git commit), which machine and topology, when.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { arch, cpus, hostname, release, type } from 'node:os';
import { join, relative, isAbsolute } from 'node:path';
import { parse as parseYaml } from 'yaml';

export interface SutFacts {
  name: string;
  /** The profile's optional `version` field; absent when the profile states none. */
  version?: string;
  /** What the SBC said of itself on the wire: its Server or User-Agent header, e.g. "Server: acme-sbc 5.2.1". */
  reported?: string;
  profile: { file: string; sha256: string };
}

export interface SuiteFacts {
  name: string;
  version: string;
  /** `git rev-parse HEAD`; "unknown" outside a git checkout. */
  commit: string;
  /** The checkout had uncommitted changes: the commit alone does not reproduce the suite. */
  modified: boolean;
}

export interface MachineFacts {
  hostname: string;
  os: string;
  arch: string;
  cpus: number;
  node: string;
}

export function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** A path shown to a reader: relative to the repository when inside it, else only the file's name. */
export function shownPath(file: string, repoRoot: string): string {
  const rel = relative(repoRoot, file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : (file.split('/').pop() ?? file);
}

export function sutFacts(profileFile: string, repoRoot: string, reported?: string): SutFacts {
  const raw = readFileSync(profileFile, 'utf8');
  let doc: { name?: unknown; version?: unknown } = {};
  try {
    doc = (parseYaml(raw) ?? {}) as typeof doc;
  } catch {
    // The profile was validated before the run; a file changed since still gets its hash on the certificate.
  }
  const version = typeof doc.version === 'string' || typeof doc.version === 'number' ? String(doc.version) : undefined;
  return {
    name: typeof doc.name === 'string' && doc.name ? doc.name : shownPath(profileFile, repoRoot),
    ...(version ? { version } : {}),
    ...(reported ? { reported } : {}),
    profile: { file: shownPath(profileFile, repoRoot), sha256: sha256File(profileFile) },
  };
}

function git(repoRoot: string, args: string[]): string | undefined {
  try {
    return execFileSync('git', ['-C', repoRoot, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

export function suiteFacts(repoRoot: string): SuiteFacts {
  const pkgFile = join(repoRoot, 'package.json');
  const pkg = existsSync(pkgFile) ? (JSON.parse(readFileSync(pkgFile, 'utf8')) as { name?: string; version?: string }) : {};
  const status = git(repoRoot, ['status', '--porcelain', '--untracked-files=no']);
  return {
    name: pkg.name ?? 'sbc-certify',
    version: pkg.version ?? '0.0.0',
    commit: git(repoRoot, ['rev-parse', 'HEAD']) ?? 'unknown',
    modified: status === undefined ? false : status.length > 0,
  };
}

export function machineFacts(): MachineFacts {
  const c = cpus();
  return { hostname: hostname(), os: `${type()} ${release()}`, arch: arch(), cpus: c.length, node: process.version };
}
