/**
 * The suite's own SIP message model and builder. Independent of the reference
 * SBC on purpose: a shared parser would hide the bugs both share.
 *
 * The builder writes exactly what it is given (order, case, duplicates), so a
 * test can craft a malformed message byte for byte; it only adds a
 * Content-Length when asked to (`contentLength: 'auto'`, the default) and none
 * was given.
 */
import {
  canonicalName, isListHeader, parseCSeq, parseNameAddr, parseVia, splitHeaderList,
} from './headers';
import type { CSeq, NameAddr, Via } from './headers';

export interface Header {
  /** As written on the wire (may be a compact form such as `v`). */
  name: string;
  value: string;
}

interface MessageBase {
  version: string;
  headers: Header[];
  /** The body as text (UTF-8), cut at Content-Length. */
  body: string;
  /** The whole message as received or sent. */
  raw: string;
  /** Anomalies the tolerant parser noticed (bare LF, body shorter than Content-Length, ...). */
  problems: string[];
}

export interface SipRequest extends MessageBase {
  kind: 'request';
  method: string;
  uri: string;
}

export interface SipResponse extends MessageBase {
  kind: 'response';
  status: number;
  reason: string;
}

export type SipMessage = SipRequest | SipResponse;

/** Headers as the builder takes them: ordered pairs, or a record when order does not matter. */
export type HeaderInput = ReadonlyArray<readonly [string, string]> | Readonly<Record<string, string>>;

export interface BuildOptions {
  headers: HeaderInput;
  body?: string;
  /** 'auto' appends `Content-Length` unless one was given; a number writes that value; 'omit' writes none. */
  contentLength?: 'auto' | 'omit' | number;
  version?: string;
}

export interface RequestSpec extends BuildOptions {
  method: string;
  uri: string;
}

export interface ResponseSpec extends BuildOptions {
  status: number;
  reason?: string;
}

export function headerPairs(input: HeaderInput | undefined): Array<[string, string]> {
  if (input === undefined) return [];
  if (Array.isArray(input)) return (input as ReadonlyArray<readonly [string, string]>).map(([n, v]) => [n, v]);
  return Object.entries(input as Record<string, string>);
}

export function buildRequest(spec: RequestSpec): string {
  return `${spec.method} ${spec.uri} ${spec.version ?? 'SIP/2.0'}\r\n${buildTail(spec)}`;
}

export function buildResponse(spec: ResponseSpec): string {
  const reason = spec.reason ?? reasonPhrase(spec.status);
  return `${spec.version ?? 'SIP/2.0'} ${spec.status} ${reason}\r\n${buildTail(spec)}`;
}

function buildTail(spec: BuildOptions): string {
  const pairs = headerPairs(spec.headers);
  const body = spec.body ?? '';
  const mode = spec.contentLength ?? 'auto';
  if (typeof mode === 'number') pairs.push(['Content-Length', String(mode)]);
  else if (mode === 'auto' && !pairs.some(([n]) => canonicalName(n) === 'content-length')) {
    pairs.push(['Content-Length', String(Buffer.byteLength(body, 'utf8'))]);
  }
  return `${pairs.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n${body}`;
}

/** First value of a header (compact forms understood), or undefined. */
export function getHeader(msg: SipMessage, name: string): string | undefined {
  const wanted = canonicalName(name);
  return msg.headers.find((h) => canonicalName(h.name) === wanted)?.value;
}

/**
 * Every value of a header, in order: several header lines are concatenated and,
 * for list headers (Via, Route, Contact, ...), comma-separated values are split.
 */
export function getHeaders(msg: SipMessage, name: string): string[] {
  const wanted = canonicalName(name);
  const lines = msg.headers.filter((h) => canonicalName(h.name) === wanted).map((h) => h.value);
  return isListHeader(wanted) ? lines.flatMap(splitHeaderList) : lines;
}

export function hasHeader(msg: SipMessage, name: string): boolean {
  return getHeader(msg, name) !== undefined;
}

export function callIdOf(msg: SipMessage): string | undefined {
  return getHeader(msg, 'call-id')?.trim();
}

export function cseqOf(msg: SipMessage): CSeq | undefined {
  const value = getHeader(msg, 'cseq');
  return value === undefined ? undefined : parseCSeq(value);
}

export function topViaOf(msg: SipMessage): Via | undefined {
  const value = getHeaders(msg, 'via')[0];
  return value === undefined ? undefined : parseVia(value);
}

export function fromOf(msg: SipMessage): NameAddr | undefined {
  const value = getHeader(msg, 'from');
  return value === undefined ? undefined : parseNameAddr(value);
}

export function toOf(msg: SipMessage): NameAddr | undefined {
  const value = getHeader(msg, 'to');
  return value === undefined ? undefined : parseNameAddr(value);
}

/** One-line summary for logs and ladders: `INVITE sip:1@x` or `180 Ringing`. */
export function summarize(msg: SipMessage): string {
  return msg.kind === 'request' ? `${msg.method} ${msg.uri}` : `${msg.status} ${msg.reason}`;
}

const REASONS: Readonly<Record<number, string>> = {
  100: 'Trying', 180: 'Ringing', 181: 'Call Is Being Forwarded', 182: 'Queued', 183: 'Session Progress',
  200: 'OK', 202: 'Accepted', 301: 'Moved Permanently', 302: 'Moved Temporarily',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  407: 'Proxy Authentication Required', 408: 'Request Timeout', 415: 'Unsupported Media Type',
  420: 'Bad Extension', 480: 'Temporarily Unavailable', 481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected', 483: 'Too Many Hops', 484: 'Address Incomplete', 486: 'Busy Here',
  487: 'Request Terminated', 488: 'Not Acceptable Here', 491: 'Request Pending',
  500: 'Server Internal Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable',
  504: 'Server Time-out', 600: 'Busy Everywhere', 603: 'Decline', 604: 'Does Not Exist Anywhere',
  606: 'Not Acceptable',
};

export function reasonPhrase(status: number): string {
  return REASONS[status] ?? 'Unknown';
}
