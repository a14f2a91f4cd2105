/**
 * Recognises SIP scanners (SIPVicious `svmap`/`svwar`, sipcli, sip-scan, VaxSIPUserAgent, ...) by
 * the User-Agent they announce, on the raw bytes before any parsing: a scanner's probe is dropped
 * without an answer, so it cannot even learn that a SIP service is listening here.
 */

/** What common scanners put in User-Agent (matched case-insensitively, as substrings). */
export const DEFAULT_SCANNER_AGENTS: readonly string[] = [
  'friendly-scanner',
  'sipvicious',
  'sipcli',
  'sip-scan',
  'sipscan',
  'vaxsipuseragent',
  'iwar',
  'sundayddr',
  'pplsip',
  'smap',
  'sipsploit',
  'nmap',
];

/** Only the start of a message is searched: headers of a real request are well inside this. */
const SEARCH_BYTES = 4096;

export class ScannerFilter {
  private readonly agents: readonly string[];

  constructor(agents: readonly string[] = DEFAULT_SCANNER_AGENTS) {
    this.agents = agents.map((a) => a.toLowerCase()).filter((a) => a !== '');
  }

  /** The scanner signature found in the message's User-Agent, if any. */
  match(data: Buffer): string | undefined {
    if (this.agents.length === 0) return undefined;
    const ua = userAgentOf(data);
    if (ua === undefined) return undefined;
    const lower = ua.toLowerCase();
    return this.agents.find((a) => lower.includes(a));
  }
}

/**
 * The value of the first User-Agent header in the header section, read as latin1 (every byte is one
 * character, so no decoding error is possible on garbage). User-Agent has no compact form.
 */
export function userAgentOf(data: Buffer): string | undefined {
  const text = data.toString('latin1', 0, Math.min(data.length, SEARCH_BYTES));
  const end = text.search(/\r?\n\r?\n/);
  const head = end === -1 ? text : text.slice(0, end);
  const m = /(?:^|\n)user-agent[ \t]*:[ \t]*([^\r\n]*)/i.exec(head);
  return m?.[1];
}
