import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseNameAddr, parseUri, parseVia, splitHeaderList } from './headers';
import { buildRequest, buildResponse, cseqOf, getHeader, getHeaders, topViaOf } from './message';
import { parseMessage, StreamFramer } from './parse';
import { SipParseError } from './errors';

const invite = [
  'INVITE sip:+4930123@203.0.113.10 SIP/2.0',
  'v: SIP/2.0/UDP 203.0.113.20:5060;branch=z9hG4bKaaa;rport',
  'Via: SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bKbbb, SIP/2.0/TCP [2001:db8::1]:5060;branch=z9hG4bKccc',
  'Max-Forwards: 70',
  'f: "Smith, John" <sip:john@example.com>;tag=abc',
  't: <sip:+4930123@203.0.113.10>',
  'i: call-1@203.0.113.20',
  'CSeq: 7 INVITE',
  'm: "A, B" <sip:a@1.2.3.4;x=1,2>;q=0.5, <sip:b@5.6.7.8>',
  'Date: Sat, 13 Nov 2010 23:29:00 GMT',
  'Subject: one,',
  '  two',
  'c: application/sdp',
  'l: 4',
  '',
  'v=0\r\n',
].join('\r\n');

describe('parseMessage', () => {
  it('reads a request with compact headers, lists and a folded header', () => {
    const msg = parseMessage(invite);
    expect(msg.kind).toBe('request');
    if (msg.kind !== 'request') return;
    expect(msg.method).toBe('INVITE');
    expect(msg.uri).toBe('sip:+4930123@203.0.113.10');
    expect(getHeader(msg, 'Call-ID')).toBe('call-1@203.0.113.20');
    expect(getHeaders(msg, 'via')).toHaveLength(3);
    expect(topViaOf(msg)).toMatchObject({ transport: 'UDP', host: '203.0.113.20', port: 5060, branch: 'z9hG4bKaaa' });
    expect(parseVia(getHeaders(msg, 'via')[2] ?? '')).toMatchObject({ transport: 'TCP', host: '2001:db8::1', port: 5060 });
    expect(getHeaders(msg, 'contact')).toEqual(['"A, B" <sip:a@1.2.3.4;x=1,2>;q=0.5', '<sip:b@5.6.7.8>']);
    expect(getHeaders(msg, 'date')).toEqual(['Sat, 13 Nov 2010 23:29:00 GMT']);
    expect(getHeader(msg, 'subject')).toBe('one, two');
    expect(cseqOf(msg)).toEqual({ seq: 7, method: 'INVITE' });
    expect(msg.body).toBe('v=0\r');
    expect(msg.problems).toEqual(['bytes after the body declared by Content-Length: 1']);
    expect(parseNameAddr(getHeader(msg, 'from') ?? '')).toEqual({
      displayName: 'Smith, John', uri: 'sip:john@example.com', params: { tag: 'abc' }, tag: 'abc',
    });
  });

  it('reads a tortuous but valid request (in the spirit of RFC 4475 §3.1.1.1)', () => {
    const raw = [
      'OPTIONS sip:bob@example.com;oddparam SIP/2.0',
      'tO  :',
      ' sip:bob@example.com ;   tag    = 77x',
      'FROM   : "Ann \\"Q\\"" <sip:ann@example.com>',
      '  ;',
      '  tag = a1b2',
      'mAx-FoRwArDs: 0069',
      'i: torture.1@192.0.2.7',
      'cseq: 0042',
      '  OPTIONS',
      'Via  : SIP  /   2.0',
      ' /UDP',
      '    192.0.2.7;rport;branch=z9hG4bKtort',
      'v: SIP/2.0/UDP 192.0.2.8:5070;branch=z9hG4bKsecond',
      'X-Odd: ;;,,;;,;',
      'l: 0',
      '',
      '',
    ].join('\r\n');
    const msg = parseMessage(raw);
    expect(msg.problems).toEqual([]);
    expect(cseqOf(msg)).toEqual({ seq: 42, method: 'OPTIONS' });
    expect(getHeader(msg, 'max-forwards')).toBe('0069');
    expect(getHeaders(msg, 'via').map((v) => parseVia(v)?.branch)).toEqual(['z9hG4bKtort', 'z9hG4bKsecond']);
    expect(topViaOf(msg)).toMatchObject({ transport: 'UDP', host: '192.0.2.7', params: { rport: '' } });
    expect(parseNameAddr(getHeader(msg, 'to') ?? '')).toMatchObject({ uri: 'sip:bob@example.com', tag: '77x' });
    expect(parseNameAddr(getHeader(msg, 'from') ?? '')).toMatchObject({ displayName: 'Ann \\"Q\\"', uri: 'sip:ann@example.com', tag: 'a1b2' });
    expect(getHeaders(msg, 'x-odd')).toEqual([';;,,;;,;']);
  });

  it('reads a response and notes what is wrong with it', () => {
    const msg = parseMessage('SIP/2.0 486 Busy Here\nVia: SIP/2.0/UDP 1.2.3.4;branch=z9hG4bK1\nl: 10\n\nabc');
    expect(msg).toMatchObject({ kind: 'response', status: 486, reason: 'Busy Here', body: 'abc' });
    expect(msg.problems).toEqual(['bare LF line ending', 'body is 3 bytes, Content-Length says 10']);
  });

  it('rejects what is not SIP', () => {
    expect(() => parseMessage('GET / HTTP/1.1\r\n\r\n')).toThrow(SipParseError);
  });

  it('counts Content-Length in bytes, not characters', () => {
    const body = 'é€x';
    const raw = buildRequest({ method: 'MESSAGE', uri: 'sip:a@b', headers: [['Call-ID', 'x']], body });
    expect(raw).toContain(`Content-Length: ${Buffer.byteLength(body)}`);
    expect(parseMessage(raw).body).toBe(body);
  });
});

