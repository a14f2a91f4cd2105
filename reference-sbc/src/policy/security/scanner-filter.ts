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
    for (const ua of userAgentsOf(data)) {
      const lower = ua.toLowerCase();
      const hit = this.agents.find((a) => lower.includes(a));
      if (hit !== undefined) return hit;
    }
    return undefined;
  }
}

/**
 * The unfolded value of every User-Agent header in the header section, read as latin1 (every byte is
 * one character, so no decoding error is possible on garbage). A value continued on folded lines
 * (RFC 3261 7.3.1) is joined as the parser would join it, so folding cannot hide a scanner (issue 11
 * point 6). User-Agent has no compact form.
 */
export function userAgentsOf(data: Buffer): string[] {
  const text = data.toString('latin1', 0, Math.min(data.length, SEARCH_BYTES));
  const end = text.search(/\r?\n\r?\n/);
  const lines = (end === -1 ? text : text.slice(0, end)).split(/\r?\n/);
  const agents: string[] = [];
  let current: string | undefined;
  for (const line of lines.slice(1)) {
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (current !== undefined) current = `${current} ${line.trim()}`;
      continue;
    }
    if (current !== undefined) agents.push(current.trim());
    const m = /^user-agent[ \t]*:(.*)$/i.exec(line);
    current = m?.[1];
  }
  if (current !== undefined) agents.push(current.trim());
  return agents;
}

/** The first User-Agent value, unfolded. */
export function userAgentOf(data: Buffer): string | undefined {
  return userAgentsOf(data)[0];
}
