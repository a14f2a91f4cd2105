import { SipParseError, type PartialMessage } from '../errors';
import { hasControl, isToken, unfold } from './grammar';
import { parseContentLength, parseMaxForwards, parseNameAddr, parseVia } from './header-values';
import { fieldKey, Headers, type HeaderField } from './headers';
import { SipRequest, SipResponse, type SipMessage } from './message';
import { parseUri } from './uri';

/**
 * Parses one SIP message from a datagram or a framed stream chunk (RFC 3261 7 and 18.3).
 *
 * Header text is decoded as latin1 so every byte maps to one character and back: display names
 * in UTF-8 pass through the SBC unchanged, and unchanged headers re-serialize byte for byte.
 * Framing follows Content-Length: extra bytes after the body are ignored, a short body is an error.
 */

const VERSION = /^SIP\/\d+\.\d+$/i;

/** True for datagrams that carry no message: CRLF keep-alives (RFC 5626 3.5.1) and padding. */
export function isKeepAlive(data: Buffer): boolean {
  for (const b of data) if (b !== 0x0d && b !== 0x0a && b !== 0x20 && b !== 0x09 && b !== 0x00) return false;
  return true;
}

interface RawHead {
  startLine: string;
  fields: HeaderField[];
  bodyStart: number;
}

const CR = 0x0d;
const LF = 0x0a;

/**
 * Locates the empty line ending the header section, searching the bytes (the body is never decoded
 * here); bare LF line ends are tolerated as senders do. Offsets are absolute in `data`.
 */
function findHeaderEnd(data: Buffer, from: number): { end: number; bodyStart: number } | undefined {
  const crlf = data.indexOf('\r\n\r\n', from, 'latin1');
  // A bare-LF end can only come first if it appears before the CRLF one.
  const lf = crlf < 0 ? data.indexOf('\n\n', from, 'latin1') : indexOfBefore(data, '\n\n', from, crlf + 3);
  if (crlf >= 0 && (lf < 0 || crlf + 2 <= lf)) return { end: crlf, bodyStart: crlf + 4 };
  if (lf >= 0) return { end: lf, bodyStart: lf + 2 };
  return undefined;
}

function indexOfBefore(data: Buffer, needle: string, from: number, limit: number): number {
  const i = data.indexOf(needle, from, 'latin1');
  return i >= 0 && i < limit ? i : -1;
}

/**
 * Splits the header section into the start line and fields in one pass over the decoded head: each
 * field keeps its exact text (folds included) as `raw`; only folded values go through `unfold`.
 */
function splitHead(data: Buffer): RawHead {
  // RFC 3261 7.5: CRLFs before the start line are ignored.
  let offset = 0;
  while (offset < data.length && (data[offset] === CR || data[offset] === LF)) offset++;
  const bounds = findHeaderEnd(data, offset);
  if (!bounds) throw new SipParseError('no empty line after the headers');
  // latin1: one character per byte, so string offsets are byte offsets.
  const head = data.toString('latin1', offset, bounds.end);
  const fields: HeaderField[] = [];
  let lineEnd = head.indexOf('\n');
  const startLine = lineEnd < 0 ? head : head.slice(0, head.charCodeAt(lineEnd - 1) === CR ? lineEnd - 1 : lineEnd);
  // The field being collected: [fieldStart, fieldEnd) in `head`, folded when it spans lines.
  let fieldStart = -1;
  let fieldEnd = -1;
  let folded = false;
  // Every line after the start line, including an empty last one (which is then a field without colon).
  while (lineEnd >= 0) {
    const pos = lineEnd + 1;
    lineEnd = head.indexOf('\n', pos);
    const end = lineEnd < 0 ? head.length : head.charCodeAt(lineEnd - 1) === CR ? lineEnd - 1 : lineEnd;
    const first = head.charCodeAt(pos);
    if (first === 0x20 || first === 0x09) {
      if (fieldStart < 0) throw new SipParseError('continuation line before the first header');
      fieldEnd = end;
      folded = true;
    } else {
      if (fieldStart >= 0) fields.push(makeField(head, fieldStart, fieldEnd, folded));
      fieldStart = pos;
      fieldEnd = end;
      folded = false;
    }
  }
  if (fieldStart >= 0) fields.push(makeField(head, fieldStart, fieldEnd, folded));
  return { startLine, fields, bodyStart: bounds.bodyStart };
}