describe('builder', () => {
  it('writes headers exactly as given, duplicates and odd case included', () => {
    const raw = buildRequest({
      method: 'OPTIONS', uri: 'sip:x@1.2.3.4', headers: [['VIA', 'junk'], ['via', 'junk2'], ['content-length', '99']],
    });
    expect(raw).toBe('OPTIONS sip:x@1.2.3.4 SIP/2.0\r\nVIA: junk\r\nvia: junk2\r\ncontent-length: 99\r\n\r\n');
    expect(buildResponse({ status: 200, headers: {}, contentLength: 'omit' })).toBe('SIP/2.0 200 OK\r\n\r\n');
    expect(buildResponse({ status: 299, reason: 'Odd', headers: [], contentLength: 5 })).toBe('SIP/2.0 299 Odd\r\nContent-Length: 5\r\n\r\n');
  });

  it('round-trips through the parser (property)', () => {
    const token = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/);
    const value = fc.stringMatching(/^[!-~][ -~]{0,40}$/).map((v) => v.trim()).filter((v) => v !== '');
    fc.assert(
      fc.property(fc.array(fc.tuple(token, value), { maxLength: 8 }), fc.string({ maxLength: 200 }), (headers, body) => {
        const clean = headers.filter(([n]) => !['l', 'content-length'].includes(n.toLowerCase()));
        const msg = parseMessage(buildRequest({ method: 'INFO', uri: 'sip:a@b', headers: clean, body }));
        expect(msg.headers.slice(0, clean.length).map((h) => [h.name, h.value])).toEqual(clean);
        expect(msg.body).toBe(body);
      }),
    );
  });
});

describe('headers', () => {
  it('splits lists only outside quotes and brackets', () => {
    expect(splitHeaderList('<sip:a@b;x=",">, "x,y" <sip:c@d>,sip:e@f')).toEqual(['<sip:a@b;x=",">', '"x,y" <sip:c@d>', 'sip:e@f']);
  });

  it('reads URIs', () => {
    expect(parseUri('sips:alice@[2001:db8::2]:5071;transport=tls;lr')).toEqual({
      scheme: 'sips', user: 'alice', host: '2001:db8::2', port: 5071, params: { transport: 'tls', lr: '' },
    });
    expect(parseUri('sip:10.20.0.10')).toEqual({ scheme: 'sip', host: '10.20.0.10', params: {} });
  });

  it('gives addr-spec parameters without brackets to the header', () => {
    expect(parseNameAddr('sip:a@b;tag=1')).toEqual({ uri: 'sip:a@b', params: { tag: '1' }, tag: '1' });
  });
});

describe('StreamFramer', () => {
  const one = buildRequest({ method: 'OPTIONS', uri: 'sip:a@b', headers: [['Call-ID', '1']], body: 'hello' });
  const two = buildResponse({ status: 200, headers: [['i', '2']], body: 'wörld' });

  it('splits two messages that arrive in one chunk and drops keep-alives', () => {
    const framer = new StreamFramer();
    const out = framer.push(Buffer.from(`\r\n\r\n${one}${two}\r\n`));
    expect(out.map((b) => b.toString())).toEqual([one, two]);
    expect(framer.pending).toBe(0);
    expect(framer.keepAlives).toBe(2);
  });

  it('joins a message split across chunks at any byte', () => {
    const bytes = Buffer.from(one + two);
    for (let cut = 1; cut < bytes.length; cut++) {
      const framer = new StreamFramer();
      const out = [...framer.push(bytes.subarray(0, cut)), ...framer.push(bytes.subarray(cut))];
      expect(out.map((b) => b.toString())).toEqual([one, two]);
    }
  });

  it('keeps an incomplete tail until flushed', () => {
    const framer = new StreamFramer();
    expect(framer.push(Buffer.from(one.slice(0, -2)))).toEqual([]);
    expect(framer.flush().toString()).toBe(one.slice(0, -2));
  });
});
