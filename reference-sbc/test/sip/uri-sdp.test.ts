import { describe, expect, it } from 'vitest';
import { SipParseError } from '../../src/errors';
import { connectionAddresses, filterFormats, getOrigin, parseSdp, rewriteAddresses, serializeSdp } from '../../src/sip/sdp';
import { isIpv6, parseUri, serializeUri, uriUser } from '../../src/sip/uri';

describe('URI', () => {
  it.each([
    'sip:alice@atlanta.example.com',
    'sip:alice:secretword@atlanta.example.com;transport=tcp',
    'sips:alice@atlanta.example.com?subject=project%20x&priority=urgent',
    'sip:+1-212-555-1212:1234@gateway.example.com;user=phone',
    'sip:alice;day=tuesday@atlanta.example.com',
    'sip:[2001:db8::10]:5070;lr',
    'sip:%61lice@atlanta.example.com;transport=TCP',
  ])('round-trips %s', (text) => {
    expect(serializeUri(parseUri(text))).toBe(text);
  });

  it('decodes the user part', () => {
    expect(uriUser(parseUri('sip:%2B4930123@x.example'))).toBe('+4930123');
  });

  it('keeps other schemes opaque', () => {
    expect(parseUri('tel:+4930123;phone-context=x')).toEqual({ kind: 'absolute', scheme: 'tel', rest: '+4930123;phone-context=x' });
  });

  it.each(['sip:user@', 'sip:user@host:99999', 'sip:[2001:db8::10', 'sip:user@[::1::2]', 'sip:us er@host'])('rejects %s', (text) => {
    expect(() => parseUri(text)).toThrow(SipParseError);
  });

  it('validates IPv6 references', () => {
    expect(isIpv6('2001:db8::1')).toBe(true);
    expect(isIpv6('::ffff:192.0.2.1')).toBe(true);
    expect(isIpv6('2001:db8:::1')).toBe(false);
  });
});

const OFFER = [
  'v=0',
  'o=core 123 456 IN IP4 10.20.0.21',
  's=-',
  'c=IN IP4 10.20.0.21',
  't=0 0',
  'm=audio 40000 RTP/AVP 0 8 18 101',
  'c=IN IP4 10.20.0.22',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:18 G729/8000',
  'a=fmtp:18 annexb=no',
  'a=rtpmap:101 telephone-event/8000',
  'a=sendrecv',
  '',
].join('\r\n');

describe('SDP', () => {
  it('round-trips unchanged text', () => {
    expect(serializeSdp(parseSdp(OFFER))).toBe(OFFER);
  });

  it('rewrites every c= and the o= address', () => {
    const sdp = parseSdp(OFFER);
    rewriteAddresses(sdp, '203.0.113.10');
    expect(connectionAddresses(sdp)).toEqual(['203.0.113.10', '203.0.113.10']);
    expect(getOrigin(sdp)?.address).toBe('203.0.113.10');
    expect(serializeSdp(sdp)).not.toContain('10.20.0.');
  });

  it('filters formats with their attributes', () => {
    const sdp = parseSdp(OFFER);
    const media = sdp.media[0];
    if (!media) throw new Error('no media');
    const kept = filterFormats(media, (_f, enc) => enc === 'PCMU' || enc === 'PCMA');
    expect(kept).toEqual(['0', '8']);
    const text = serializeSdp(sdp);
    expect(text).toContain('m=audio 40000 RTP/AVP 0 8\r\n');
    expect(text).not.toContain('G729');
    expect(text).not.toContain('fmtp:18');
    expect(text).toContain('a=sendrecv');
  });

  it('rejects text that is not SDP', () => {
    expect(() => parseSdp('hello')).toThrow(SipParseError);
  });
});
