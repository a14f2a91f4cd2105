/**
 * HTTP digest authentication as SIP uses it (RFC 3261 §22.4, RFC 2617, and
 * RFC 8760 for SHA-256), so a device the suite plays can register with
 * credentials the SBC holds (IN-02).
 */
import { createHash, randomBytes } from 'node:crypto';
import { splitHeaderList } from './headers';

export interface Credentials {
  username: string;
  password: string;
}

export interface DigestChallenge {
  realm: string;
  nonce: string;
  opaque?: string;
  /** Upper-cased, `MD5` when absent. */
  algorithm: string;
  /** The qop values offered, e.g. ['auth']. */
  qop: string[];
  stale: boolean;
}

/** Reads a `WWW-Authenticate` / `Proxy-Authenticate` value; undefined if it is not Digest. */
export function parseChallenge(value: string): DigestChallenge | undefined {
  const match = /^\s*Digest\s+(.*)$/is.exec(value);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  for (const part of splitHeaderList(match[1] as string)) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim().toLowerCase();
    let val = part.slice(eq + 1).trim();
    if (val.startsWith('"') && val.endsWith('"') && val.length >= 2) val = val.slice(1, -1).replace(/\\(.)/g, '$1');
    params[key] = val;
  }
  if (params.realm === undefined || params.nonce === undefined) return undefined;
  const challenge: DigestChallenge = {
    realm: params.realm,
    nonce: params.nonce,
    algorithm: (params.algorithm ?? 'MD5').toUpperCase(),
    qop: (params.qop ?? '').split(',').map((q) => q.trim().toLowerCase()).filter((q) => q !== ''),
    stale: (params.stale ?? '').toLowerCase() === 'true',
  };
  if (params.opaque !== undefined) challenge.opaque = params.opaque;
  return challenge;
}

function hasher(algorithm: string): (text: string) => string {
  const base = algorithm.replace(/-SESS$/, '');
  const name = base === 'SHA-256' ? 'sha256' : base === 'SHA-512-256' ? 'sha512-256' : 'md5';
  return (text) => createHash(name).update(text, 'utf8').digest('hex');
}

/** The `Authorization` / `Proxy-Authorization` value answering `challenge` for one request. */
export function digestAuthorization(
  challenge: DigestChallenge, credentials: Credentials, method: string, uri: string, nonceCount = 1, cnonce = randomBytes(8).toString('hex'),
): string {
  const h = hasher(challenge.algorithm);
  let ha1 = h(`${credentials.username}:${challenge.realm}:${credentials.password}`);
  if (challenge.algorithm.endsWith('-SESS')) ha1 = h(`${ha1}:${challenge.nonce}:${cnonce}`);
  const ha2 = h(`${method.toUpperCase()}:${uri}`);
  const nc = nonceCount.toString(16).padStart(8, '0');
  const useQop = challenge.qop.includes('auth');
  const response = useQop ? h(`${ha1}:${challenge.nonce}:${nc}:${cnonce}:auth:${ha2}`) : h(`${ha1}:${challenge.nonce}:${ha2}`);
  const parts = [
    `username="${credentials.username}"`, `realm="${challenge.realm}"`, `nonce="${challenge.nonce}"`, `uri="${uri}"`,
    `response="${response}"`, `algorithm=${challenge.algorithm}`,
  ];
  if (challenge.opaque !== undefined) parts.push(`opaque="${challenge.opaque}"`);
  if (useQop) parts.push('qop=auth', `nc=${nc}`, `cnonce="${cnonce}"`);
  return `Digest ${parts.join(', ')}`;
}
