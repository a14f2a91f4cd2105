import { describe, expect, it } from 'vitest';
import { codecViolations, g711Check, restoreDroppedMedia, restrictToG711 } from '../src/media/codec-policy';
import { MediaError } from '../src/media/media-error';
import { guardOutgoingSdp } from '../src/media/sdp-guard';
import { profileFor, srtpOfferFlags } from '../src/media/srtp-policy';
import { parseSdp, serializeSdp } from '../src/sip/sdp';

const KEY = 'inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz';

function sdp(media: string[], session: string[] = []): string {
  return ['v=0', 'o=alice 42 7 IN IP4 198.51.100.7', 's=Alice call', ...session, 'c=IN IP4 198.51.100.7', 't=0 0', ...media, ''].join('\r\n');
}

const MIXED = sdp([
  'm=audio 40000 RTP/AVP 0 8 9 111 18 101 96',
  'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:9 G722/8000', 'a=rtpmap:111 opus/48000/2',
  'a=fmtp:111 useinbandfec=1', 'a=rtpmap:18 G729/8000', 'a=fmtp:18 annexb=no',
  'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16', 'a=rtpmap:96 telephone-event/48000', 'a=sendrecv',
]);

describe('g711Check (IN-03: 488 before routing)', () => {
  it('accepts an offer with PCMU or PCMA among others', () => {
    expect(g711Check(MIXED)).toEqual({ ok: true });
    expect(g711Check(sdp(['m=audio 4000 RTP/AVP 8']))).toEqual({ ok: true });
  });

  it('refuses an offer with G.729 only, saying what was offered', () => {
    const v = g711Check(sdp(['m=audio 40000 RTP/AVP 18 101', 'a=rtpmap:18 G729/8000', 'a=rtpmap:101 telephone-event/8000']), '203.0.113.10');
    expect(v).toMatchObject({ ok: false, status: 488, reason: 'Not Acceptable Here', warning: '305 203.0.113.10 "Incompatible media format"' });
    expect(!v.ok && v.detail).toContain('18 g729/8000');
  });

  it('does not take a PT 0 remapped to another codec, a dynamic PCMU, or a disabled stream for G.711', () => {
    expect(g711Check(sdp(['m=audio 4000 RTP/AVP 0', 'a=rtpmap:0 opus/48000/2'])).ok).toBe(false);
    expect(g711Check(sdp(['m=audio 4000 RTP/AVP 97', 'a=rtpmap:97 PCMU/8000'])).ok).toBe(false);
    expect(g711Check(sdp(['m=audio 0 RTP/AVP 0'])).ok).toBe(false);
    expect(g711Check(sdp(['m=video 4000 RTP/AVP 0'])).ok).toBe(false);
  });

  it('refuses SDP it cannot read', () => {
    const v = g711Check('this is not sdp');
    expect(v.ok).toBe(false);
    expect(!v.ok && v.detail).toMatch(/not valid/);
  });
});

describe('restrictToG711 / restoreDroppedMedia', () => {
  it('keeps only 0, 8 and telephone-event/8000, with their attributes', () => {
    const parsed = parseSdp(MIXED);
    expect(restrictToG711(parsed)).toEqual([]);
    const audio = parsed.media[0]!;
    expect(audio.formats).toEqual(['0', '8', '101']);
    const text = serializeSdp(parsed);
    expect(text).not.toMatch(/G722|opus|G729|annexb|useinbandfec|telephone-event\/48000/);
    expect(text).toContain('a=fmtp:101 0-16');
    expect(text).toContain('a=sendrecv');
    expect(codecViolations(parsed)).toEqual([]);
  });

  it('removes video and G.711-less audio streams and answers them back as rejected, in place', () => {
    const offer = parseSdp(sdp([
      'm=video 5000 RTP/AVP 96', 'a=rtpmap:96 H264/90000',
      'm=audio 4000 RTP/SAVP 8 0', 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 ' + KEY,
      'm=audio 4002 RTP/AVP 18',
    ]));
    const dropped = restrictToG711(offer);
    expect(dropped).toEqual([
      { index: 0, media: 'video', proto: 'RTP/AVP', format: '96' },
      { index: 2, media: 'audio', proto: 'RTP/AVP', format: '18' },
    ]);
    expect(offer.media.map((m) => m.media)).toEqual(['audio']);
    const answer = parseSdp(sdp(['m=audio 31000 RTP/SAVP 8']));
    restoreDroppedMedia(answer, dropped);
    expect(answer.media.map((m) => `${m.media} ${m.port} ${m.proto} ${m.formats.join(' ')}`)).toEqual([
      'video 0 RTP/AVP 96', 'audio 31000 RTP/SAVP 8', 'audio 0 RTP/AVP 18',
    ]);
  });

  it('throws when nothing with G.711 is left', () => {
    expect(() => restrictToG711(parseSdp(sdp(['m=audio 4000 RTP/AVP 18'])))).toThrow(/no audio stream with G.711/);
  });

  it('names what breaks the policy', () => {
    expect(codecViolations(parseSdp(MIXED))).toEqual([
      'audio 9 g722/8000', 'audio 111 opus/48000', 'audio 18 g729/8000', 'audio 96 telephone-event/48000',
    ]);
  });
});

