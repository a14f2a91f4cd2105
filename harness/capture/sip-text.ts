/**
 * SIP as it appears in captured payloads: recognising a message, splitting it into lines for an audit,
 * and cutting a TCP byte stream into messages. Deliberately lenient: a malformed message must still be
 * audited line by line, never dropped because a strict parser refused it.
 */
import { canonicalName } from '../sip/headers';

export interface SipHeaderLine {
  /** The header name as written (compact forms included, e.g. 'v'). */
  name: string;
  /** The full name, lower case ('v' -> 'via'). */
  canonical: string;
  /** The value with folded continuation lines joined by one space. */
  value: string;
}

export interface SipText {
  startLine: string;
  headers: SipHeaderLine[];
  body: string;
  /** Lines of the head that are neither the start line nor a header (kept so nothing escapes an audit). */
  junk: string[];
}

const REQUEST_LINE = /^[A-Za-z!%'*+\-.`~_0-9]+ \S+ SIP\/2\.0\s*$/;
const STATUS_LINE = /^SIP\/2\.0 \d{3}(?: .*)?$/;

/** Whether `text` begins with a SIP request or status line. */
export function isSipStart(text: string): boolean {
  const end = text.search(/\r?\n/);
  const first = end >= 0 ? text.slice(0, end) : text;
  return REQUEST_LINE.test(first) || STATUS_LINE.test(first);
}

/** Splits one message into start line, headers (unfolded) and body. Accepts CRLF or bare LF. */
export function splitSip(text: string): SipText {
  const sep = /\r?\n\r?\n/.exec(text);
  const head = sep ? text.slice(0, sep.index) : text;
  const body = sep ? text.slice(sep.index + sep[0].length) : '';
  const lines = head.split(/\r?\n/);
  const startLine = lines.shift() ?? '';
  const headers: SipHeaderLine[] = [];
  const junk: string[] = [];
  for (const line of lines) {
    if (/^[ \t]/.test(line) && headers.length > 0) {
      const last = headers[headers.length - 1]!;
      last.value = `${last.value} ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) {
      if (line.trim()) junk.push(line);
      continue;
    }
    const name = line.slice(0, colon).trim();
    headers.push({ name, canonical: canonicalName(name), value: line.slice(colon + 1).trim() });
  }
  return { startLine, headers, body, junk };
}

/** "INVITE sip:…" or "486 Busy Here (1 INVITE)": one line naming a message in a report. */
export function describeSip(text: string): string {
  const m = splitSip(text);
  if (STATUS_LINE.test(m.startLine)) {
    const cseq = m.headers.find((h) => h.canonical === 'cseq')?.value;
    return `${m.startLine.slice('SIP/2.0 '.length)}${cseq ? ` (${cseq})` : ''}`;
  }
  return m.startLine.replace(/ SIP\/2\.0\s*$/, '');
}

export interface FramedMessage {
  /** Offset of the message's first byte in the stream. */
  offset: number;
  text: string;
  /** The stream ended before the message did (no blank line, or fewer body bytes than Content-Length). */
  truncated: boolean;
}

/**
 * Cuts a SIP-over-TCP byte stream (latin1 text, one direction) into messages by Content-Length
 * (RFC 3261 18.3). Keep-alive CRLFs between messages are skipped. Stops at bytes that do not start a
 * SIP message: the rest of such a stream is not SIP.
 */
export function frameSipStream(stream: string): FramedMessage[] {
  const out: FramedMessage[] = [];
  let at = 0;
  while (at < stream.length) {
    while (stream.startsWith('\r\n', at) || stream.startsWith('\n', at)) at += stream.startsWith('\r\n', at) ? 2 : 1;
    if (at >= stream.length) break;
    const rest = stream.slice(at);
    if (!isSipStart(rest)) break;
    const sep = /\r?\n\r?\n/.exec(rest);
    if (!sep) {
      out.push({ offset: at, text: rest, truncated: true });
      break;
    }
    const headEnd = sep.index + sep[0].length;
    const lengthHeader = splitSip(rest.slice(0, sep.index)).headers.find((h) => h.canonical === 'content-length');
    // Over a stream transport Content-Length is mandatory; without one the message is taken to end at its head.
    const bodyLength = lengthHeader && /^\d+$/.test(lengthHeader.value) ? Number(lengthHeader.value) : 0;
    const end = headEnd + bodyLength;
    out.push({ offset: at, text: rest.slice(0, end), truncated: end > rest.length });
    at += end;
  }
  return out;
}
