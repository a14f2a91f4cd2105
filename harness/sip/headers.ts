/**
 * Header-level reading: compact forms, list splitting, name-addr, Via, CSeq and
 * the host part of a URI. Tolerant on purpose: the suite must be able to read
 * whatever an SBC sends, including what it should not have sent.
 */

/** RFC 3261 §7.3.3 compact forms plus the registered extension ones: the suite's one table. */
const COMPACT: Readonly<Record<string, string>> = {
  i: 'call-id',
  m: 'contact',
  e: 'content-encoding',
  l: 'content-length',
  c: 'content-type',
  f: 'from',
  s: 'subject',
  k: 'supported',
  t: 'to',
  v: 'via',
  o: 'event',
  r: 'refer-to',
  b: 'referred-by',
  x: 'session-expires',
  u: 'allow-events',
  a: 'accept-contact',
  j: 'reject-contact',
  d: 'request-disposition',
  y: 'identity',
  n: 'identity-info',
};

/**
 * Headers whose grammar is a comma-separated list (RFC 3261 §7.3.1), so several
 * values may share one line. Any other header is kept whole: Date, the digest
 * headers and free text such as Subject contain commas that are not separators.
 */
const LIST_HEADERS = new Set([
  'via', 'route', 'record-route', 'contact', 'allow', 'supported', 'require', 'proxy-require',
  'unsupported', 'accept', 'accept-encoding', 'accept-language', 'alert-info', 'call-info',
  'error-info', 'content-encoding', 'content-language', 'in-reply-to', 'warning', 'allow-events',
  'path', 'service-route', 'p-asserted-identity', 'p-preferred-identity', 'history-info', 'reason',
]);

/** Lower-case long form of a header name, so `v`, `Via` and `VIA` compare equal. */
export function canonicalName(name: string): string {
  const lower = name.trim().toLowerCase();
  return COMPACT[lower] ?? lower;
}

export function isListHeader(name: string): boolean {
  return LIST_HEADERS.has(canonicalName(name));
}

/**
 * Splits a header value on the commas that separate list elements, ignoring
 * commas inside quoted strings and inside `<...>` (a URI may carry commas in
 * its parameters or headers).
 */
export function splitHeaderList(value: string): string[] {
  const parts: string[] = [];
  let current = '';
  let inQuotes = false;
  let angle = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    if (inQuotes) {
      current += ch;
      if (ch === '\\' && i + 1 < value.length) current += value[++i];
      else if (ch === '"') inQuotes = false;
      continue;
    }
    if (ch === '"') inQuotes = true;
    else if (ch === '<') angle++;
    else if (ch === '>' && angle > 0) angle--;
    else if (ch === ',' && angle === 0) {
      if (current.trim() !== '') parts.push(current.trim());
      current = '';
      continue;
    }
    current += ch;
  }
  if (current.trim() !== '') parts.push(current.trim());
  return parts;
}

/** `;name=value` parameters; a parameter without value maps to ''. Names are lower-cased. */
export function parseParams(text: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const piece of splitOutsideQuotes(text, ';')) {
    const trimmed = piece.trim();
    if (trimmed === '') continue;
    const eq = trimmed.indexOf('=');
    const key = (eq < 0 ? trimmed : trimmed.slice(0, eq)).trim().toLowerCase();
    params[key] = eq < 0 ? '' : trimmed.slice(eq + 1).trim();
  }
  return params;
}

function splitOutsideQuotes(text: string, sep: string): string[] {
  const out: string[] = [];
  let current = '';
  let inQuotes = false;
  for (const ch of text) {
    if (ch === '"') inQuotes = !inQuotes;
    if (ch === sep && !inQuotes) {
      out.push(current);
      current = '';
    } else current += ch;
  }
  out.push(current);
  return out;
}

export interface NameAddr {
  displayName?: string;
  /** The URI without angle brackets and without header parameters. */
  uri: string;
  /** Header parameters (after `>` or, for an addr-spec without brackets, after the first `;`). */
  params: Record<string, string>;
  tag?: string;
}

