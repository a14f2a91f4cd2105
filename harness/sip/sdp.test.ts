import { describe, expect, it } from 'vitest';
import { buildSdp, codecNames, parseSdp, sdesCrypto } from './sdp';

describe('sdp', () => {
  it('builds a plain RTP offer and reads it back', () => {
    const text = buildSdp({ address: '203.0.113.20', port: 40000, codecs: ['PCMU', 8, 'G729', 'telephone-event', 'opus'], sessionId: '42' });
    expect(text).toContain('o=- 42 1 IN IP4 203.0.113.20\r\n');
    expect(text).toContain('m=audio 40000 RTP/AVP 0 8 18 101 96\r\n');
    const sdp = parseSdp(text);
    const audio = sdp.media[0];
    expect(sdp.address).toBe('203.0.113.20');
    expect(sdp.origin?.address).toBe('203.0.113.20');
    expect(audio).toMatchObject({ type: 'audio', port: 40000, profile: 'RTP/AVP', payloadTypes: [0, 8, 18, 101, 96], address: '203.0.113.20', direction: 'sendrecv' });
    expect(audio?.rtpmap[96]).toEqual({ name: 'opus', rate: 48000, channels: 2 });
    expect(audio?.fmtp[101]).toBe('0-16');
    expect(codecNames(audio!)).toEqual(['PCMU', 'PCMA', 'G729', 'telephone-event', 'opus']);
  });

  it('builds an SRTP offer with the given crypto line', () => {
    const crypto = sdesCrypto();
    const sdp = parseSdp(buildSdp({ address: '2001:db8::5', port: 5004, codecs: [0], crypto: [crypto] }));
    const audio = sdp.media[0];
    expect(audio?.profile).toBe('RTP/SAVP');
    expect(audio?.crypto).toHaveLength(1);
    expect(audio?.crypto[0]).toMatchObject({ tag: 1, suite: 'AES_CM_128_HMAC_SHA1_80' });
    expect(Buffer.from(audio?.crypto[0]?.key ?? '', 'base64')).toHaveLength(30);
    expect(sdp.origin?.addressType).toBe('IP6');
  });

  it('reads media-level c= over the session one, and payload types without rtpmap', () => {
    const sdp = parseSdp('v=0\no=x 1 2 IN IP4 10.0.0.1\ns=-\nc=IN IP4 10.0.0.1\nt=0 0\nm=audio 0 RTP/AVP 8\nc=IN IP4 10.0.0.2/127\na=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:abc|2^20|1:32 KDR=1\n');
    expect(sdp.media[0]?.address).toBe('10.0.0.2');
    expect(sdp.media[0]?.crypto[0]).toEqual({ tag: 2, suite: 'AES_CM_128_HMAC_SHA1_32', key: 'abc', keyParams: 'inline:abc|2^20|1:32', sessionParams: ['KDR=1'] });
    expect(codecNames(sdp.media[0]!)).toEqual(['PCMA']);
  });
});
