import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MediaError } from './media-error';
import { buildSenderReport, parseRtcpHeader } from './rtcp-packet';
import { buildRtp, looksLikeRtcp, parseRtp, type RtpPacketInit } from './rtp-packet';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

const arbInit: fc.Arbitrary<RtpPacketInit> = fc.record({
  marker: fc.boolean(),
  payloadType: fc.integer({ min: 0, max: 127 }),
  sequenceNumber: fc.integer({ min: 0, max: 0xffff }),
  timestamp: fc.integer({ min: 0, max: 0xffffffff }),
  ssrc: fc.integer({ min: 0, max: 0xffffffff }),
  csrcs: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 15 }),
  extension: fc.option(
    fc.record({
      profile: fc.integer({ min: 0, max: 0xffff }),
      data: fc.integer({ min: 0, max: 8 }).map((words) => Buffer.alloc(words * 4, 0xab)),
    }),
    { nil: undefined },
  ),
  payload: fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
  paddingLength: fc.integer({ min: 0, max: 255 }),
}).map(({ extension, ...rest }) => (extension ? { ...rest, extension } : rest));

describe('RTP packets', () => {
  it('parses a hand-made packet with CSRC, extension and padding', () => {
    const wire = hex('b2 e0 0102 00000003 00000004 0000000a 0000000b bede0001 11223344 cafe 000003');
    const r = parseRtp(wire);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({
      marker: true, payloadType: 96, sequenceNumber: 0x0102, timestamp: 3, ssrc: 4, csrcs: [10, 11],
      paddingLength: 3, headerLength: 28,
    });
    expect(r.value.extension?.profile).toBe(0xbede);
    expect(r.value.extension?.data.toString('hex')).toBe('11223344');
    expect(r.value.payload.toString('hex')).toBe('cafe');
    expect(buildRtp({ ...r.value, payload: hex('cafe') }).toString('hex')).toBe(wire.toString('hex'));
  });

  it('round-trips every buildable packet', () => {
    fc.assert(fc.property(arbInit, (init) => {
      const r = parseRtp(buildRtp(init));
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect(r.value.payload).toEqual(init.payload);
      expect(r.value.csrcs).toEqual(init.csrcs);
      expect(r.value.sequenceNumber).toBe(init.sequenceNumber);
      expect(r.value.ssrc).toBe(init.ssrc);
      expect(r.value.paddingLength).toBe(init.paddingLength);
      expect(r.value.extension?.data).toEqual(init.extension?.data);
    }));
  });

  it('never throws on garbage', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
      const r = parseRtp(Buffer.from(bytes));
      if (!r.ok) expect(r.error).toBeInstanceOf(MediaError);
    }));
  });

  it.each([
    ['', 'rtp-too-short'],
    ['40000000 00000000 00000000', 'rtp-bad-version'],
    ['8f000000 00000000 00000000', 'rtp-bad-csrc-count'],
    ['90000000 00000000 00000000 bede0005 00000000', 'rtp-bad-extension'],
    ['a0000000 00000000 00000000 0000 00', 'rtp-bad-padding'],
    ['a0000000 00000000 00000000 0009', 'rtp-bad-padding'],
  ])('refuses %s with %s', (wire, code) => {
    const r = parseRtp(hex(wire));
    expect(!r.ok && r.error.code).toBe(code);
  });

  it('refuses to build what cannot be encoded', () => {
    const base = { payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: 0, payload: Buffer.alloc(0) };
    expect(() => buildRtp({ ...base, payloadType: 128 })).toThrow(/rtp-bad-field/);
    expect(() => buildRtp({ ...base, sequenceNumber: 65536 })).toThrow(/rtp-bad-field/);
    expect(() => buildRtp({ ...base, csrcs: new Array(16).fill(0) })).toThrow(/rtp-bad-field/);
    expect(() => buildRtp({ ...base, extension: { profile: 1, data: Buffer.alloc(3) } })).toThrow(/rtp-bad-field/);
  });
});

describe('RTCP', () => {
  it('builds a compound SR + SDES that demultiplexes as RTCP', () => {
    const sr = buildSenderReport({ ssrc: 0x01020304, wallClockMs: 0, rtpTimestamp: 160, packetCount: 5, octetCount: 860, cname: 'x@y' });
    expect(sr.length % 4).toBe(0);
    expect(looksLikeRtcp(sr)).toBe(true);
    expect(parseRtcpHeader(sr)).toMatchObject({ ok: true, value: { packetType: 200, ssrc: 0x01020304, firstPacketLength: 28 } });
    expect(sr.readUInt32BE(8)).toBe(2_208_988_800); // NTP seconds of the Unix epoch
    const sdes = parseRtcpHeader(sr.subarray(28));
    expect(sdes.ok && sdes.value.packetType).toBe(202);
    expect(sr.subarray(38, 41).toString()).toBe('x@y');
  });

  it('does not take RTP with PT 0, 8 or dynamic types for RTCP', () => {
    for (const pt of [0, 8, 96, 127]) {
      expect(looksLikeRtcp(buildRtp({ payloadType: pt, sequenceNumber: 1, timestamp: 1, ssrc: 1, payload: Buffer.alloc(4), marker: true }))).toBe(false);
    }
  });

  it('refuses truncated RTCP', () => {
    const r = parseRtcpHeader(hex('80c8000600000001'));
    expect(!r.ok && r.error.code).toBe('rtcp-too-short');
  });
});