/** Reads From, To, Contact, Route and Record-Route values (RFC 3261 §20.10 rules on brackets). */
export function parseNameAddr(value: string): NameAddr {
  const text = value.trim();
  const open = indexOutsideQuotes(text, '<');
  let displayName: string | undefined;
  let uri: string;
  let rest: string;
  if (open >= 0) {
    const close = text.indexOf('>', open);
    const name = text.slice(0, open).trim();
    if (name !== '') displayName = name.startsWith('"') && name.endsWith('"') && name.length >= 2 ? name.slice(1, -1) : name;
    uri = text.slice(open + 1, close < 0 ? undefined : close).trim();
    rest = close < 0 ? '' : text.slice(close + 1);
  } else {
    // Without brackets, parameters after the URI belong to the header (§20.10).
    const semi = text.indexOf(';');
    uri = (semi < 0 ? text : text.slice(0, semi)).trim();
    rest = semi < 0 ? '' : text.slice(semi);
  }
  const params = parseParams(rest);
  const result: NameAddr = { uri, params };
  if (displayName !== undefined) result.displayName = displayName;
  if (params.tag !== undefined) result.tag = params.tag;
  return result;
}

function indexOutsideQuotes(text: string, ch: string): number {
  let inQuotes = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') inQuotes = !inQuotes;
    else if (c === '\\' && inQuotes) i++;
    else if (c === ch && !inQuotes) return i;
  }
  return -1;
}

export interface Via {
  /** e.g. `UDP`, `TLS`, upper-cased. */
  transport: string;
  host: string;
  port?: number;
  params: Record<string, string>;
  branch?: string;
}

/** Reads one Via value such as `SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;rport`. */
export function parseVia(value: string): Via | undefined {
  const match = /^\s*SIP\s*\/\s*2\.0\s*\/\s*([A-Za-z]+)\s+([^;\s]+)\s*(.*)$/i.exec(value);
  if (!match) return undefined;
  const [, transport = '', sentBy = '', rest = ''] = match;
  const hp = splitHostPort(sentBy);
  const params = parseParams(rest);
  const via: Via = { transport: transport.toUpperCase(), host: hp.host, params };
  if (hp.port !== undefined) via.port = hp.port;
  if (params.branch !== undefined) via.branch = params.branch;
  return via;
}

export interface CSeq {
  seq: number;
  method: string;
}

export function parseCSeq(value: string): CSeq | undefined {
  const match = /^\s*(\d+)\s+([A-Za-z!%*_+`'~.-]+)\s*$/.exec(value);
  if (!match) return undefined;
  return { seq: Number(match[1]), method: (match[2] as string).toUpperCase() };
}

/** `host[:port]`, with IPv6 references in brackets. */
export function splitHostPort(text: string): { host: string; port?: number } {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    const close = trimmed.indexOf(']');
    const host = trimmed.slice(1, close < 0 ? undefined : close);
    const after = close < 0 ? '' : trimmed.slice(close + 1);
    return after.startsWith(':') && /^\d+$/.test(after.slice(1)) ? { host, port: Number(after.slice(1)) } : { host };
  }
  const colon = trimmed.lastIndexOf(':');
  if (colon > 0 && /^\d+$/.test(trimmed.slice(colon + 1))) {
    return { host: trimmed.slice(0, colon), port: Number(trimmed.slice(colon + 1)) };
  }
  return { host: trimmed };
}

export interface SipUri {
  scheme: string;
  user?: string;
  host: string;
  port?: number;
  params: Record<string, string>;
}

/** Reads `sip:`/`sips:`/`tel:` URIs well enough to find where a request goes. */
export function parseUri(text: string): SipUri | undefined {
  const match = /^\s*([A-Za-z][A-Za-z0-9+.-]*):(.*)$/.exec(text);
  if (!match) return undefined;
  const scheme = (match[1] as string).toLowerCase();
  let rest = match[2] as string;
  const q = rest.indexOf('?');
  if (q >= 0) rest = rest.slice(0, q);
  const at = rest.lastIndexOf('@');
  const user = at >= 0 ? rest.slice(0, at) : undefined;
  const afterUser = at >= 0 ? rest.slice(at + 1) : rest;
  const semi = afterUser.indexOf(';');
  const hostPort = semi < 0 ? afterUser : afterUser.slice(0, semi);
  const params = parseParams(semi < 0 ? '' : afterUser.slice(semi));
  const hp = splitHostPort(hostPort);
  const uri: SipUri = { scheme, host: hp.host, params };
  if (user !== undefined) uri.user = user;
  if (hp.port !== undefined) uri.port = hp.port;
  return uri;
}