/**
 * A best-effort reading of a header section that failed to split: the first line, then every line up
 * to the first empty one that looks like `name: value` (continuations joined). Only ever used to
 * answer a broken request; never to act on it.
 */
function salvageHead(data: Buffer): PartialMessage {
  const text = data.toString('latin1', 0, Math.min(data.length, SALVAGE_BYTES));
  const lines = text.replace(/^[\r\n]+/, '').split(/\r?\n/);
  const headers: PartialMessage['headers'] = [];
  for (const line of lines.slice(1)) {
    if (line === '') break;
    const last = headers[headers.length - 1];
    if ((line.startsWith(' ') || line.startsWith('\t')) && last) {
      last.value = `${last.value} ${line.trim()}`;
      continue;
    }
    const m = /^([!-9;-~]+)[ \t]*:(.*)$/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) headers.push({ name: m[1], value: m[2].trim() });
  }
  return { startLine: lines[0] ?? '', headers };
}

/** A header section longer than this is not salvaged further (the limits refuse it anyway). */
const SALVAGE_BYTES = 16384;

function makeField(head: string, start: number, end: number, folded: boolean): HeaderField {
  const raw = head.slice(start, end);
  const colon = raw.indexOf(':');
  if (colon < 0) {
    const nl = raw.search(/\r?\n/);
    throw new SipParseError(`header line without colon: "${nl < 0 ? raw : raw.slice(0, nl)}"`);
  }
  let nameEnd = colon;
  while (nameEnd > 0 && (raw.charCodeAt(nameEnd - 1) === 0x20 || raw.charCodeAt(nameEnd - 1) === 0x09)) nameEnd--;
  const name = raw.slice(0, nameEnd);
  if (!isToken(name)) throw new SipParseError(`invalid header name "${name}"`);
  const rest = raw.slice(colon + 1);
  return { name, value: (folded ? unfold(rest) : rest).trim(), raw };
}

/** Parses one message. Throws SipParseError; when the header section was readable it carries a partial. */
export function parseMessage(data: Buffer): SipMessage {
  let head: RawHead;
  try {
    head = splitHead(data);
  } catch (err) {
    // A header section that cannot be split (no empty line, a line without colon) may still show
    // a readable top Via: the transport then answers 400 instead of dropping (issue 11 point 7).
    if (err instanceof SipParseError) throw new SipParseError(err.message, salvageHead(data));
    throw err;
  }
  try {
    return build(head, data);
  } catch (err) {
    if (err instanceof SipParseError) {
      // Built only on failure: a message that parses pays nothing for its error report.
      const partial: PartialMessage = { startLine: head.startLine, headers: head.fields.map((f) => ({ name: f.name, value: f.value })) };
      throw new SipParseError(err.message, partial);
    }
    throw err;
  }
}

function build(head: RawHead, data: Buffer): SipMessage {
  const headers = new Headers(head.fields);
  const message = parseStartLine(head.startLine, headers);
  validateHeaders(message);
  const lengths = headers.getFields('content-length');
  let body: Buffer;
  if (lengths.length > 0) {
    const parsed = lengths.map(parseContentLength);
    if (parsed.some((n) => n !== parsed[0])) throw new SipParseError('conflicting Content-Length headers');
    const len = parsed[0] ?? 0;
    if (head.bodyStart + len > data.length) {
      throw new SipParseError(`body shorter than Content-Length (${data.length - head.bodyStart} < ${len})`);
    }
    body = data.subarray(head.bodyStart, head.bodyStart + len);
  } else {
    // RFC 3261 18.3: on datagrams the body runs to the end when Content-Length is absent.
    body = data.subarray(head.bodyStart);
  }
  message.body = Buffer.from(body);
  return message;
}

