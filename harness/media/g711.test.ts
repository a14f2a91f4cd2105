import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  alawToLinear, buildTestPayload, checkTestPayload, linearToAlaw, linearToUlaw, ulawToLinear,
} from './g711';

describe('G.711 companding', () => {
  it('encodes silence and the extremes to the standard codes', () => {
    expect(linearToUlaw(0)).toBe(0xff);
    expect(linearToAlaw(0)).toBe(0xd5);
    expect(linearToUlaw(32767)).toBe(0x80);
    expect(linearToUlaw(-32768)).toBe(0x00);
    expect(linearToAlaw(32767)).toBe(0xaa);
    expect(linearToAlaw(-32768)).toBe(0x2a);
  });

  it('re-encodes every decoded code to itself', () => {
    for (let code = 0; code < 256; code++) {
      if (code !== 0x7f) expect(linearToUlaw(ulawToLinear(code))).toBe(code); // 0x7f and 0xff are both zero
      expect(linearToAlaw(alawToLinear(code))).toBe(code);
    }
  });

  it('keeps the quantisation error within one step of the segment', () => {
    fc.assert(fc.property(fc.integer({ min: -32000, max: 32000 }), (x) => {
      const bound = Math.max(16, Math.abs(x) / 16);
      expect(Math.abs(ulawToLinear(linearToUlaw(x)) - x)).toBeLessThanOrEqual(bound);
      expect(Math.abs(alawToLinear(linearToAlaw(x)) - x)).toBeLessThanOrEqual(bound);
    }));
  });
});

describe('test payload', () => {
  it('carries stream id and counter and verifies from the payload alone', () => {
    const p = buildTestPayload({ codec: 'PCMU', streamId: 0xdeadbeef, counter: 41 });
    expect(p.length).toBe(160);
    const r = checkTestPayload(p);
    expect(r.ok && r.value).toEqual({ streamId: 0xdeadbeef, counter: 41 });
  });

  it('differs per packet and per codec', () => {
    const a = buildTestPayload({ codec: 'PCMU', streamId: 1, counter: 1 });
    expect(buildTestPayload({ codec: 'PCMU', streamId: 1, counter: 2 }).subarray(10)).not.toEqual(a.subarray(10));
    expect(buildTestPayload({ codec: 'PCMA', streamId: 1, counter: 1 })).not.toEqual(a);
  });

  it('detects any single corrupted octet, truncation and garbage', () => {
    const p = buildTestPayload({ codec: 'PCMA', streamId: 7, counter: 3 });
    for (let i = 0; i < p.length; i++) {
      const bad = Buffer.from(p);
      bad[i]! ^= 0x10;
      expect(checkTestPayload(bad).ok).toBe(false);
    }
    const short = checkTestPayload(p.subarray(0, 150));
    expect(!short.ok && short.error.code).toBe('payload-bad-checksum');
    const tiny = checkTestPayload(Buffer.alloc(3));
    expect(!tiny.ok && tiny.error.code).toBe('payload-too-short');
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
      expect(checkTestPayload(Buffer.from(bytes)).ok).toBe(false);
    }));
  });

  it('detects transcoding PCMU -> PCMA', () => {
    const mu = buildTestPayload({ codec: 'PCMU', streamId: 9, counter: 0 });
    const transcoded = Buffer.from(Array.from(mu, (c) => linearToAlaw(ulawToLinear(c))));
    expect(checkTestPayload(transcoded).ok).toBe(false);
  });
});
