import type { SippResult } from '../harness/sipp/runner';
import type { TracedMessage } from '../harness/sipp/messages';
import { parseVia } from '../harness/sip/headers';

/** A failed check: the message says what was expected, what was seen, and where the evidence is. */
export class CheckFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckFailed';
  }
}

export function check(condition: unknown, message: () => string): asserts condition {
  if (!condition) throw new CheckFailed(message());
}

/** "INVITE sip:…", "200 INVITE", … one line per message, to show what really crossed the wire. */
export function ladder(messages: TracedMessage[]): string {
  return messages
    .map((m) => `  ${m.direction === 'sent' ? '-->' : '<--'} ${m.method ? `${m.method} ${m.requestUri}` : `${m.status} (${m.header('cseq') ?? ''})`}`)
    .join('\n');
}

export function describeRun(r: SippResult): string {
  return `${r.summary}\n${ladder(r.messages)}\n  trace: ${r.files.messages}`;
}

/** The address a message was sent from, as the receiver recorded it in the top Via's received/rport or the Via host. */
export function viaHost(m: TracedMessage): string | undefined {
  const via = m.headers('via')[0];
  if (!via) return undefined;
  const parsed = parseVia(via);
  return parsed?.params.received || parsed?.host;
}
