/**
 * SDP (RFC 4566) for the suite's calls: build an audio offer/answer with the
 * codecs and profile a scenario needs, and read back what the SBC put in its
 * SDP (addresses for GEN-03, payload types for IN-03, crypto for GEN-09/OUT-03).
 */
import { randomBytes } from 'node:crypto';

export interface Codec {
  pt: number;
  name: string;
  rate: number;
  channels?: number;
  fmtp?: string;
}

/** Static payload types (RFC 3551) and the usual dynamic ones, by name. */
const STATIC: readonly Codec[] = [
  { pt: 0, name: 'PCMU', rate: 8000 },
  { pt: 3, name: 'GSM', rate: 8000 },
  { pt: 4, name: 'G723', rate: 8000 },
  { pt: 8, name: 'PCMA', rate: 8000 },
  { pt: 9, name: 'G722', rate: 8000 },
  { pt: 13, name: 'CN', rate: 8000 },
  { pt: 18, name: 'G729', rate: 8000 },
];
const DYNAMIC: readonly Omit<Codec, 'pt'>[] = [
  { name: 'telephone-event', rate: 8000, fmtp: '0-16' },
  { name: 'opus', rate: 48000, channels: 2 },
  { name: 'iLBC', rate: 8000 },
  { name: 'speex', rate: 8000 },
  { name: 'AMR', rate: 8000 },
];

/** A codec by static payload type, by name (`'PCMA'`, `'opus'`), or spelled out. */
export type CodecInput = number | string | Codec;

export interface SdpSpec {
  /** Address for o= and c= (IPv4 or IPv6). */
  address: string;
  /** Audio port for m=. */
  port: number;
  codecs: readonly CodecInput[];
  /** Defaults to RTP/SAVP when crypto lines are given, RTP/AVP otherwise. */
  profile?: string;
  /** Values of a=crypto lines, e.g. `1 AES_CM_128_HMAC_SHA1_80 inline:...` (RFC 4568). */
  crypto?: readonly string[];
  direction?: 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
  ptime?: number;
  username?: string;
  sessionId?: string;
  sessionVersion?: number;
  sessionName?: string;
  /** More media-level attributes, without the `a=` prefix. */
  attributes?: readonly string[];
}

function resolveCodecs(inputs: readonly CodecInput[]): Codec[] {
  let nextDynamic = 96;
  const used = new Set<number>();
  const out: Codec[] = [];
  for (const input of inputs) {
    let codec: Codec | undefined;
    if (typeof input === 'object') codec = input;
    else if (typeof input === 'number') codec = STATIC.find((c) => c.pt === input) ?? { pt: input, name: `PT${input}`, rate: 8000 };
    else {
      const lower = input.toLowerCase();
      codec = STATIC.find((c) => c.name.toLowerCase() === lower);
      if (!codec) {
        const dyn = DYNAMIC.find((c) => c.name.toLowerCase() === lower) ?? { name: input, rate: 8000 };
        // telephone-event conventionally takes 101; others count up from 96.
        let pt = dyn.name === 'telephone-event' && !used.has(101) ? 101 : nextDynamic++;
        while (used.has(pt)) pt = nextDynamic++;
        codec = { pt, ...dyn };
      }
    }
    used.add(codec.pt);
    out.push(codec);
  }
  return out;
}

export function buildSdp(spec: SdpSpec): string {
  const ip = spec.address.includes(':') ? 'IP6' : 'IP4';
  const codecs = resolveCodecs(spec.codecs);
  const profile = spec.profile ?? (spec.crypto && spec.crypto.length > 0 ? 'RTP/SAVP' : 'RTP/AVP');
  const sessionId = spec.sessionId ?? String(Date.now());
  const lines = [
    'v=0',
    `o=${spec.username ?? '-'} ${sessionId} ${spec.sessionVersion ?? 1} IN ${ip} ${spec.address}`,
    `s=${spec.sessionName ?? '-'}`,
    `c=IN ${ip} ${spec.address}`,
    't=0 0',
    `m=audio ${spec.port} ${profile} ${codecs.map((c) => c.pt).join(' ')}`,
  ];
  for (const c of codecs) {
    lines.push(`a=rtpmap:${c.pt} ${c.name}/${c.rate}${c.channels ? `/${c.channels}` : ''}`);
    if (c.fmtp) lines.push(`a=fmtp:${c.pt} ${c.fmtp}`);
  }
  for (const crypto of spec.crypto ?? []) lines.push(`a=crypto:${crypto}`);
  if (spec.ptime !== undefined) lines.push(`a=ptime:${spec.ptime}`);
  for (const attr of spec.attributes ?? []) lines.push(`a=${attr}`);
  lines.push(`a=${spec.direction ?? 'sendrecv'}`);
  return `${lines.join('\r\n')}\r\n`;
}

