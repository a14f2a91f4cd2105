import { checkTestPayload } from './g711';
import { looksLikeRtcp, parseRtp, parseRtpHeader } from './rtp-packet';
import type { CryptoAttr } from './sdes-crypto';
import { SrtpContext } from './srtp';

/**
 * Tells RTP from SRTP in a captured stream (the UDP payloads of one direction of one flow).
 *
 * In order of strength:
 *  1. keys given: SRTP if most packets authenticate with one of them. This is proof.
 *  2. the suite's own test pattern (g711.ts) readable in most payloads: plain RTP. Proof, but only
 *     for media the suite sent. Readable once a 10- or 4-octet trailer is removed: SRTP with
 *     UNENCRYPTED_SRTP (authenticated, not encrypted).
 *  3. otherwise the Shannon entropy of all payload octets: ciphertext is near 8 bits/octet, G.711
 *     speech or tones well below. With G.711 a payload length ≡ 2 or 4 (mod 8) hints at an 80- or
 *     32-bit tag after 8-samples-per-ms audio.
 *
 * Limits of 3: it is a heuristic. White noise or an already compressed or encrypted payload inside
 * plain RTP looks like SRTP; fewer than MIN_ENTROPY_OCTETS octets are too few to judge ('unknown');
 * it cannot tell SRTP from any other encryption, nor which key was used, nor whether the peer
 * could decrypt it. Only 1 proves GEN-09.
 */
export type StreamKind = 'rtp' | 'srtp' | 'not-rtp' | 'unknown';

export type ClassificationBasis = 'auth-tag' | 'test-pattern' | 'entropy' | 'headers' | 'too-little-data';

export interface Classification {
  kind: StreamKind;
  basis: ClassificationBasis;
  /** Datagrams examined, of which RTCP-looking ones are set aside. */
  packets: number;
  rtcp: number;
  /** Datagrams with a valid RTP header. */
  rtpHeaders: number;
  /** Packets that authenticated with the best of the keys given (0 without keys). */
  authenticated: number;
  /** Payloads carrying the suite's test pattern as they are. */
  patternOk: number;
  /** Shannon entropy of all RTP payload octets, bits per octet (0..8). */
  entropyBitsPerOctet: number;
  /** Octets of RTP payload (after the header) the entropy was measured over. */
  payloadOctets: number;
  /** The payload length modulo 8 suggests this SRTP tag length, for G.711 payload types. */
  tagLengthHint?: 10 | 4;
  reasons: string[];
}

export const MIN_ENTROPY_OCTETS = 1600;
const ENCRYPTED_ABOVE = 7.5;
const PLAIN_BELOW = 7.0;

function entropy(chunks: Buffer[]): { bits: number; octets: number } {
  const counts = new Array<number>(256).fill(0);
  let octets = 0;
  for (const c of chunks) {
    for (const b of c) counts[b]!++;
    octets += c.length;
  }
  let bits = 0;
  for (const n of counts) {
    if (n) bits -= (n / octets) * Math.log2(n / octets);
  }
  return { bits, octets };
}

function majority(n: number, of: number): boolean {
  return of > 0 && n * 2 > of;
}

function patternAfterTrailer(payloads: Buffer[], trailer: number): number {
  let ok = 0;
  for (const p of payloads) {
    const r = parseRtp(p, trailer);
    if (r.ok && checkTestPayload(r.value.payload).ok) ok++;
  }
  return ok;
}

export function classifyStream(datagrams: readonly Buffer[], opts: { keys?: readonly CryptoAttr[] } = {}): Classification {
  const rtp: Buffer[] = [];
  const bodies: Buffer[] = [];
  const lengths = new Map<number, number>();
  let rtcp = 0;
  let g711 = 0;
  for (const d of datagrams) {
    if (looksLikeRtcp(d)) {
      rtcp++;
      continue;
    }
    const h = parseRtpHeader(d);
    if (!h.ok) continue;
    rtp.push(d);
    const body = d.subarray(h.value.headerLength);
    bodies.push(body);
    lengths.set(body.length % 8, (lengths.get(body.length % 8) ?? 0) + 1);
    if (h.value.payloadType === 0 || h.value.payloadType === 8) g711++;
  }
  const { bits, octets } = entropy(bodies);
  const result: Classification = {
    kind: 'unknown', basis: 'too-little-data', packets: datagrams.length, rtcp, rtpHeaders: rtp.length,
    authenticated: 0, patternOk: 0, entropyBitsPerOctet: bits, payloadOctets: octets, reasons: [],
  };
  if (majority(g711, rtp.length)) {
    const [mod] = [...lengths.entries()].sort((a, b) => b[1] - a[1])[0] ?? [];
    if (mod === 2) result.tagLengthHint = 10;
    if (mod === 4) result.tagLengthHint = 4;
  }
  const media = datagrams.length - rtcp;
  if (!majority(rtp.length, media)) {
    return { ...result, kind: 'not-rtp', basis: 'headers', reasons: [`${rtp.length} of ${media} datagrams have an RTP header`] };
  }

  for (const key of opts.keys ?? []) {
    const ctx = SrtpContext.fromCryptoAttr(key, { replayWindowSize: 1024 });
    const n = rtp.filter((d) => ctx.unprotectRtp(d).ok).length;
    result.authenticated = Math.max(result.authenticated, n);
  }
  if (majority(result.authenticated, rtp.length)) {
    return { ...result, kind: 'srtp', basis: 'auth-tag', reasons: [`${result.authenticated} of ${rtp.length} packets authenticate`] };
  }
  if (opts.keys?.length) result.reasons.push(`only ${result.authenticated} of ${rtp.length} packets authenticate with the keys given`);

  result.patternOk = patternAfterTrailer(rtp, 0);
  if (majority(result.patternOk, rtp.length)) {
    return { ...result, kind: 'rtp', basis: 'test-pattern', reasons: [...result.reasons, 'the test pattern is readable in the clear'] };
  }
  for (const trailer of [10, 4]) {
    const n = patternAfterTrailer(rtp, trailer);
    if (majority(n, rtp.length)) {
      return {
        ...result, kind: 'srtp', basis: 'test-pattern',
        reasons: [...result.reasons, `the test pattern is readable before a ${trailer}-octet trailer: authenticated but unencrypted SRTP`],
      };
    }
  }

  if (octets < MIN_ENTROPY_OCTETS) {
    return { ...result, reasons: [...result.reasons, `${octets} payload octets are too few to judge by entropy`] };
  }
  const why = `payload entropy ${bits.toFixed(2)} bits/octet`;
  if (bits > ENCRYPTED_ABOVE) return { ...result, kind: 'srtp', basis: 'entropy', reasons: [...result.reasons, `${why}: looks encrypted`] };
  if (bits < PLAIN_BELOW) return { ...result, kind: 'rtp', basis: 'entropy', reasons: [...result.reasons, `${why}: looks like plain audio`] };
  return { ...result, basis: 'entropy', reasons: [...result.reasons, `${why}: between plain audio and ciphertext`] };
}
