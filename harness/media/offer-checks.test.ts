import { describe, expect, it } from 'vitest';
import { buildSdp, parseSdp } from '../sip/sdp';
import { g711OnlyProblem, plainRtpProblem, receivedProblem, srtpAnswerKey } from './offer-checks';
import { cryptoAttrValue, generateCryptoAttr } from './sdes-crypto';
import type { ReceiveStats } from './stream-analyser';

const SUBJECT = 'the INVITE core server 10.20.0.21 received';
const offer = (codecs: string[], crypto?: string[]): string => buildSdp({ address: '10.20.0.10', port: 30000, codecs, ...(crypto ? { crypto } : {}) });

describe('G.711 only towards the core (IN-03)', () => {
  it('accepts PCMU and PCMA with telephone-event, or one law alone', () => {
    expect(g711OnlyProblem(offer(['PCMU', 'PCMA', 'telephone-event']), SUBJECT)).toBeUndefined();
    expect(g711OnlyProblem(offer(['PCMA']), SUBJECT)).toBeUndefined();
  });

  it('names a codec other than G.711', () => {
    expect(g711OnlyProblem(offer(['PCMU', 'G729']), SUBJECT)).toMatch(/offers audio 18 G729\/8000; only PCMU \(0\) and PCMA \(8\)/);
  });

  it('fails an offer of neither law, and one without active audio', () => {
    expect(g711OnlyProblem(offer(['telephone-event']), SUBJECT)).toMatch(/offers neither law/);
    expect(g711OnlyProblem('v=0\r\nc=IN IP4 10.20.0.10\r\nm=audio 0 RTP/AVP 0\r\n', SUBJECT)).toMatch(/offers no active audio/);
  });
});

describe('plain RTP towards the core (GEN-09)', () => {
  it('accepts RTP/AVP without a key and names RTP/SAVP with one', () => {
    expect(plainRtpProblem(offer(['PCMU']), SUBJECT)).toBeUndefined();
    const key = cryptoAttrValue(generateCryptoAttr());
    expect(plainRtpProblem(offer(['PCMU'], [key]), SUBJECT)).toMatch(/must be plain RTP\/AVP, but .* offers RTP\/SAVP with 1 a=crypto/);
  });
});

describe('the SBC\'s SRTP answer (GEN-09)', () => {
  const audioOf = (sdp: string) => parseSdp(sdp).media[0]!;
  const ours = generateCryptoAttr();

  it('returns the SBC\'s own key', () => {
    const theirs = generateCryptoAttr();
    const r = srtpAnswerKey(audioOf(offer(['PCMU'], [cryptoAttrValue(theirs)])), ours, 'the SRTP offer');
    expect('key' in r && r.key.suite).toBe('AES_CM_128_HMAC_SHA1_80');
  });

  it('fails an RTP/AVP answer, an answer without a key and the caller\'s own key sent back', () => {
    expect(srtpAnswerKey(audioOf(offer(['PCMU'])), ours, 'the SRTP offer')).toEqual({ problem: expect.stringMatching(/with RTP\/AVP; an SRTP offer needs an RTP\/SAVP answer/) });
    const noKey = buildSdp({ address: '203.0.113.10', port: 30000, codecs: ['PCMU'], profile: 'RTP/SAVP' });
    expect(srtpAnswerKey(audioOf(noKey), ours, 'the SRTP offer')).toEqual({ problem: expect.stringMatching(/no usable AES_CM_128_HMAC_SHA1_80 a=crypto line/) });
    expect(srtpAnswerKey(audioOf(offer(['PCMU'], [cryptoAttrValue(ours)])), ours, 'the SRTP offer')).toEqual({ problem: expect.stringMatching(/the caller's own key/) });
  });
});

describe('media received', () => {
  const stats = (o: Partial<ReceiveStats>): ReceiveStats => ({
    received: 50, authenticated: 0, authFailures: 0, replayRejected: 0, malformed: 0, accepted: 50, duplicates: 0, outOfOrder: 0,
    expected: 50, lost: 0, jitterMs: 0.5, payloadCheckFailures: 0, sources: [{ address: '10.20.0.2', port: 30000, packets: 50 }],
    ssrcs: [1], payloadTypes: [0], streamIds: [1], ...o,
  } as ReceiveStats);
  const who = { who: 'core server 10.20.0.21', from: '10.20.0.2', g711Only: true };

  it('accepts intact G.711 from the SBC only', () => {
    expect(receivedProblem(stats({}), who)).toBeUndefined();
  });

  it('names nothing intact, corruption, loss, a foreign source and a payload type other than G.711', () => {
    expect(receivedProblem(stats({ accepted: 0, lost: 50 }), who)).toMatch(/received no intact media/);
    expect(receivedProblem(stats({ payloadCheckFailures: 3 }), who)).toMatch(/corrupted, transcoded or still encrypted/);
    expect(receivedProblem(stats({ accepted: 49, lost: 1 }), who)).toMatch(/lost 1 of 50 packets \(limit 1 %\)/);
    expect(receivedProblem(stats({ sources: [{ address: '10.20.0.21', port: 4000, packets: 50 }] }), who)).toMatch(/received media from 10\.20\.0\.21:4000; only 10\.20\.0\.2/);
    expect(receivedProblem(stats({ payloadTypes: [0, 18] }), who)).toMatch(/payload types 18; only 0 \(PCMU\) and 8 \(PCMA\)/);
  });
});