/**
 * A fresh SDES crypto attribute value (RFC 4568 §6.1): 16-byte master key and
 * 14-byte salt, base64, for AES_CM_128_HMAC_SHA1_80 or _32.
 */
export function sdesCrypto(tag = 1, suite = 'AES_CM_128_HMAC_SHA1_80'): string {
  return `${tag} ${suite} inline:${randomBytes(30).toString('base64')}`;
}

export interface SdpCrypto {
  tag: number;
  suite: string;
  /** The `inline:` key-salt (base64), when the key method is inline. */
  key?: string;
  keyParams: string;
  sessionParams: string[];
}

export interface SdpMedia {
  type: string;
  port: number;
  profile: string;
  formats: string[];
  /** Numeric formats of an RTP media line. */
  payloadTypes: number[];
  /** Media-level c= address, else the session-level one. */
  address?: string;
  rtpmap: Record<number, { name: string; rate: number; channels?: number }>;
  fmtp: Record<number, string>;
  crypto: SdpCrypto[];
  direction?: string;
  /** Every a= line of this media section, without `a=`. */
  attributes: string[];
}

export interface ParsedSdp {
  origin?: { username: string; sessionId: string; version: string; addressType: string; address: string };
  /** Session-level c= address. */
  address?: string;
  sessionName?: string;
  attributes: string[];
  media: SdpMedia[];
}

export function parseSdp(text: string): ParsedSdp {
  const sdp: ParsedSdp = { attributes: [], media: [] };
  let current: SdpMedia | undefined;
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line.length < 2 || line[1] !== '=') continue;
    const type = line[0];
    const value = line.slice(2);
    if (type === 'm') {
      const [media = '', port = '0', profile = '', ...formats] = value.split(/\s+/);
      current = {
        type: media, port: Number.parseInt(port, 10), profile, formats,
        payloadTypes: formats.filter((f) => /^\d+$/.test(f)).map(Number),
        rtpmap: {}, fmtp: {}, crypto: [], attributes: [],
      };
      if (sdp.address !== undefined) current.address = sdp.address;
      sdp.media.push(current);
    } else if (type === 'c') {
      const address = value.split(/\s+/)[2]?.split('/')[0];
      if (address === undefined) continue;
      if (current) current.address = address;
      else sdp.address = address;
    } else if (type === 'o' && !current) {
      const [username = '', sessionId = '', version = '', , addressType = '', address = ''] = value.split(/\s+/);
      sdp.origin = { username, sessionId, version, addressType, address };
    } else if (type === 's' && !current) {
      sdp.sessionName = value;
    } else if (type === 'a') {
      if (current) readMediaAttribute(current, value);
      else sdp.attributes.push(value);
    }
  }
  return sdp;
}

function readMediaAttribute(media: SdpMedia, value: string): void {
  media.attributes.push(value);
  const colon = value.indexOf(':');
  const name = (colon < 0 ? value : value.slice(0, colon)).toLowerCase();
  const arg = colon < 0 ? '' : value.slice(colon + 1);
  if (name === 'rtpmap') {
    const m = /^(\d+)\s+([^/\s]+)\/(\d+)(?:\/(\d+))?/.exec(arg);
    if (m) {
      const entry: { name: string; rate: number; channels?: number } = { name: m[2] as string, rate: Number(m[3]) };
      if (m[4] !== undefined) entry.channels = Number(m[4]);
      media.rtpmap[Number(m[1])] = entry;
    }
  } else if (name === 'fmtp') {
    const m = /^(\d+)\s+(.*)$/.exec(arg);
    if (m) media.fmtp[Number(m[1])] = m[2] as string;
  } else if (name === 'crypto') {
    const [tag = '', suite = '', keyParams = '', ...sessionParams] = arg.trim().split(/\s+/);
    const crypto: SdpCrypto = { tag: Number(tag), suite, keyParams, sessionParams };
    const inline = /^inline:([^|]+)/i.exec(keyParams);
    if (inline) crypto.key = inline[1] as string;
    media.crypto.push(crypto);
  } else if (['sendrecv', 'sendonly', 'recvonly', 'inactive'].includes(name)) {
    media.direction = name;
  }
}

/** The codec names a media line offers, resolving static payload types without rtpmap. */
export function codecNames(media: SdpMedia): string[] {
  return media.payloadTypes.map((pt) => media.rtpmap[pt]?.name ?? STATIC.find((c) => c.pt === pt)?.name ?? `PT${pt}`);
}
