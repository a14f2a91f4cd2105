import { describe, expect, it } from 'vitest';
import { SipParseError } from '../../src/errors';
import { parseNameAddr, parseVia } from '../../src/sip/header-values';
import { isKeepAlive, parseMessage } from '../../src/sip/parser';
import { serializeMessage } from '../../src/sip/serializer';
import { invite, wire } from '../helpers/messages';

describe('parseMessage', () => {
  it('parses a request and serializes it back byte for byte', () => {
    const data = invite({ body: 'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n' });
    const msg = parseMessage(data);
    expect(msg.kind).toBe('request');
    if (msg.kind !== 'request') return;
    expect(msg.method).toBe('INVITE');
    expect(msg.uri).toBe('sip:1234@127.0.0.10:5060');
    expect(msg.callId()).toBe('call-1@127.0.0.30');
    expect(msg.cseq()).toEqual({ seq: 1, method: 'INVITE' });
    expect(msg.body.toString()).toContain('o=- 1 1 IN IP4 1.2.3.4');
    expect(serializeMessage(msg).equals(data)).toBe(true);
  });

  it('parses a response', () => {
    const msg = parseMessage(wire([
      'SIP/2.0 180 Ringing Now',
      'Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKx',
      'From: <sip:a@b>;tag=1',
      'To: <sip:c@d>;tag=2',
      'Call-ID: x',
      'CSeq: 7 INVITE',
      'Content-Length: 0',
    ]));
    expect(msg.kind === 'response' && msg.status === 180 && msg.reason === 'Ringing Now').toBe(true);
  });

  it('expands compact header names and matches names case-insensitively', () => {
    const msg = parseMessage(wire([
      'OPTIONS sip:sbc@127.0.0.10 SIP/2.0',
      'v: SIP/2.0/UDP 127.0.0.30:5070;branch=z9hG4bKc',
      'f: <sip:a@127.0.0.30>;tag=1',
      't: <sip:sbc@127.0.0.10>',
      'i: compact-1',
      'CSEQ: 3 OPTIONS',
      'l: 0',
    ]));
    expect(msg.headers.get('Call-ID')).toBe('compact-1');
    expect(msg.headers.get('via')).toContain('branch=z9hG4bKc');
    expect(msg.headers.get('content-length')).toBe('0');
    expect(msg.cseq().seq).toBe(3);
  });

  it('unfolds continuation lines but keeps the raw text for serialization', () => {
    const data = wire([
      'OPTIONS sip:sbc@127.0.0.10 SIP/2.0',
      'Via: SIP/2.0/UDP 127.0.0.30:5070;branch=z9hG4bKf',
      'From: <sip:a@127.0.0.30>;tag=1',
      'To: <sip:sbc@127.0.0.10>',
      'Call-ID: fold-1',
      'CSeq: 3 OPTIONS',
      'Subject: first line',
      '   continued here',
      '\tand here',
      'Content-Length: 0',
    ]);
    const msg = parseMessage(data);
    expect(msg.headers.get('subject')).toBe('first line continued here and here');
    expect(serializeMessage(msg).equals(data)).toBe(true);
  });

  it('splits list headers at commas outside quotes and angle brackets', () => {
    const msg = parseMessage(wire([
      'INVITE sip:x@127.0.0.10 SIP/2.0',
      'Via: SIP/2.0/UDP 1.1.1.1;branch=z9hG4bK1, SIP/2.0/UDP 2.2.2.2;branch=z9hG4bK2',
      'Via: SIP/2.0/UDP 3.3.3.3;branch=z9hG4bK3',
      'From: "Doe, John" <sip:a@127.0.0.30>;tag=1',
      'To: <sip:x@127.0.0.10>',
      'Contact: "A, B" <sip:a,b@1.1.1.1>;q=0.5, <sip:c@2.2.2.2>',
      'Call-ID: list-1',
      'CSeq: 1 INVITE',
      'Content-Length: 0',
    ]));
    expect(msg.vias().map((v) => v.host)).toEqual(['1.1.1.1', '2.2.2.2', '3.3.3.3']);
    const contacts = msg.headers.getValues('contact');
    expect(contacts).toHaveLength(2);
    expect(parseNameAddr(contacts[0] ?? '').displayName).toBe('A, B');
    expect(msg.from().displayName).toBe('Doe, John');
  });

  it('frames by Content-Length: extra bytes ignored, short body rejected', () => {
    const long = Buffer.concat([invite({ body: 'v=0\r\n' }), Buffer.from('garbage after body')]);
    expect(parseMessage(long).body.toString()).toBe('v=0\r\n');
    const short = invite({ body: 'v=0\r\n' }).subarray(0, -2);
    expect(() => parseMessage(short)).toThrow(SipParseError);
  });

  it('takes the rest of the datagram as body when Content-Length is absent', () => {
    const msg = parseMessage(wire([
      'MESSAGE sip:x@127.0.0.10 SIP/2.0',
      'Via: SIP/2.0/UDP 1.1.1.1;branch=z9hG4bK1',
      'From: <sip:a@b>;tag=1',
      'To: <sip:x@127.0.0.10>',
      'Call-ID: nolen',
      'CSeq: 1 MESSAGE',
    ], 'hello'));
    expect(msg.body.toString()).toBe('hello');
  });

  it('rewrites a wrong Content-Length on serialization', () => {
    const msg = parseMessage(invite({ body: 'v=0\r\n' }));
    msg.body = Buffer.from('v=0\r\ns=-\r\n');
    expect(serializeMessage(msg).toString()).toContain('Content-Length: 10\r\n');
  });

  it('rejects missing mandatory headers with a partial for a 400', () => {
    const data = wire([
      'INVITE sip:x@127.0.0.10 SIP/2.0',
      'Via: SIP/2.0/UDP 1.1.1.1;branch=z9hG4bK1',
      'From: <sip:a@b>;tag=1',
      'To: <sip:x@127.0.0.10>',
      'CSeq: 1 INVITE',
      'Content-Length: 0',
    ]);
    try {
      parseMessage(data);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(SipParseError);
      expect((err as SipParseError).partial?.headers.map((h) => h.name)).toContain('Via');
    }
  });

  it.each([
    ['CSeq method mismatch', 'CSeq: 1 BYE'],
    ['bad CSeq', 'CSeq: one INVITE'],
    ['negative Content-Length', 'Content-Length: -1'],
  ])('rejects %s', (_name, line) => {
    const lines = [
      'INVITE sip:x@127.0.0.10 SIP/2.0',
      'Via: SIP/2.0/UDP 1.1.1.1;branch=z9hG4bK1',
      'From: <sip:a@b>;tag=1',
      'To: <sip:x@127.0.0.10>',
      'Call-ID: bad',
      ...(line.startsWith('CSeq') ? [] : ['CSeq: 1 INVITE']),
      line,
    ];
    expect(() => parseMessage(wire(lines))).toThrow(SipParseError);
  });

  it('accepts an unknown SIP version (so the UAS can answer 505) and unknown schemes (416)', () => {
    const msg = parseMessage(wire([
      'INVITE tel:+4930123 SIP/7.0',
      'Via: SIP/2.0/UDP 1.1.1.1;branch=z9hG4bK1',
      'From: <sip:a@b>;tag=1',
      'To: <sip:x@127.0.0.10>',
      'Call-ID: v7',
      'CSeq: 1 INVITE',
      'Content-Length: 0',
    ]));
    expect(msg.version).toBe('SIP/7.0');
  });

  it('preserves unknown headers and their order', () => {
    const data = invite({ extra: ['X-Weird-Header: a;b=c, "d"', 'P-Foo: bar'] });
    const msg = parseMessage(data);
    expect(msg.headers.get('x-weird-header')).toBe('a;b=c, "d"');
    expect(serializeMessage(msg).equals(data)).toBe(true);
  });

  it('recognises keep-alives', () => {
    expect(isKeepAlive(Buffer.from('\r\n\r\n'))).toBe(true);
    expect(isKeepAlive(invite())).toBe(false);
  });
});

describe('header values', () => {
  it('parses Via with LWS, IPv6 sent-by and parameters', () => {
    const via = parseVia('SIP / 2.0 / UDP [2001:db8::9:1]:5070 ;branch=z9hG4bKa ;rport;received=2001:db8::9:255');
    expect(via.transport).toBe('UDP');
    expect(via.host).toBe('[2001:db8::9:1]');
    expect(via.port).toBe(5070);
    expect(via.params.map((p) => p.name)).toEqual(['branch', 'rport', 'received']);
  });

  it('parses name-addr with escaped quotes and addr-spec with header params', () => {
    const na = parseNameAddr('"A \\"quoted\\" name" <sip:a@b.example;transport=udp>;tag=x');
    expect(na.displayName).toBe('A "quoted" name');
    expect(na.params).toEqual([{ name: 'tag', value: 'x' }]);
    const spec = parseNameAddr('sip:a@b.example;tag=y');
    expect(spec.uri.kind === 'sip' && spec.uri.params.length).toBe(0);
    expect(spec.params).toEqual([{ name: 'tag', value: 'y' }]);
  });
});
