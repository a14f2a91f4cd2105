import { randomBytes } from 'node:crypto';
import { BRANCH_MAGIC } from './header-values';

/**
 * Fresh identifiers for the legs the SBC originates. They are random, carry no host name or
 * address (a Call-ID with `@host` would leak the core, GEN-03), and are long enough to be unique.
 */
function token(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/** RFC 3261 8.1.1.7: branch starting with the magic cookie so peers use RFC 3261 matching. */
export function newBranch(): string {
  return `${BRANCH_MAGIC}${token(10)}`;
}

export function newTag(): string {
  return token(6);
}

export function newCallId(): string {
  return token(16);
}
