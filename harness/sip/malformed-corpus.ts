import { randomBytes } from 'node:crypto';

/**
 * Hostile and broken SIP messages for robustness checks: an SBC on the Internet must survive each of
 * them (no crash, no restart, no stall) and keep serving calls. Each case is built for the addresses
 * at hand so that any answer could find its way back; whether the SBC answers or drops is its choice.
 * Injected addresses are from TEST-NET-2, never the core's: an SBC echoing them back must not look
 * like a topology leak to the GEN-03 audit of the same run.
 */
export interface MalformedCase {
  name: string;
  /** UDP datagrams fit in 65,507 bytes; larger messages are sent over a TLS stream. */
  transport: 'udp' | 'tls';
  data: Buffer;
  /** The Call-ID of the case's message, when it has one: answers are attributed by it. */
  callId?: string;
}

export interface CorpusAddresses {
  /** The SBC address and port the messages are sent to. */
  target: { ip: string; port: number };
  /** Where the sender listens (Via sent-by). */
  local: { ip: string; port: number };
  /** A token written into each message (Call-ID, user part) so that a leak to the core can be searched for. */
  token: string;
}

/** Largest UDP payload over IPv4 (65,535 − 20 IP − 8 UDP). */
export const MAX_UDP_PAYLOAD = 65_507;

