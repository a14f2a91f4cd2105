import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { splitTopLevel } from '../../sip/grammar';

/**
 * SIP digest authentication, server side (RFC 3261 22.4 with RFC 8760: SHA-256 preferred, MD5
 * for older devices, qop=auth). Nonces are stateless: a timestamp signed with a per-process key,
 * so any nonce this process issued is recognised, and expires after `nonceTtlS`; an expired
 * nonce with an otherwise correct response is answered with a fresh challenge marked stale.
 */

export type DigestAlgorithm = 'SHA-256' | 'MD5';

const HASH: Record<DigestAlgorithm, string> = { 'SHA-256': 'sha256', MD5: 'md5' };

export interface DigestCredentials {
  username: string;
  /** The user's password (config) ... */
  password?: string | undefined;
  /** ... or its stored HA1 per algorithm (database): H(username:realm:password). */
  ha1?: Partial<Record<DigestAlgorithm, string>> | undefined;
}

export interface DigestParams {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm: string;
  qop: string | undefined;
  nc: string | undefined;
  cnonce: string | undefined;
  opaque: string | undefined;
}

export type DigestVerdict =
  | { ok: true; username: string }
  /** `stale`: the response was right but the nonce expired; the device should retry at once. */
  | { ok: false; stale: boolean; reason: string };

export function hashHex(algorithm: DigestAlgorithm, text: string): string {
  return createHash(HASH[algorithm]).update(text, 'utf8').digest('hex');
}

/** Parses an `Authorization: Digest ...` value; undefined when it is not a usable digest. */
export function parseAuthorization(value: string): DigestParams | undefined {
  const m = /^\s*Digest\s+(.*)$/is.exec(value);
  if (!m?.[1]) return undefined;
  const p: Record<string, string> = {};
  for (const part of splitTopLevel(m[1], ',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    let v = part.slice(eq + 1).trim();
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    p[part.slice(0, eq).trim().toLowerCase()] = v;
  }
  const { username, realm, nonce, uri, response } = p;
  if (username === undefined || realm === undefined || nonce === undefined || uri === undefined || response === undefined) return undefined;
  return { username, realm, nonce, uri, response, algorithm: p.algorithm ?? 'MD5', qop: p.qop, nc: p.nc, cnonce: p.cnonce, opaque: p.opaque };
}

function algorithmOf(name: string): DigestAlgorithm | undefined {
  const n = name.toUpperCase();
  return n === 'SHA-256' || n === 'MD5' ? n : undefined;
}

export class DigestAuthenticator {
  private readonly realm: string;
  private readonly nonceTtlMs: number;
  private readonly now: () => number;
  private readonly key: Buffer;

  constructor(o: { realm: string; nonceTtlS: number; now?: () => number; key?: Buffer }) {
    this.realm = o.realm;
    this.nonceTtlMs = o.nonceTtlS * 1000;
    this.now = o.now ?? Date.now;
    this.key = o.key ?? randomBytes(32);
  }

  /** One WWW-Authenticate value per algorithm, preferred first (RFC 8760 2.4). */
  challenges(stale = false): string[] {
    const nonce = this.newNonce();
    return (['SHA-256', 'MD5'] as const).map(
      (alg) => `Digest realm="${this.realm}", nonce="${nonce}", algorithm=${alg}, qop="auth"${stale ? ', stale=true' : ''}`,
    );
  }

  /** Checks an Authorization header value for `method`; `lookup` gives the user's credentials. */
  verify(method: string, header: string, lookup: (username: string) => DigestCredentials | undefined): DigestVerdict {
    const p = parseAuthorization(header);
    if (!p) return { ok: false, stale: false, reason: 'not a digest Authorization' };
    if (p.realm !== this.realm) return { ok: false, stale: false, reason: `realm ${p.realm} is not ours` };
    const algorithm = algorithmOf(p.algorithm);
    if (!algorithm) return { ok: false, stale: false, reason: `unsupported algorithm ${p.algorithm}` };
    // RFC 8760 requires qop; a response without it (RFC 2069 style) is refused.
    if (p.qop?.toLowerCase() !== 'auth' || p.nc === undefined || p.cnonce === undefined) return { ok: false, stale: false, reason: 'qop=auth with nc and cnonce required' };
    const issued = this.nonceIssuedAt(p.nonce);
    if (issued === undefined) return { ok: false, stale: false, reason: 'nonce not issued by us' };
    const creds = lookup(p.username);
    if (!creds) return { ok: false, stale: false, reason: `unknown user ${p.username}` };
    const ha1 = creds.ha1?.[algorithm] ?? (creds.password === undefined ? undefined : hashHex(algorithm, `${p.username}:${this.realm}:${creds.password}`));
    if (ha1 === undefined) return { ok: false, stale: false, reason: `no ${algorithm} secret for ${p.username}` };
    const ha2 = hashHex(algorithm, `${method}:${p.uri}`);
    const expected = hashHex(algorithm, `${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:${p.qop}:${ha2}`);
    if (!sameText(expected, p.response.toLowerCase())) return { ok: false, stale: false, reason: 'wrong response (password)' };
    if (this.now() - issued > this.nonceTtlMs) return { ok: false, stale: true, reason: 'nonce expired' };
    return { ok: true, username: p.username };
  }

  private newNonce(): string {
    const ts = Buffer.alloc(8);
    ts.writeBigUInt64BE(BigInt(this.now()));
    const salt = randomBytes(8);
    const mac = createHmac('sha256', this.key).update(ts).update(salt).digest().subarray(0, 16);
    return Buffer.concat([ts, salt, mac]).toString('base64url');
  }

  /** The issue time of a nonce this process signed, or undefined for a forged or foreign one. */
  private nonceIssuedAt(nonce: string): number | undefined {
    const raw = Buffer.from(nonce, 'base64url');
    if (raw.length !== 32) return undefined;
    const ts = raw.subarray(0, 8);
    const mac = createHmac('sha256', this.key).update(ts).update(raw.subarray(8, 16)).digest().subarray(0, 16);
    if (!timingSafeEqual(mac, raw.subarray(16))) return undefined;
    return Number(ts.readBigUInt64BE());
  }
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
