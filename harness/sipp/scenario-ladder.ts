import type { TracedMessage } from './messages';
import type { SippResult } from './runner';

/** What one core server exchanged for a dialled number. */
export interface NumberReceipt {
  server: string;
  messages: TracedMessage[];
}

/**
 * A scenario's SIP ladder as each endpoint saw it (ladder.txt of its evidence): every SIPp run of the
 * public side, then what the core servers exchanged for each number the scenario dialled (found by
 * number, never by Call-ID).
 */
export function scenarioLadder(
  name: string,
  runs: Iterable<SippResult>,
  numbers: Iterable<[label: string, number: string]>,
  receivedFor: (number: string) => NumberReceipt[],
): string {
  const time = (d: Date): string => d.toISOString().slice(11, 23);
  const line = (m: TracedMessage): string =>
    `  ${time(m.at)} ${m.direction === 'sent' ? '-->' : '<--'} ${m.method ? `${m.method} ${m.requestUri}` : `${m.status} (${m.header('cseq') ?? ''})`}`;
  const parts: string[] = [`# ${name}`];
  for (const r of runs) parts.push(`\n## ${r.summary}`, ...r.messages.map(line));
  for (const [label, number] of numbers) {
    for (const receipt of receivedFor(number)) {
      parts.push(`\n## core server ${receipt.server}, ${label} ${number}`, ...receipt.messages.map(line));
    }
  }
  return `${parts.join('\n')}\n`;
}