export function malformedCorpus(a: CorpusAddresses): MalformedCase[] {
  const uri = `sip:${a.token}@${a.target.ip}:${a.target.port}`;
  let n = 0;
  let lastCallId: string | undefined;
  const head = (method: string, extra: string[] = [], o: { cl?: string | null } = {}): string[] => {
    n++;
    lastCallId = `${a.token}-${n}@${a.local.ip}`;
    return [
      `${method} ${uri} SIP/2.0`,
      `Via: SIP/2.0/UDP ${a.local.ip}:${a.local.port};branch=z9hG4bK-${a.token}-${n};rport`,
      'Max-Forwards: 70',
      `From: <sip:fuzz@${a.local.ip}>;tag=f${n}`,
      `To: <${uri}>`,
      `Call-ID: ${lastCallId}`,
      `CSeq: ${n} ${method}`,
      `Contact: <sip:fuzz@${a.local.ip}:${a.local.port}>`,
      ...extra,
      ...(o.cl === null ? [] : [`Content-Length: ${o.cl ?? '0'}`]),
    ];
  };
  const msg = (lines: string[], body = ''): Buffer => Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`, 'latin1');
  const sdp = ['v=0', `o=- 1 1 IN IP4 ${a.local.ip}`, 's=-', `c=IN IP4 ${a.local.ip}`, 't=0 0', 'm=audio 40000 RTP/AVP 0', ''].join('\r\n');
  // Arguments are evaluated first, so the Call-ID is that of the head() built for this very case.
  const udp = (name: string, data: Buffer): MalformedCase => {
    const c: MalformedCase = { name, transport: 'udp', data, ...(lastCallId === undefined ? {} : { callId: lastCallId }) };
    lastCallId = undefined;
    return c;
  };
  const full = msg(head('INVITE', ['Content-Type: application/sdp'], { cl: String(sdp.length) }), sdp);
  // Two truncated cases share this message: neither claims its Call-ID.
  lastCallId = undefined;

  return [
    udp('empty datagram', Buffer.alloc(0)),
    udp('only CRLF CRLF CRLF', Buffer.from('\r\n\r\n\r\n')),
    udp('binary garbage', randomBytes(1400)),
    udp('NUL bytes only', Buffer.alloc(512)),
    udp('request line only', Buffer.from(`INVITE ${uri} SIP/2.0\r\n`)),
    udp('INVITE truncated mid-header', full.subarray(0, Math.floor(full.indexOf('CSeq') + 4))),
    udp('INVITE truncated in the body', full.subarray(0, full.length - 20)),
    udp('Content-Length larger than the body', msg(head('INVITE', ['Content-Type: application/sdp'], { cl: String(sdp.length + 500) }), sdp)),
    udp('Content-Length smaller than the body', msg(head('INVITE', ['Content-Type: application/sdp'], { cl: '10' }), sdp)),
    udp('negative Content-Length', msg(head('OPTIONS', [], { cl: '-5' }))),
    udp('Content-Length 2^32', msg(head('OPTIONS', [], { cl: '4294967296' }))),
    udp('non-numeric Content-Length', msg(head('OPTIONS', [], { cl: 'lots' }))),
    udp('two Content-Length headers', msg([...head('OPTIONS'), 'Content-Length: 300'])),
    udp('header injection: bare CR in a value', msg(head('OPTIONS', [`Subject: hi\rVia: SIP/2.0/UDP 198.51.100.21:5060;branch=z9hG4bKinj`]))),
    udp('header injection: bare LF in a value', msg(head('OPTIONS', ['Subject: hi\nRecord-Route: <sip:198.51.100.21;lr>']))),
    udp('header injection: a second request smuggled after the blank line', Buffer.concat([msg(head('OPTIONS')), msg(head('INVITE'))])),
    udp('NUL byte inside a header value', msg(head('OPTIONS', ['Subject: a\u0000b']))),
    udp('invalid UTF-8 in the Request-URI', Buffer.concat([Buffer.from('OPTIONS sip:'), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from(`@${a.target.ip} SIP/2.0\r\n`), msg(head('OPTIONS').slice(1))])),
    udp('unterminated quoted display name', msg(head('OPTIONS').map((l) => (l.startsWith('From:') ? `From: "never closed <sip:fuzz@${a.local.ip}>;tag=x` : l)))),
    udp('Via with port 99999 and no branch', msg(head('OPTIONS').map((l) => (l.startsWith('Via:') ? `Via: SIP/2.0/UDP ${a.local.ip}:99999` : l)))),
    udp('CSeq method differs from the request method', msg(head('INVITE').map((l) => (l.startsWith('CSeq:') ? 'CSeq: 1 BYE' : l)))),
    udp('Max-Forwards not a number', msg(head('INVITE').map((l) => (l.startsWith('Max-Forwards') ? 'Max-Forwards: many' : l)))),
    udp('no Call-ID, From or To', msg(head('INVITE').filter((l) => !/^(Call-ID|From|To):/.test(l)))),
    udp('unknown SIP version', msg(head('OPTIONS').map((l, i) => (i === 0 ? l.replace('SIP/2.0', 'SIP/7.3') : l)))),
    udp('8 KiB Request-URI', msg(head('OPTIONS').map((l, i) => (i === 0 ? `OPTIONS sip:${'9'.repeat(8192)}@${a.target.ip} SIP/2.0` : l)))),
    udp('1000 headers', msg(head('OPTIONS', Array.from({ length: 1000 }, (_, i) => `X-Fuzz-${i}: ${i}`)))),
    udp('1000 Via headers', msg(withAfterRequestLine(head('OPTIONS'), Array.from({ length: 999 }, (_, i) => `Via: SIP/2.0/UDP 198.51.100.${i % 250}:5060;branch=z9hG4bK${i}`)))),
    udp('deeply nested angle brackets', msg(head('OPTIONS', [`Contact: ${'<'.repeat(2000)}sip:x@y${'>'.repeat(2000)}`]))),
    udp('a response with no Via', Buffer.from(`SIP/2.0 200 OK\r\nCall-ID: ${a.token}-stray\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n`)),
    udp('a datagram of the largest UDP size', msg(head('OPTIONS', [`X-Pad: ${'a'.repeat(MAX_UDP_PAYLOAD - 600)}`])).subarray(0, MAX_UDP_PAYLOAD)),
    { name: 'a 70 KiB message over TLS (larger than 64 KiB)', transport: 'tls', data: msg(head('OPTIONS', [`X-Pad: ${'b'.repeat(70 * 1024)}`])) },
    { name: 'a TLS stream whose Content-Length never arrives', transport: 'tls', data: msg(head('INVITE', [], { cl: '100000' }), 'partial body') },
  ];
}

function withAfterRequestLine(lines: string[], extra: string[]): string[] {
  return [lines[0] ?? '', ...extra, ...lines.slice(1)];
}
