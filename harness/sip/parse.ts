/**
 * Tolerant SIP parsing for what the suite receives: a datagram (or one framed
 * stream message) into a `SipMessage`, and a byte stream (TLS/TCP) into
 * messages by Content-Length (RFC 3261 §18.3). Anomalies are recorded in
 * `problems` rather than rejected, so a test can assert on them.
 */
import { SipParseError } from './errors';
import { canonicalName } from './headers';
import type { Header, SipMessage } from './message';

const CRLFCRLF = Buffer.from('\r\n\r\n');
const LFLF = Buffer.from('\n\n');

/** Where the header section ends: index of the blank line and its length, or undefined. */
function findHeaderEnd(buf: Buffer, from = 0): { at: number; length: number } | undefined {
  const crlf = buf.indexOf(CRLFCRLF, from);
  const lf = buf.indexOf(LFLF, from);
  if (crlf < 0 && lf < 0) return undefined;
  if (lf >= 0 && (crlf < 0 || lf < crlf)) return { at: lf, length: 2 };
  return { at: crlf, length: 4 };
}

function leadingLineBreaks(buf: Buffer): number {
  let i = 0;
  while (i < buf.length && (buf[i] === 0x0d || buf[i] === 0x0a)) i++;
  return i;
}

function contentLengthIn(headerText: string): number | undefined {
  for (const line of headerText.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0 || /^[ \t]/.test(line)) continue;
    if (canonicalName(line.slice(0, colon)) !== 'content-length') continue;
    const value = line.slice(colon + 1).trim();
    return /^\d+$/.test(value) ? Number(value) : undefined;
  }
  return undefined;
}

/** Parses one complete message (a datagram or a framed stream message). */
export function parseMessage(input: Buffer | string): SipMessage {
  const buf = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const problems: string[] = [];
  const skip = leadingLineBreaks(buf);
  if (skip > 0) problems.push(`${skip} leading line-break bytes`);
  const end = findHeaderEnd(buf, skip);
  let headerBytes: Buffer;
  let bodyBytes: Buffer;
  if (end === undefined) {
    problems.push('no blank line after the headers');
    headerBytes = buf.subarray(skip);
    bodyBytes = Buffer.alloc(0);
  } else {
    headerBytes = buf.subarray(skip, end.at);
    bodyBytes = buf.subarray(end.at + end.length);
  }
  const headerText = headerBytes.toString('utf8');
  if (/(^|[^\r])\n/.test(headerText)) problems.push('bare LF line ending');

  const lines = headerText.split(/\r?\n/);
  const startLine = (lines.shift() ?? '').trim();
  const headers = readHeaders(lines, problems);

  const declared = headers.find((h) => canonicalName(h.name) === 'content-length');
  let body = bodyBytes;
  if (declared === undefined) {
    problems.push('no Content-Length');
  } else if (!/^\s*\d+\s*$/.test(declared.value)) {
    problems.push(`Content-Length not a number: ${declared.value}`);
  } else {
    const length = Number(declared.value.trim());
    if (length < bodyBytes.length) {
      problems.push(`bytes after the body declared by Content-Length: ${bodyBytes.length - length}`);
      body = bodyBytes.subarray(0, length);
    } else if (length > bodyBytes.length) {
      problems.push(`body is ${bodyBytes.length} bytes, Content-Length says ${length}`);
    }
  }
  const raw = buf.toString('utf8');
  const base = { headers, body: body.toString('utf8'), raw, problems };

  const response = /^(SIP\/\d+\.\d+)\s+(\d{3})(?:\s+(.*))?$/i.exec(startLine);
  if (response) {
    return { kind: 'response', version: response[1] as string, status: Number(response[2]), reason: response[3] ?? '', ...base };
  }
  const request = /^([A-Za-z!%*_+`'~.-]+)\s+(\S+)\s+(SIP\/\d+\.\d+)$/i.exec(startLine);
  if (request) {
    return { kind: 'request', method: request[1] as string, uri: request[2] as string, version: request[3] as string, ...base };
  }
  throw new SipParseError(`not a SIP start line: ${JSON.stringify(startLine.slice(0, 120))}`, raw);
}

function readHeaders(lines: string[], problems: string[]): Header[] {
  const headers: Header[] = [];
  for (const line of lines) {
    if (/^[ \t]/.test(line)) {
      // Folded continuation (RFC 3261 §7.3.1): joins the previous header with one space.
      const last = headers[headers.length - 1];
      if (last) last.value = `${last.value} ${line.trim()}`;
      else problems.push('continuation line before any header');
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) {
      if (line.trim() !== '') problems.push(`header line without name: ${JSON.stringify(line.slice(0, 80))}`);
      continue;
    }
    // HCOLON allows whitespace before the colon (RFC 3261 §25.1), so `TO :` is a valid To.
    headers.push({ name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() });
  }
  return headers;
}

/**
 * Splits a stream (TLS/TCP) into whole messages. Several messages may arrive in
 * one chunk and one message may span chunks; the body length comes only from
 * Content-Length, which RFC 3261 §18.3 makes mandatory on streams (missing is
 * read as 0). Line breaks between messages (RFC 5626 keep-alives) are dropped.
 */
export class StreamFramer {
  private buffer: Buffer = Buffer.alloc(0);
  /** Keep-alive line breaks seen between messages. */
  keepAlives = 0;

  push(chunk: Buffer): Buffer[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const messages: Buffer[] = [];
    while (true) {
      const skip = leadingLineBreaks(this.buffer);
      if (skip > 0) {
        this.keepAlives++;
        this.buffer = this.buffer.subarray(skip);
      }
      const end = findHeaderEnd(this.buffer);
      if (end === undefined) break;
      const length = contentLengthIn(this.buffer.subarray(0, end.at).toString('utf8')) ?? 0;
      const total = end.at + end.length + length;
      if (this.buffer.length < total) break;
      messages.push(Buffer.from(this.buffer.subarray(0, total)));
      this.buffer = this.buffer.subarray(total);
    }
    return messages;
  }

  /** Bytes received but not yet part of a whole message. */
  get pending(): number {
    return this.buffer.length;
  }

  /** Takes the incomplete remainder, e.g. when the connection closes, so it can still be recorded. */
  flush(): Buffer {
    const rest = this.buffer;
    this.buffer = Buffer.alloc(0);
    return rest;
  }
}