function parseStartLine(line: string, headers: Headers): SipMessage {
  if (/^SIP\//i.test(line)) {
    const m = /^(SIP\/\d+\.\d+) (\d{3}) (.*)$/i.exec(line);
    if (!m || m[1] === undefined || m[2] === undefined || m[3] === undefined) {
      throw new SipParseError(`invalid status line "${line}"`);
    }
    const status = Number(m[2]);
    if (status < 100 || status > 699) throw new SipParseError(`status code out of range: ${status}`);
    const res = new SipResponse(status, m[3], headers);
    res.version = m[1];
    return res;
  }
  const parts = line.split(' ');
  if (parts.length !== 3) throw new SipParseError(`invalid request line "${line}"`);
  const [method, uri, version] = parts as [string, string, string];
  if (!isToken(method)) throw new SipParseError(`invalid method "${method}"`);
  if (!VERSION.test(version)) throw new SipParseError(`invalid SIP version "${version}"`);
  const requestUri = parseUri(uri);
  // RFC 3261 19.1.5: headers are not allowed in a Request-URI (RFC 4475 3.1.2.11).
  if (requestUri.kind === 'sip' && requestUri.headers !== undefined) throw new SipParseError('Request-URI with headers');
  const req = new SipRequest(method, uri, headers);
  req.version = version;
  return req;
}

const MANDATORY = ['via', 'from', 'to', 'call-id', 'cseq'] as const;

/** The mandatory headers every message must carry and parse (RFC 3261 8.1.1, 8.2.2). */
function validateHeaders(message: SipMessage): void {
  // One pass counts them all; looking each up by name would scan the fields once per name.
  const counts = { via: 0, from: 0, to: 0, 'call-id': 0, cseq: 0 };
  for (const f of message.headers.fields) {
    const key = fieldKey(f);
    if (key === 'via' || key === 'from' || key === 'to' || key === 'call-id' || key === 'cseq') counts[key]++;
  }
  for (const name of MANDATORY) {
    if (counts[name] === 0) throw new SipParseError(`missing mandatory header ${name}`);
  }
  if (counts['call-id'] > 1 || counts.cseq > 1) throw new SipParseError('duplicated Call-ID or CSeq');
  if (counts.from > 1 || counts.to > 1) throw new SipParseError('duplicated From or To');
  const h = message.headers;
  const callId = h.get('call-id') ?? '';
  // RFC 3261 25.1: Call-ID is word ["@" word], printable characters only. A NUL or control byte is
  // refused here so it can never reach a CDR row or a core server (issue 11 point 4).
  if (callId === '' || /\s/.test(callId) || hasControl(callId, true)) throw new SipParseError('invalid Call-ID');
  // Parsed now so a bad one is refused here; the message keeps the views for the layers above.
  message.topVia();
  message.from();
  message.to();
  const cseq = message.cseq();
  validateLaterHeaders(message);
  const mf = h.get('max-forwards');
  if (mf !== undefined) parseMaxForwards(mf);
  if (message.kind === 'request' && cseq.method !== message.method) {
    throw new SipParseError(`CSeq method ${cseq.method} does not match ${message.method}`);
  }
}

/**
 * Headers the SBC reads later in a call, checked on arrival (issue 11 point 3): every Via (the
 * response path), Contact (the remote target), Record-Route and Route (the route set). A value the
 * SBC could not use later makes the message a 400 now, before anything of it reaches the core; once
 * the core has answered it would be too late to build the reply.
 */
function validateLaterHeaders(message: SipMessage): void {
  for (const via of message.headers.getValues('via')) parseVia(via);
  for (const contact of message.headers.getValues('contact')) {
    // RFC 3261 10.2.2: `Contact: *` is a REGISTER's "remove every binding".
    if (contact.trim() === '*' && message.kind === 'request' && message.method === 'REGISTER') continue;
    const na = parseNameAddr(contact);
    if (na.uri.kind === 'sip' && na.uri.port === 0) throw new SipParseError('Contact with port 0');
  }
  for (const name of ['record-route', 'route']) {
    for (const value of message.headers.getValues(name)) parseNameAddr(value);
  }
}
