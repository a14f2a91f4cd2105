/** Builds a wire message from lines joined with CRLF, the way tests write SIP text. */
export function wire(lines: string[], body = ''): Buffer {
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`, 'latin1');
}

export function invite(opts: { branch?: string; callId?: string; body?: string; extra?: string[] } = {}): Buffer {
  const body = opts.body ?? '';
  return wire([
    'INVITE sip:1234@127.0.0.10:5060 SIP/2.0',
    `Via: SIP/2.0/UDP 127.0.0.30:5070;branch=${opts.branch ?? 'z9hG4bK-test-1'}`,
    'Max-Forwards: 70',
    'From: "Alice" <sip:alice@127.0.0.30:5070>;tag=a1',
    'To: <sip:1234@127.0.0.10:5060>',
    `Call-ID: ${opts.callId ?? 'call-1@127.0.0.30'}`,
    'CSeq: 1 INVITE',
    'Contact: <sip:alice@127.0.0.30:5070>',
    ...(opts.extra ?? []),
    ...(body === '' ? [] : ['Content-Type: application/sdp']),
    `Content-Length: ${Buffer.byteLength(body)}`,
  ], body);
}
