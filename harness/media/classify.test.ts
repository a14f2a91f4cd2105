import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { classifyStream } from './classify';
import { buildTestPayload, encodeG711 } from './g711';
import { buildSenderReport } from './rtcp-packet';
import { buildRtp } from './rtp-packet';
import { generateCryptoAttr } from './sdes-crypto';
import { SrtpContext } from './srtp';

function stream(n: number, payload: (i: number) => Buffer, pt = 0): Buffer[] {
  return Array.from({ length: n }, (_, i) => buildRtp({ payloadType: pt, sequenceNumber: i, timestamp: i * 160, ssrc: 9, payload: payload(i) }));
}

const pattern = (i: number): Buffer => buildTestPayload({ codec: 'PCMU', streamId: 1, counter: i });
// Audio that is not the suite's pattern (someone else's media): a chirp, 160 samples a packet.
const speechLike = (i: number): Buffer =>
  encodeG711('PCMA', Array.from({ length: 160 }, (_, k) => 6000 * Math.sin(((i * 160 + k) * (300 + (k % 50))) / 8000)));

describe('classifyStream', () => {
  const key = generateCryptoAttr();

  it('proves SRTP with the key, and sets RTCP aside', () => {
    const ctx = SrtpContext.fromCryptoAttr(key);
    const wire = stream(50, pattern).map((p) => ctx.protectRtp(p));
    wire.push(buildSenderReport({ ssrc: 9, wallClockMs: 0, rtpTimestamp: 0, packetCount: 1, octetCount: 1, cname: 'c' }));
    const c = classifyStream(wire, { keys: [generateCryptoAttr(), key] });
    expect(c).toMatchObject({ kind: 'srtp', basis: 'auth-tag', authenticated: 50, rtcp: 1, tagLengthHint: 10 });
  });

  it('judges SRTP by entropy without the key, with an 80-bit tag hint', () => {
    const ctx = SrtpContext.fromCryptoAttr(key);
    const c = classifyStream(stream(50, speechLike, 8).map((p) => ctx.protectRtp(p)));
    expect(c).toMatchObject({ kind: 'srtp', basis: 'entropy', tagLengthHint: 10 });
    expect(c.entropyBitsPerOctet).toBeGreaterThan(7.5);
  });

  it('says plain RTP when the test pattern is readable, even when wrong keys are given', () => {
    const c = classifyStream(stream(20, pattern), { keys: [key] });
    expect(c).toMatchObject({ kind: 'rtp', basis: 'test-pattern', patternOk: 20, authenticated: 0 });
    expect(c.tagLengthHint).toBeUndefined();
  });

  it('says plain RTP by entropy for audio that is not the pattern', () => {
    const c = classifyStream(stream(50, speechLike, 8));
    expect(c).toMatchObject({ kind: 'rtp', basis: 'entropy' });
    expect(c.entropyBitsPerOctet).toBeLessThan(7);
  });

  it('spots authenticated-only SRTP (pattern readable before a 10-octet tag)', () => {
    const c = classifyStream(stream(20, pattern).map((p) => Buffer.concat([p, randomBytes(10)])));
    expect(c).toMatchObject({ kind: 'srtp', basis: 'test-pattern' });
  });

  it('will not judge a short capture by entropy', () => {
    const ctx = SrtpContext.fromCryptoAttr(key);
    expect(classifyStream(stream(3, speechLike).map((p) => ctx.protectRtp(p)))).toMatchObject({ kind: 'unknown', basis: 'too-little-data' });
  });

  it('calls garbage not-rtp, and random payloads under RTP headers srtp (the heuristic limit)', () => {
    expect(classifyStream([Buffer.from('SIP/2.0 200 OK'), Buffer.alloc(3), randomBytes(200).fill(0, 0, 1)]).kind).toBe('not-rtp');
    expect(classifyStream([]).kind).toBe('not-rtp');
    expect(classifyStream(stream(50, () => randomBytes(160))).kind).toBe('srtp');
  });
});
