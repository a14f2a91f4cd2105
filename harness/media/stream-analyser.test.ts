import { describe, expect, it } from 'vitest';
import { buildTestPayload } from './g711';
import { buildRtp } from './rtp-packet';
import { generateCryptoAttr } from './sdes-crypto';
import { SrtpContext } from './srtp';
import { StreamAnalyser, type Arrival } from './stream-analyser';

function packet(counter: number, opts: { seq?: number; ts?: number; ssrc?: number; streamId?: number } = {}): Buffer {
  return buildRtp({
    payloadType: 0,
    sequenceNumber: (opts.seq ?? 1000 + counter) & 0xffff,
    timestamp: (opts.ts ?? counter * 160) >>> 0,
    ssrc: opts.ssrc ?? 42,
    payload: buildTestPayload({ codec: 'PCMU', streamId: opts.streamId ?? 7, counter }),
  });
}

const at = (ms: number, port = 4000): Arrival => ({ address: '10.0.0.1', port, wallMs: 1_000_000 + ms, monoMs: ms });

describe('StreamAnalyser', () => {
  it('sees a perfect stream: no loss, zero jitter', () => {
    const a = new StreamAnalyser({});
    for (let i = 0; i < 50; i++) a.feed(packet(i), at(i * 20));
    expect(a.stats()).toMatchObject({
      received: 50, accepted: 50, expected: 50, lost: 0, duplicates: 0, outOfOrder: 0, jitterMs: 0,
      firstArrivalMs: 1_000_000, lastArrivalMs: 1_000_980, streamIds: [7], ssrcs: [42], payloadTypes: [0],
      sources: [{ address: '10.0.0.1', port: 4000, packets: 50 }],
    });
  });

  it('computes RFC 3550 jitter: constant 10 ms alternation converges towards 10 ms', () => {
    const a = new StreamAnalyser({});
    for (let i = 0; i < 500; i++) a.feed(packet(i), at(i * 20 + (i % 2) * 10));
    // |D| is 10 ms for every pair, so J -> 10 ms.
    expect(a.stats().jitterMs).toBeGreaterThan(9.9);
    expect(a.stats().jitterMs).toBeLessThanOrEqual(10);
  });

  it('computes one jitter step exactly', () => {
    const a = new StreamAnalyser({});
    a.feed(packet(0), at(0));
    a.feed(packet(1), at(36)); // 16 ms late: D = 128 samples, J = 128 / 16 = 8 samples = 1 ms
    expect(a.stats().jitterMs).toBeCloseTo(1, 9);
  });

  it('is not fooled by rewritten sequence numbers, timestamps and SSRC', () => {
    const a = new StreamAnalyser({ expectedPackets: 10 });
    for (let i = 0; i < 10; i++) a.feed(packet(i, { seq: 65530 + i, ts: 0xffffff00 + i * 160, ssrc: i < 5 ? 1 : 2 }), at(i * 20));
    expect(a.stats()).toMatchObject({ accepted: 10, lost: 0, outOfOrder: 0, ssrcs: [1, 2] });
    expect(a.stats().jitterMs).toBe(0);
  });

  it('counts loss, duplicates and reordering by the embedded counter', () => {
    const a = new StreamAnalyser({ expectedPackets: 10 });
    for (const i of [0, 1, 3, 2, 2, 5, 6, 6, 7]) a.feed(packet(i), at(i * 20));
    expect(a.stats()).toMatchObject({ received: 9, accepted: 7, duplicates: 2, outOfOrder: 1, expected: 10, lost: 3 });
  });

  it('without expectedPackets, expects up to the highest counter seen (a lost head counts, a lost tail cannot)', () => {
    const a = new StreamAnalyser({});
    for (const i of [2, 3, 4]) a.feed(packet(i), at(i * 20));
    expect(a.stats()).toMatchObject({ expected: 5, lost: 2 });
  });

  it('counts corrupted payloads and garbage without throwing', () => {
    const a = new StreamAnalyser({});
    const bad = packet(1);
    bad[40]! ^= 1;
    a.feed(bad, at(0));
    a.feed(Buffer.from('not rtp at all'), at(1));
    a.feed(Buffer.alloc(0), at(2));
    expect(a.stats()).toMatchObject({ received: 3, payloadCheckFailures: 1, malformed: 2, accepted: 0 });
  });

  it('in transcoded mode ignores the payload and follows RTP sequence numbers across a wrap', () => {
    const a = new StreamAnalyser({ transcoded: true });
    for (const i of [0, 1, 2, 4, 5, 6]) {
      const p = packet(i, { seq: 65533 + i });
      p.fill(0x55, 12); // a PCMA payload now
      a.feed(p, at(i * 20));
    }
    expect(a.stats()).toMatchObject({ accepted: 6, expected: 7, lost: 1, payloadCheckFailures: 0, streamIds: [] });
  });

  it('checks SRTP: authenticated, auth failures, replays', () => {
    const key = generateCryptoAttr();
    const tx = SrtpContext.fromCryptoAttr(key);
    const a = new StreamAnalyser({ srtp: key });
    const wire = [0, 1, 2].map((i) => tx.protectRtp(packet(i)));
    for (const w of wire) a.feed(w, at(0));
    a.feed(wire[1]!, at(1));
    a.feed(packet(3), at(2)); // plain RTP where SRTP is due
    const forged = tx.protectRtp(packet(4));
    forged[20]! ^= 0xff;
    a.feed(forged, at(3));
    expect(a.stats()).toMatchObject({
      received: 6, authenticated: 3, authFailures: 2, replayRejected: 1, duplicates: 1, accepted: 3,
    });
  });

  it('buffers until configured', () => {
    const a = new StreamAnalyser();
    a.feed(packet(0), at(0));
    expect(a.arrived).toBe(1);
    expect(a.stats().received).toBe(0);
    a.configure({});
    expect(a.stats()).toMatchObject({ received: 1, accepted: 1 });
  });
});
