import { describe, expect, it } from 'vitest';
import { Dialog } from './dialog';
import { parseMessage } from './parse';
import type { SipRequest, SipResponse } from './message';

const invite = parseMessage([
  'INVITE sip:100@203.0.113.10 SIP/2.0',
  'Via: SIP/2.0/UDP 203.0.113.20:5060;branch=z9hG4bK1',
  'From: <sip:caller@203.0.113.20>;tag=ours',
  'To: <sip:100@203.0.113.10>',
  'Call-ID: d-1',
  'CSeq: 10 INVITE',
  'Contact: <sip:caller@203.0.113.20:5060>',
  'Record-Route: <sip:p2.example;lr>, <sip:p1.example;lr>',
  'Content-Length: 0', '', '',
].join('\r\n')) as SipRequest;

function ok(recordRoute: string): SipResponse {
  return parseMessage([
    'SIP/2.0 200 OK',
    'Via: SIP/2.0/UDP 203.0.113.20:5060;branch=z9hG4bK1',
    'From: <sip:caller@203.0.113.20>;tag=ours',
    'To: <sip:100@203.0.113.10>;tag=theirs',
    'Call-ID: d-1',
    'CSeq: 10 INVITE',
    'Contact: <sip:core@203.0.113.10:5060;transport=udp>',
    `Record-Route: ${recordRoute}`,
    'Content-Length: 0', '', '',
  ].join('\r\n')) as SipResponse;
}

describe('Dialog', () => {
  it('as UAC: reverses Record-Route, targets the Contact, ACK keeps the INVITE CSeq and BYE increments it', () => {
    const dialog = Dialog.asUac(invite, ok('<sip:203.0.113.10;lr;r=2>, <sip:edge.example;lr>'));
    expect(dialog.remoteTag).toBe('theirs');
    const ack = dialog.request('ACK');
    expect(ack.uri).toBe('sip:core@203.0.113.10:5060;transport=udp');
    expect(ack.headers).toEqual([
      ['Route', '<sip:edge.example;lr>'], ['Route', '<sip:203.0.113.10;lr;r=2>'],
      ['From', '<sip:caller@203.0.113.20>;tag=ours'], ['To', '<sip:100@203.0.113.10>;tag=theirs'],
      ['Call-ID', 'd-1'], ['CSeq', '10 ACK'],
    ]);
    expect(ack.nextHop).toBe('sip:edge.example;lr');
    expect(dialog.request('BYE').headers).toContainEqual(['CSeq', '11 BYE']);
  });

  it('as UAC with a strict router: the route becomes the Request-URI and the target goes last', () => {
    const bye = Dialog.asUac(invite, ok('<sip:strict.example>')).request('BYE');
    expect(bye.uri).toBe('sip:strict.example');
    expect(bye.headers[0]).toEqual(['Route', '<sip:core@203.0.113.10:5060;transport=udp>']);
  });

  it('as UAS: keeps Record-Route order, swaps From/To and adds our tag', () => {
    const dialog = Dialog.asUas(invite, 'mine');
    const bye = dialog.request('BYE');
    expect(bye.uri).toBe('sip:caller@203.0.113.20:5060');
    expect(bye.headers).toEqual([
      ['Route', '<sip:p2.example;lr>'], ['Route', '<sip:p1.example;lr>'],
      ['From', '<sip:100@203.0.113.10>;tag=mine'], ['To', '<sip:caller@203.0.113.20>;tag=ours'],
      ['Call-ID', 'd-1'], ['CSeq', '1 BYE'],
    ]);
    expect(dialog.remoteSeq).toBe(10);
  });
});
