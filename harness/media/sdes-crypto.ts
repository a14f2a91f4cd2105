import { randomBytes } from 'node:crypto';
import { MediaError, fail, ok, type MediaResult } from './media-error';

/** The SDES crypto suites the suite speaks (RFC 4568 §6.2); both use AES-128 CM and HMAC-SHA1. */
export type SrtpSuite = 'AES_CM_128_HMAC_SHA1_80' | 'AES_CM_128_HMAC_SHA1_32';

export const SRTP_SUITES: readonly SrtpSuite[] = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'];
export const MASTER_KEY_LENGTH = 16;
export const MASTER_SALT_LENGTH = 14;

/** Master Key Identifier carried in each packet (RFC 3711 §3.1), as negotiated by `|MKI:LENGTH`. */
export interface Mki {
  value: bigint;
  /** Octets on the wire, 1..128. */
  length: number;
}

export interface SrtpKeyParam {
  masterKey: Buffer;
  masterSalt: Buffer;
  /** Packets this key may protect (`|2^31` or `|1048576`); informative, not enforced. */
  lifetime?: number;
  mki?: Mki;
}

/** One `a=crypto` attribute (RFC 4568 §9.1). */
export interface CryptoAttr {
  tag: number;
  suite: SrtpSuite;
  keys: SrtpKeyParam[];
  /** Session parameters after the key parameters (e.g. `UNENCRYPTED_SRTP`), kept verbatim. */
  sessionParams: string[];
}

function isSuite(s: string): s is SrtpSuite {
  return (SRTP_SUITES as readonly string[]).includes(s);
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function parseKeyParam(text: string): MediaResult<SrtpKeyParam> {
  if (!text.toLowerCase().startsWith('inline:')) return fail('sdes-syntax', `key method of "${text}" is not inline`);
  const [keySalt = '', ...rest] = text.slice('inline:'.length).split('|');
  if (!BASE64.test(keySalt)) return fail('sdes-syntax', 'key||salt is not base64');
  const material = Buffer.from(keySalt, 'base64');
  if (material.length !== MASTER_KEY_LENGTH + MASTER_SALT_LENGTH) {
    return fail('sdes-syntax', `key||salt is ${material.length} octets, want ${MASTER_KEY_LENGTH + MASTER_SALT_LENGTH}`);
  }
  const param: SrtpKeyParam = {
    masterKey: material.subarray(0, MASTER_KEY_LENGTH),
    masterSalt: material.subarray(MASTER_KEY_LENGTH),
  };
  // RFC 4568 §6.1: lifetime then MKI, the lifetime being optional even when an MKI follows.
  for (const field of rest) {
    const mki = /^(\d{1,39}):(\d{1,3})$/.exec(field);
    const lifetime = /^(?:2\^(\d{1,2})|(\d{1,15}))$/.exec(field);
    if (mki && !param.mki) {
      const length = Number(mki[2]);
      const value = BigInt(mki[1]!);
      if (length < 1 || length > 128 || value >= 1n << BigInt(8 * length)) {
        return fail('sdes-syntax', `MKI ${field} does not fit its length`);
      }
      param.mki = { value, length };
    } else if (lifetime && param.lifetime === undefined && !param.mki) {
      param.lifetime = lifetime[1] !== undefined ? 2 ** Number(lifetime[1]) : Number(lifetime[2]);
    } else {
      return fail('sdes-syntax', `unexpected key parameter field "${field}"`);
    }
  }
  return ok(param);
}

/**
 * Parses `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:<base64>[|lifetime][|MKI:len] [params]`; the
 * `a=` prefix is optional. An offer may list suites this code does not speak: those come back as
 * `sdes-unsupported-suite` so a caller can skip them and pick another line.
 */
export function parseCryptoAttr(line: string): MediaResult<CryptoAttr> {
  const value = line.trim().replace(/^a=/, '').replace(/^crypto:/i, '');
  const m = /^(\d{1,9})\s+(\S+)\s+(\S+)(?:\s+(.*))?$/.exec(value);
  if (!m) return fail('sdes-syntax', `not a crypto attribute: "${line}"`);
  const suite = m[2]!;
  if (!isSuite(suite)) return fail('sdes-unsupported-suite', suite);
  const keys: SrtpKeyParam[] = [];
  for (const text of m[3]!.split(';')) {
    const parsed = parseKeyParam(text);
    if (!parsed.ok) return parsed;
    keys.push(parsed.value);
  }
  return ok({
    tag: Number(m[1]),
    suite,
    keys,
    sessionParams: m[4] ? m[4].trim().split(/\s+/) : [],
  });
}

function formatLifetime(lifetime: number): string {
  const exp = Math.log2(lifetime);
  return Number.isInteger(exp) && exp > 0 ? `2^${exp}` : String(lifetime);
}

/** The attribute value `1 AES_CM_128_HMAC_SHA1_80 inline:...`, as SDP builders that add `a=crypto:` want it. */
export function cryptoAttrValue(attr: CryptoAttr): string {
  const keys = attr.keys.map((k) => {
    let s = `inline:${Buffer.concat([k.masterKey, k.masterSalt]).toString('base64')}`;
    if (k.lifetime !== undefined) s += `|${formatLifetime(k.lifetime)}`;
    if (k.mki) s += `|${k.mki.value}:${k.mki.length}`;
    return s;
  });
  const params = attr.sessionParams.length ? ` ${attr.sessionParams.join(' ')}` : '';
  return `${attr.tag} ${attr.suite} ${keys.join(';')}${params}`;
}

/** The SDP line `a=crypto:...`; round-trips through parseCryptoAttr. */
export function formatCryptoAttr(attr: CryptoAttr): string {
  return `a=crypto:${cryptoAttrValue(attr)}`;
}

export interface GenerateCryptoOptions {
  tag?: number;
  suite?: SrtpSuite;
  mki?: Mki;
  lifetime?: number;
}

/** Fresh random key material, the way a phone makes its own offer. */
export function generateCryptoAttr(opts: GenerateCryptoOptions = {}): CryptoAttr {
  const suite = opts.suite ?? 'AES_CM_128_HMAC_SHA1_80';
  if (!isSuite(suite)) throw new MediaError('bad-option', `unsupported suite ${String(suite)}`);
  const key: SrtpKeyParam = { masterKey: randomBytes(MASTER_KEY_LENGTH), masterSalt: randomBytes(MASTER_SALT_LENGTH) };
  if (opts.lifetime !== undefined) key.lifetime = opts.lifetime;
  if (opts.mki) key.mki = opts.mki;
  return { tag: opts.tag ?? 1, suite, keys: [key], sessionParams: [] };
}

/**
 * The first attribute among an SDP's crypto lines that this code can use (RFC 4568 §7.1.1: the
 * answerer picks one line of the offer; an answer carries exactly one).
 */
export function firstSupportedCrypto(lines: readonly string[]): CryptoAttr | undefined {
  for (const line of lines) {
    const r = parseCryptoAttr(line);
    if (r.ok) return r.value;
  }
  return undefined;
}
