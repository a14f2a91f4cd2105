import { SipParseError } from '../errors';

/**
 * SDP (RFC 4566) as ordered `type=value` lines split into the session section and one section per
 * m= line. Lines the SBC does not touch are kept verbatim; typed helpers rewrite the ones an SBC
 * must (o=, c=, m= port/formats, a= attributes) so media can be anchored and codecs filtered.
 */
export interface SdpLine {
  type: string;
  value: string;
}

export interface MediaDescription {
  media: string;
  port: number;
  /** The `/<number of ports>` suffix, when present. */
  portCount: number | undefined;
  proto: string;
  formats: string[];
  /** Every line after m= in this section (c=, b=, a=, ...), in order. */
  lines: SdpLine[];
}

export interface SessionDescription {
  /** Session-level lines (v=, o=, s=, c=, t=, a=, ...), in order. */
  session: SdpLine[];
  media: MediaDescription[];
  /** The line ending used by the sender, reproduced on output. */
  eol: string;
}

export interface Origin {
  username: string;
  sessionId: string;
  sessionVersion: string;
  netType: string;
  addrType: string;
  address: string;
}

export interface Connection {
  netType: string;
  addrType: string;
  address: string;
}

export function parseSdp(text: string): SessionDescription {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const rawLines = text.split(/\r?\n/).filter((l) => l !== '');
  const sdp: SessionDescription = { session: [], media: [], eol };
  for (const raw of rawLines) {
    const m = /^([a-z])=(.*)$/.exec(raw);
    if (!m || m[1] === undefined || m[2] === undefined) throw new SipParseError(`invalid SDP line "${raw}"`);
    const line = { type: m[1], value: m[2] };
    if (line.type === 'm') sdp.media.push(parseMediaLine(line.value));
    else if (sdp.media.length > 0) sdp.media[sdp.media.length - 1]?.lines.push(line);
    else sdp.session.push(line);
  }
  if (sdp.session[0]?.type !== 'v') throw new SipParseError('SDP must start with v=');
  return sdp;
}

function parseMediaLine(value: string): MediaDescription {
  const parts = value.trim().split(/ +/);
  const [media, portText, proto, ...formats] = parts;
  const pm = /^(\d+)(?:\/(\d+))?$/.exec(portText ?? '');
  if (media === undefined || proto === undefined || !pm || pm[1] === undefined) {
    throw new SipParseError(`invalid m= line "${value}"`);
  }
  return {
    media,
    port: Number(pm[1]),
    portCount: pm[2] === undefined ? undefined : Number(pm[2]),
    proto,
    formats,
    lines: [],
  };
}

export function serializeSdp(sdp: SessionDescription): string {
  const out: string[] = sdp.session.map((l) => `${l.type}=${l.value}`);
  for (const m of sdp.media) {
    const port = m.portCount === undefined ? `${m.port}` : `${m.port}/${m.portCount}`;
    out.push(`m=${[m.media, port, m.proto, ...m.formats].join(' ')}`);
    for (const l of m.lines) out.push(`${l.type}=${l.value}`);
  }
  return out.join(sdp.eol) + sdp.eol;
}

export function getOrigin(sdp: SessionDescription): Origin | undefined {
  const line = sdp.session.find((l) => l.type === 'o');
  if (!line) return undefined;
  const p = line.value.split(' ');
  if (p.length !== 6) throw new SipParseError(`invalid o= line "${line.value}"`);
  const [username, sessionId, sessionVersion, netType, addrType, address] = p as [string, string, string, string, string, string];
  return { username, sessionId, sessionVersion, netType, addrType, address };
}

export function setOrigin(sdp: SessionDescription, origin: Origin): void {
  const value = [origin.username, origin.sessionId, origin.sessionVersion, origin.netType, origin.addrType, origin.address].join(' ');
  const line = sdp.session.find((l) => l.type === 'o');
  if (line) line.value = value;
  else sdp.session.splice(1, 0, { type: 'o', value });
}

export function parseConnection(value: string): Connection {
  const p = value.trim().split(/ +/);
  if (p.length !== 3) throw new SipParseError(`invalid c= line "${value}"`);
  const [netType, addrType, address] = p as [string, string, string];
  return { netType, addrType, address };
}

function connectionValue(address: string): string {
  return `IN ${address.includes(':') ? 'IP6' : 'IP4'} ${address}`;
}

/** Every c= line (session and media level), so a rewrite can check none escaped. */
export function connectionAddresses(sdp: SessionDescription): string[] {
  const all = [...sdp.session, ...sdp.media.flatMap((m) => m.lines)].filter((l) => l.type === 'c');
  return all.map((l) => parseConnection(l.value).address);
}

/**
 * Points every c= line at `address` and the o= address too, so no address of the other side
 * survives in the description (GEN-03).
 */
export function rewriteAddresses(sdp: SessionDescription, address: string): void {
  const value = connectionValue(address);
  for (const line of [...sdp.session, ...sdp.media.flatMap((m) => m.lines)]) {
    if (line.type === 'c') line.value = value;
  }
  const origin = getOrigin(sdp);
  if (origin) {
    setOrigin(sdp, { ...origin, addrType: address.includes(':') ? 'IP6' : 'IP4', address });
  }
}

export function getAttributes(lines: readonly SdpLine[], name: string): string[] {
  return lines
    .filter((l) => l.type === 'a' && (l.value === name || l.value.startsWith(`${name}:`)))
    .map((l) => (l.value === name ? '' : l.value.slice(name.length + 1)));
}

export function removeAttributes(lines: SdpLine[], predicate: (name: string, value: string) => boolean): void {
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i];
    if (!l || l.type !== 'a') continue;
    const colon = l.value.indexOf(':');
    const name = colon < 0 ? l.value : l.value.slice(0, colon);
    const value = colon < 0 ? '' : l.value.slice(colon + 1);
    if (predicate(name, value)) lines.splice(i, 1);
  }
}

export function addAttribute(lines: SdpLine[], name: string, value?: string): void {
  lines.push({ type: 'a', value: value === undefined ? name : `${name}:${value}` });
}

/**
 * Keeps only the payload formats `keep` accepts on one m= line and drops their rtpmap/fmtp/rtcp-fb
 * attributes along with them. Returns the formats left.
 */
export function filterFormats(media: MediaDescription, keep: (format: string, encoding: string | undefined) => boolean): string[] {
  const encodings = new Map<string, string>();
  for (const v of getAttributes(media.lines, 'rtpmap')) {
    const m = /^(\S+)\s+([^/\s]+)/.exec(v);
    if (m && m[1] !== undefined && m[2] !== undefined) encodings.set(m[1], m[2]);
  }
  const kept = media.formats.filter((f) => keep(f, encodings.get(f)));
  const dropped = new Set(media.formats.filter((f) => !kept.includes(f)));
  media.formats = kept;
  removeAttributes(media.lines, (name, value) => {
    if (name !== 'rtpmap' && name !== 'fmtp' && name !== 'rtcp-fb') return false;
    return dropped.has(value.split(/\s/)[0] ?? '');
  });
  return kept;
}
