/**
 * Turns what a failing step threw into words a customer can read: the assertion's message first, the
 * stack trace apart (the certificate folds it away), and no path of the machine the run happened on.
 * A report is handed on and moved; /tmp/sbcx-... or /home/ci/... mean nothing outside that machine.
 */

export interface PlainError {
  /** The assertion's own message, without the error class and without the stack. */
  reason: string;
  /** The rest: stack frames and any diff, for the fold. */
  details: string;
}

/** Where the run happened: both become relative, any other absolute path loses its folders. */
export interface PathContext {
  reportDir: string;
  repoRoot: string;
}

const STACK_LINE = /^\s+at\s/;
// Node's and chai's class prefixes say nothing to a reader: "AssertionError [ERR_ASSERTION]: ".
const ERROR_PREFIX = /^(?:[A-Za-z]*Error)(?: \[[A-Z_]+\])?:\s*/;
const MAX_REASON = 600;

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Replaces the report folder with "" (links and names are relative to it), the repository with "",
 * and any other absolute path (a run directory under /tmp, a home folder) with its last component
 * behind "…/", so the text keeps the file's name and loses the machine's layout.
 */
export function scrubPaths(text: string, where: PathContext): string {
  let out = text;
  for (const [root, label] of [[where.reportDir, ''], [where.repoRoot, '']] as const) {
    if (!root) continue;
    const r = root.replace(/\/+$/, '');
    out = out.replace(new RegExp(`(?:file://)?${escapeRe(r)}(?:/|(?=[\\s:'")\\]]|$))`, 'g'), label);
  }
  // Other absolute paths: /tmp/..., /home/..., /root/..., /var/..., /usr/... (two or more components).
  return out.replace(/(?:file:\/\/)?(?<![\w.~-])\/(?:tmp|home|root|var|usr|opt|srv|run|work|mnt|private)(?:\/[\w.@+-]+)+/g, (p) => {
    const last = p.split('/').pop() ?? '';
    return `…/${last}`;
  });
}

/** Splits a cucumber step's error message (message + stack) into the reason and the details. */
export function plainError(message: string | undefined, where: PathContext): PlainError {
  if (!message?.trim()) return { reason: 'the step failed without a message', details: '' };
  const text = scrubPaths(message.replace(/\r\n/g, '\n'), where);
  const lines = text.split('\n');
  const firstStack = lines.findIndex((l) => STACK_LINE.test(l));
  const head = (firstStack < 0 ? lines : lines.slice(0, firstStack)).join('\n').trim();
  const details = firstStack < 0 ? '' : lines.slice(firstStack).join('\n').trim();
  let reason = head.replace(ERROR_PREFIX, '').trim() || 'the step failed without a message';
  let extra = '';
  if (reason.length > MAX_REASON) {
    // A long message (a whole ladder) keeps its first paragraph as the reason; the rest goes to the fold.
    const cut = reason.lastIndexOf('\n', MAX_REASON);
    const at = cut > 80 ? cut : MAX_REASON;
    extra = reason.slice(at).trim();
    reason = `${reason.slice(0, at).trim()} …`;
  }
  return { reason, details: [extra, details].filter(Boolean).join('\n\n') };
}
