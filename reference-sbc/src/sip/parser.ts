import { SipParseError, type PartialMessage } from '../errors';
import { isToken, unfold } from './grammar';
import { parseContentLength, parseCSeq, parseMaxForwards } from './header-values';
import { Headers, type HeaderField } from './headers';
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

/** Locates the empty line ending the header section; bare LF line ends are tolerated as senders do. */
function findHeaderEnd(text: string): { end: number; bodyStart: number } | undefined {
  const crlf = text.indexOf('\r\n\r\n');
  const lf = text.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf + 2 <= lf)) return { end: crlf, bodyStart: crlf + 4 };
  if (lf >= 0) return { end: lf, bodyStart: lf + 2 };
  return undefined;
}

function splitHead(data: Buffer): RawHead {
  const text = data.toString('latin1');
  // RFC 3261 7.5: CRLFs before the start line are ignored.
  let offset = 0;
  while (text[offset] === '\r' || text[offset] === '\n') offset++;
  const bounds = findHeaderEnd(text.slice(offset));
  if (!bounds) throw new SipParseError('no empty line after the headers');
  const head = text.slice(offset, offset + bounds.end);
  const lines: string[] = [];
  const re = /\r?\n/g;
  let last = 0;
  for (let m = re.exec(head); m; m = re.exec(head)) {
    lines.push(head.slice(last, m.index));
    last = m.index + m[0].length;
  }
  lines.push(head.slice(last));
  // Keep each field's exact text (folds included) by slicing from the original head.
  const starts: number[] = [];
  let pos = 0;
  for (const line of lines) {
    starts.push(pos);
    pos += line.length;
    if (head[pos] === '\r') pos++;
    if (head[pos] === '\n') pos++;
  }
  const startLine = lines[0] ?? '';
  // Group line indexes per field: a line starting with white space continues the previous one.
  const groups: Array<{ first: number; last: number }> = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const prev = groups[groups.length - 1];
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (!prev) throw new SipParseError('continuation line before the first header');
      prev.last = i;
    } else {
      groups.push({ first: i, last: i });
    }
  }
  const result: HeaderField[] = [];
  for (const g of groups) {
    const from = starts[g.first] ?? 0;
    const to = (starts[g.last] ?? 0) + (lines[g.last] ?? '').length;
    const raw = head.slice(from, to);
    const colon = raw.indexOf(':');
    if (colon < 0) throw new SipParseError(`header line without colon: "${lines[g.first] ?? ''}"`);
    const name = raw.slice(0, colon).replace(/[ \t]+$/, '');
    if (!isToken(name)) throw new SipParseError(`invalid header name "${name}"`);
    result.push({ name, value: unfold(raw.slice(colon + 1)).trim(), raw });
  }
  return { startLine, fields: result, bodyStart: Buffer.byteLength(text.slice(0, offset + bounds.bodyStart), 'latin1') };
}

/** Parses one message. Throws SipParseError; when the header section was readable it carries a partial. */
export function parseMessage(data: Buffer): SipMessage {
  const head = splitHead(data);
  const partial: PartialMessage = { startLine: head.startLine, headers: head.fields.map((f) => ({ name: f.name, value: f.value })) };
  try {
    return build(head, data);
  } catch (err) {
    if (err instanceof SipParseError) throw new SipParseError(err.message, partial);
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
  // RFC 3261 19.1.5: headers are not allowed in a Request-URI (RFC 4475 3.1.2.13).
  if (requestUri.kind === 'sip' && requestUri.headers !== undefined) throw new SipParseError('Request-URI with headers');
  const req = new SipRequest(method, uri, headers);
  req.version = version;
  return req;
}

/** The mandatory headers every message must carry and parse (RFC 3261 8.1.1, 8.2.2). */
function validateHeaders(message: SipMessage): void {
  const h = message.headers;
  for (const name of ['via', 'from', 'to', 'call-id', 'cseq']) {
    if (!h.has(name)) throw new SipParseError(`missing mandatory header ${name}`);
  }
  if (h.getFields('call-id').length > 1 || h.getFields('cseq').length > 1) {
    throw new SipParseError('duplicated Call-ID or CSeq');
  }
  if (h.getFields('from').length > 1 || h.getFields('to').length > 1) throw new SipParseError('duplicated From or To');
  if ((h.get('call-id') ?? '') === '' || /\s/.test(h.get('call-id') ?? '')) throw new SipParseError('invalid Call-ID');
  message.topVia();
  message.from();
  message.to();
  const cseq = parseCSeq(h.get('cseq') ?? '');
  const mf = h.get('max-forwards');
  if (mf !== undefined) parseMaxForwards(mf);
  if (message.kind === 'request' && cseq.method !== message.method) {
    throw new SipParseError(`CSeq method ${cseq.method} does not match ${message.method}`);
  }
}
