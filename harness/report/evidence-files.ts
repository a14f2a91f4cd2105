/**
 * A scenario's evidence as files the certificate links one by one (a folder link shows nothing once the
 * report is zipped or served), and the report folder made self-contained: text evidence that names
 * files by their absolute path gets paths relative to itself, so a moved folder still holds together.
 */
import { readdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

export interface EvidenceLink {
  /** The file's name inside the scenario folder, e.g. "ladder.html". */
  label: string;
  /** Relative to the report folder, '/'-separated. */
  href: string;
}

// What a reader opens first: the picture, the text ladder, the capture, then the rest by name.
const FIRST = ['ladder.html', 'ladder.txt', 'scenario.pcap', 'tls-keys.log', 'evidence.json'];

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const st = statSync(path);
    if (st.isDirectory()) out.push(...walk(path));
    else if (st.isFile()) out.push(path);
  }
  return out;
}

const toHref = (p: string): string => p.split(sep).join('/');

/** Every file of a scenario's evidence folder (given relative to the report folder); [] when it does not exist. */
export function evidenceLinks(reportDir: string, evidenceDir: string | undefined): EvidenceLink[] {
  if (!evidenceDir) return [];
  const root = join(reportDir, evidenceDir);
  if (!existsSync(root) || !statSync(root).isDirectory()) return [];
  const rank = (label: string): number => {
    const i = FIRST.indexOf(label);
    return i < 0 ? FIRST.length : i;
  };
  return walk(root)
    .map((file) => ({ label: toHref(relative(root, file)), href: toHref(relative(reportDir, file)) }))
    .sort((a, b) => rank(a.label) - rank(b.label) || a.label.localeCompare(b.label));
}

const TEXT_FILE = /\.(json|txt|log|csv|xml|html|svg)$/i;
const MAX_REWRITE_BYTES = 4 * 1024 * 1024;

/**
 * Rewrites absolute paths into the report folder inside its text files (evidence.json lists SIPp's
 * files by absolute path, logs name the run's files) as paths relative to the file that names them.
 * Returns the files changed.
 */
export function relativizeReportFiles(reportDir: string, under = 'scenarios'): string[] {
  const root = join(reportDir, under);
  if (!existsSync(root)) return [];
  const prefix = reportDir.replace(/\/+$/, '');
  // In free text a path ends at white space or punctuation; in JSON every string is a whole value.
  const inText = new RegExp(`${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(/[^\\s"'<>,;)\\]]*)?`, 'g');
  const changed: string[] = [];
  for (const file of walk(root)) {
    if (!TEXT_FILE.test(file) || statSync(file).size > MAX_REWRITE_BYTES) continue;
    const text = readFileSync(file, 'utf8');
    if (!text.includes(prefix)) continue;
    const from = dirname(file);
    const rel = (abs: string): string => toHref(relative(from, abs)) || '.';
    let next = text.replace(inText, (_m, rest: string | undefined) => rel(join(reportDir, rest ?? '')));
    if (file.endsWith('.json')) {
      try {
        const within = (v: string): boolean => v === prefix || v.startsWith(`${prefix}/`);
        next = `${JSON.stringify(mapStrings(JSON.parse(text), (v) => (within(v) ? rel(v) : v.split(`${prefix}/`).join(''))), null, 2)}\n`;
      } catch {
        // not JSON after all: the text rewrite stands
      }
    }
    if (next !== text) {
      writeFileSync(file, next);
      changed.push(file);
    }
  }
  return changed;
}

function mapStrings(v: unknown, f: (s: string) => string): unknown {
  if (typeof v === 'string') return f(v);
  if (Array.isArray(v)) return v.map((x) => mapStrings(x, f));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mapStrings(x, f)]));
  return v;
}
