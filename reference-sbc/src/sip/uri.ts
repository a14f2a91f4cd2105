import { SipParseError } from '../errors';
import { getParam, parseParams, serializeParams, type Param } from './grammar';

/**
 * SIP and SIPS URIs (RFC 3261 19.1) with IPv6 references (RFC 5118); any other scheme (tel:,
 * http:, urn:) is kept as an opaque absolute URI so the UAS core can answer 416 for it.
 */
export interface SipUri {
  kind: 'sip';
  scheme: 'sip' | 'sips';
  /** The user part as written, percent escapes kept (numbers such as `+4930123`). */
  user: string | undefined;
  password: string | undefined;
  /** Host name, IPv4 address or IPv6 reference including its brackets (`[2001:db8::1]`). */
  host: string;
  port: number | undefined;
  params: Param[];
  /** The `?h=v&...` part without the `?`, kept as written. */
  headers: string | undefined;
}

export interface AbsoluteUri {
  kind: 'absolute';
  scheme: string;
  /** Everything after `scheme:`. */
  rest: string;
}

export type Uri = SipUri | AbsoluteUri;

const SCHEME = /^([A-Za-z][A-Za-z0-9+\-.]*):/;
const HOSTNAME = /^([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\.?$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6_BODY = /^[0-9A-Fa-f:.]+$/;
// RFC 3261 user / password characters: unreserved, escaped and the user-unreserved set.
const USER = /^([A-Za-z0-9\-_.!~*'()&=+$,;?/]|%[0-9A-Fa-f]{2})+$/;
const PASSWORD = /^([A-Za-z0-9\-_.!~*'()&=+$,]|%[0-9A-Fa-f]{2})*$/;

export function isIpv4(s: string): boolean {
  return IPV4.test(s);
}

/** A valid IPv6 reference body (without brackets): hex groups, at most one `::`, optional IPv4 tail. */
export function isIpv6(s: string): boolean {
  if (!IPV6_BODY.test(s) || s.split('::').length > 2 || s.includes(':::')) return false;
  if ((s.startsWith(':') && !s.startsWith('::')) || (s.endsWith(':') && !s.endsWith('::'))) return false;
  let groups = s.split(':');
  const last = groups[groups.length - 1] ?? '';
  let count = 0;
  if (last.includes('.')) {
    if (!isIpv4(last)) return false;
    groups = groups.slice(0, -1);
    count += 2;
  }
  for (const g of groups) {
    if (g === '') continue;
    if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return false;
    count++;
  }
  return s.includes('::') ? count < 8 : count === 8;
}

export function isValidHost(host: string): boolean {
  if (host.startsWith('[')) return host.endsWith(']') && isIpv6(host.slice(1, -1));
  return isIpv4(host) || (HOSTNAME.test(host) && !/^[\d.]+$/.test(host));
}

/** Splits `host[:port]`, honouring IPv6 brackets. Throws on a bad host or port. */
export function parseHostPort(text: string): { host: string; port: number | undefined } {
  let host: string;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end < 0) throw new SipParseError(`unterminated IPv6 reference in "${text}"`);
    host = text.slice(0, end + 1);
    const tail = text.slice(end + 1);
    if (tail !== '') {
      if (!tail.startsWith(':')) throw new SipParseError(`junk after IPv6 reference in "${text}"`);
      portText = tail.slice(1);
    }
  } else {
    const colon = text.indexOf(':');
    host = colon < 0 ? text : text.slice(0, colon);
    portText = colon < 0 ? undefined : text.slice(colon + 1);
  }
  if (!isValidHost(host)) throw new SipParseError(`invalid host "${host}"`);
  let port: number | undefined;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) throw new SipParseError(`invalid port "${portText}"`);
    port = Number(portText);
  }
  return { host, port };
}

export function parseUri(text: string): Uri {
  const t = text.trim();
  const m = SCHEME.exec(t);
  if (!m || m[1] === undefined) throw new SipParseError(`URI without scheme: "${text}"`);
  const scheme = m[1].toLowerCase();
  const rest = t.slice(m[0].length);
  if (scheme !== 'sip' && scheme !== 'sips') {
    if (rest === '' || /\s/.test(rest)) throw new SipParseError(`invalid ${scheme} URI "${text}"`);
    return { kind: 'absolute', scheme, rest };
  }
  return parseSipUriBody(scheme, rest, text);
}

function parseSipUriBody(scheme: 'sip' | 'sips', rest: string, original: string): SipUri {
  if (/[\s<>"]/.test(rest)) throw new SipParseError(`invalid character in URI "${original}"`);
  // '@' cannot appear unescaped in params or headers, so the first one ends the userinfo.
  const at = rest.indexOf('@');
  let user: string | undefined;
  let password: string | undefined;
  let hostPart = rest;
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    hostPart = rest.slice(at + 1);
    const colon = userinfo.indexOf(':');
    user = colon < 0 ? userinfo : userinfo.slice(0, colon);
    password = colon < 0 ? undefined : userinfo.slice(colon + 1);
    if (!USER.test(user)) throw new SipParseError(`invalid user part in "${original}"`);
    if (password !== undefined && !PASSWORD.test(password)) throw new SipParseError(`invalid password in "${original}"`);
  }
  let headers: string | undefined;
  const q = hostPart.indexOf('?');
  if (q >= 0) {
    headers = hostPart.slice(q + 1);
    hostPart = hostPart.slice(0, q);
  }
  const semi = hostPart.indexOf(';');
  const hostport = semi < 0 ? hostPart : hostPart.slice(0, semi);
  const params = semi < 0 ? [] : parseParams(hostPart.slice(semi));
  const { host, port } = parseHostPort(hostport);
  return { kind: 'sip', scheme, user, password, host, port, params, headers };
}

export function serializeUri(uri: Uri): string {
  if (uri.kind === 'absolute') return `${uri.scheme}:${uri.rest}`;
  let s = `${uri.scheme}:`;
  if (uri.user !== undefined) {
    s += uri.user;
    if (uri.password !== undefined) s += `:${uri.password}`;
    s += '@';
  }
  s += uri.host;
  if (uri.port !== undefined) s += `:${uri.port}`;
  s += serializeParams(uri.params);
  if (uri.headers !== undefined) s += `?${uri.headers}`;
  return s;
}

/** Parses and insists on sip:/sips:, for places (Contact, Route) where the SBC must route to it. */
export function parseSipUri(text: string): SipUri {
  const uri = parseUri(text);
  if (uri.kind !== 'sip') throw new SipParseError(`not a SIP URI: "${text}"`);
  return uri;
}

/** The percent-decoded user part, e.g. the dialled number. */
export function uriUser(uri: Uri): string | undefined {
  if (uri.kind !== 'sip' || uri.user === undefined) return undefined;
  try {
    return decodeURIComponent(uri.user);
  } catch {
    return uri.user;
  }
}

/** The transport a SIP URI asks for (RFC 3263 defaults: sips -> tls, else udp). */
export function uriTransport(uri: SipUri): string {
  const t = getParam(uri.params, 'transport');
  if (t !== undefined) return t.toLowerCase();
  return uri.scheme === 'sips' ? 'tls' : 'udp';
}

/** The IP literal of a host for sockets: IPv6 brackets removed. */
export function hostToAddress(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** Formats an IP address for a SIP host field: IPv6 gets brackets (RFC 5118). */
export function addressToHost(address: string): string {
  return address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
}
