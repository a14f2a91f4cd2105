import { describe, expect, it } from 'vitest';
import { auditCoreCalls, auditCoreMessages, sdpProblem, type CoreMessage } from './core-audit';

const SDP = 'v=0\r\no=- 1 1 IN IP4 10.20.0.10\r\ns=-\r\nc=IN IP4 10.20.0.10\r\nt=0 0\r\nm=audio 30000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';

function invite(o: { from?: string; extra?: string[]; body?: string; callId?: string; uri?: string } = {}): string {
  const body = o.body ?? SDP;
  return [
    `INVITE ${o.uri ?? 'sip:+3120999000@10.20.0.21:5060'} SIP/2.0`,
    'Via: SIP/2.0/UDP 10.20.0.10:5060;branch=z9hG4bKabc;rport',
    'Max-Forwards: 69',
    `From: ${o.from ?? '"Robust" <sip:+31201110000@10.20.0.10>;tag=1'}`,
    'To: <sip:+3120999000@10.20.0.21:5060>',
    `Call-ID: ${o.callId ?? 'core-1'}`,
    'CSeq: 1 INVITE',
    'Contact: <sip:10.20.0.10:5060>',
    ...(o.extra ?? []),
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(body, 'latin1')}`,
    '',
    body,
  ].join('\r\n');
}

const at = (text: string, dst = '10.20.0.21', src = '10.20.0.10'): CoreMessage => ({ time: 1, src, dst, text });

describe('core-side audit', () => {
  it('finds nothing in a well-formed INVITE, UTF-8 display names included', () => {
    const a = auditCoreMessages([at(invite()), at(invite({ from: `"${Buffer.from('Zoë \ufffd', 'utf8').toString('latin1')}" <sip:x@10.20.0.10>;tag=1` }))]);
    expect(a.findings).toEqual([]);
    expect(a.checked).toBe(2);
  });

  it('counts a message over the core limits once, naming each limit', () => {
    const a = auditCoreMessages([at(invite({ from: `"${'A'.repeat(33 * 1024)}" <sip:x@10.20.0.10>;tag=1`, extra: Array.from({ length: 300 }, (_, i) => `X-${i}: v`) }))]);
    expect(a.overLimit).toBe(1);
    expect(a.findings.map((f) => f.why)).toEqual(expect.arrayContaining([expect.stringMatching(/^From value of \d+ bytes/), expect.stringMatching(/header fields/), expect.stringMatching(/header section/)]));
    expect(a.findings[0]!.number).toBe('+3120999000');
  });

  it('reports malformed messages: NUL, unbalanced Contact, port 0, CSeq, Content-Length, bad SDP, non-UTF-8', () => {
    const cases = [
      invite({ callId: 'a\x00b' }),
      invite({ extra: ['Record-Route: <sip:rr@10.20.0.10;lr'] }),
      invite().replace('10.20.0.10:5060;branch', '10.20.0.10:0;branch'),
      invite().replace('CSeq: 1 INVITE', 'CSeq: 4294967296 INVITE'),
      invite().replace(/Content-Length: \d+/, 'Content-Length: 3'),
      invite({ body: SDP.replace('PCMU/8000', 'PCMU/-8000') }),
      invite({ from: '"\xff\xfe" <sip:x@10.20.0.10>;tag=1' }),
      invite({ extra: ['No colon here'] }),
    ];
    const a = auditCoreMessages(cases.map((t) => at(t)));
    expect(a.malformed).toBe(cases.length);
    expect(a.overLimit).toBe(0);
  });

  it('checks the few SDP rules a core relies on', () => {
    expect(sdpProblem(SDP)).toBeUndefined();
    expect(sdpProblem(SDP.replace('v=0', 'v=1'))).toMatch(/v=0/);
    expect(sdpProblem(SDP.replace('c=IN IP4 10.20.0.10', 'c=IN IP4 999.1.1.1'))).toMatch(/connection/);
    expect(sdpProblem(SDP.replace('m=audio 30000', 'm=audio 70000'))).toMatch(/media line/);
  });

  it('follows each core dialog to its end: error, CANCEL, or BYE after a 2xx', () => {
    const ok = (callId: string, status: number): string => [`SIP/2.0 ${status} X`, 'Via: SIP/2.0/UDP 10.20.0.10:5060;branch=z9hG4bKabc', 'From: <sip:a@b>;tag=1', 'To: <sip:c@d>;tag=2', `Call-ID: ${callId}`, 'CSeq: 1 INVITE', '', ''].join('\r\n');
    const req = (method: string, callId: string): string => [`${method} sip:x@10.20.0.21 SIP/2.0`, 'Via: SIP/2.0/UDP 10.20.0.10:5060;branch=z9hG4bKq', 'From: <sip:a@b>;tag=1', 'To: <sip:c@d>;tag=2', `Call-ID: ${callId}`, `CSeq: 2 ${method}`, '', ''].join('\r\n');
    const messages = [
      at(invite({ callId: 'answered-bye' })), at(ok('answered-bye', 200), '10.20.0.10', '10.20.0.21'), at(req('BYE', 'answered-bye')),
      at(invite({ callId: 'answered-open' })), at(ok('answered-open', 200), '10.20.0.10', '10.20.0.21'),
      at(invite({ callId: 'rejected' })), at(ok('rejected', 486), '10.20.0.10', '10.20.0.21'),
      at(invite({ callId: 'never-answered' })),
    ];
    const calls = auditCoreCalls(messages, ['10.20.0.21']);
    expect(Object.fromEntries(calls.map((c) => [c.callId, c.ended]))).toEqual({ 'answered-bye': true, 'answered-open': false, rejected: true, 'never-answered': false });
    expect(calls.find((c) => c.callId === 'answered-open')?.how).toMatch(/no BYE/);
  });
});