describe('SRTP policy', () => {
  it('gives SRTP to the public side over TLS only, and plain RTP to the core always', () => {
    expect(profileFor('public', 'tls')).toBe('RTP/SAVP');
    expect(profileFor('public', 'udp')).toBe('RTP/AVP');
    expect(profileFor('core', 'tls')).toBe('RTP/AVP');
    expect(profileFor('core', 'udp')).toBe('RTP/AVP');
  });

  it('asks rtpengine for SDES with one suite and no DTLS on a public TLS leg', () => {
    const flags = srtpOfferFlags('public', 'tls');
    expect(flags['transport-protocol']).toBe('RTP/SAVP');
    expect(flags.DTLS).toBe('off');
    const sdes = flags.SDES as string[];
    expect(sdes).toContain('no-AES_CM_128_HMAC_SHA1_32');
    expect(sdes).not.toContain('no-AES_CM_128_HMAC_SHA1_80');
    expect(srtpOfferFlags('core', 'udp')).toEqual({ 'transport-protocol': 'RTP/AVP', DTLS: 'off' });
  });
});

describe('guardOutgoingSdp', () => {
  const fromRtpengine = (media: string[], address = '10.20.0.10'): string =>
    ['v=0', 'o=alice 42 7 IN IP4 198.51.100.7', 's=Alice call', 'i=secret', 'e=alice@example.com', `c=IN IP4 ${address}`, 't=0 0', ...media, ''].join('\r\n');

  it('rewrites o= user and address and s=, drops i=/e=, keeps session id and version', () => {
    const out = parseSdp(fromRtpengine(['m=audio 31000 RTP/AVP 0', 'i=mic', `c=IN IP4 10.20.0.10`]));
    guardOutgoingSdp(out, { zone: 'core', address: '10.20.0.10', role: 'offer', transport: 'udp' });
    const text = serializeSdp(out);
    expect(text).toContain('o=- 42 7 IN IP4 10.20.0.10');
    expect(text).toContain('s=-');
    expect(text).not.toMatch(/alice|secret|198\.51|i=mic/);
  });

  it('refuses a c= that is not the SBC address of that side', () => {
    const out = parseSdp(fromRtpengine(['m=audio 31000 RTP/AVP 0', 'c=IN IP4 10.20.0.21']));
    expect(() => guardOutgoingSdp(out, { zone: 'core', address: '10.20.0.10', role: 'answer' })).toThrow(/c= 10\.20\.0\.21/);
  });

  it('refuses SRTP or extra codecs towards the core', () => {
    const srtp = parseSdp(fromRtpengine(['m=audio 31000 RTP/SAVP 0', `a=crypto:1 AES_CM_128_HMAC_SHA1_80 ${KEY}`]));
    expect(() => guardOutgoingSdp(srtp, { zone: 'core', address: '10.20.0.10', role: 'offer', transport: 'udp' })).toThrow(MediaError);
    const g722 = parseSdp(fromRtpengine(['m=audio 31000 RTP/AVP 0 9']));
    expect(() => guardOutgoingSdp(g722, { zone: 'core', address: '10.20.0.10', role: 'offer', transport: 'udp' })).toThrow(/carries audio 9/);
  });

  it('never lets an offer over UDP carry a key, and prunes TLS offers to AES_CM_128_HMAC_SHA1_80', () => {
    const keyed = (): ReturnType<typeof parseSdp> => parseSdp(fromRtpengine([
      'm=audio 31000 RTP/SAVP 0',
      `a=crypto:1 AES_256_CM_HMAC_SHA1_80 ${KEY}`, `a=crypto:2 AES_CM_128_HMAC_SHA1_80 ${KEY}`, `a=crypto:3 AES_CM_128_HMAC_SHA1_32 ${KEY}`,
    ], '203.0.113.10'));
    expect(() => guardOutgoingSdp(keyed(), { zone: 'public', address: '203.0.113.10', role: 'offer', transport: 'udp' })).toThrow(/SDES keys/);
    const tls = keyed();
    guardOutgoingSdp(tls, { zone: 'public', address: '203.0.113.10', role: 'offer', transport: 'tls' });
    expect(serializeSdp(tls).match(/a=crypto:.*/g)).toEqual([`a=crypto:2 AES_CM_128_HMAC_SHA1_80 ${KEY}`]);
  });

  it('refuses a TLS offer to the public side whose audio is plain RTP', () => {
    const plain = parseSdp(fromRtpengine(['m=audio 31000 RTP/AVP 0'], '203.0.113.10'));
    expect(() => guardOutgoingSdp(plain, { zone: 'public', address: '203.0.113.10', role: 'offer', transport: 'tls' })).toThrow(/without AES_CM_128_HMAC_SHA1_80/);
  });
});
