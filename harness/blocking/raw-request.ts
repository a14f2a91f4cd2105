/**
 * The attacker's requests (IN-01): a flood or a scan sends thousands of them without a SIP stack, so
 * each is built as bytes here, one Call-ID per request, so an answer is matched to what caused it.
 */

export interface RawRequest {
  method: 'INVITE' | 'OPTIONS';
  /** The Request-URI's user: a dialled number (`+31...`) or an extension (`100`). */
  user: string;
  callId: string;
  local: { ip: string; port: number };
  /** The SBC's address, the Request-URI's host. */
  sbc: string;
  /** Headers added before Content-Type, e.g. a scanner's `User-Agent`. */
  extra?: string[];
}

/** An INVITE carries a G.711 offer; the From user is a number for a number, an extension for an extension. */
export function rawRequest(r: RawRequest): Buffer {
  const { method, user, callId, local, sbc } = r;
  const sdp = method === 'INVITE'
    ? ['v=0', `o=- 1 1 IN IP4 ${local.ip}`, 's=-', `c=IN IP4 ${local.ip}`, 't=0 0', `m=audio ${20000 + (local.port % 1000) * 2} RTP/AVP 0 8`, 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', ''].join('\r\n')
    : '';
  const branch = `z9hG4bK-${callId.replace(/[^A-Za-z0-9]/g, '')}`;
  return Buffer.from([
    `${method} sip:${user}@${sbc} SIP/2.0`,
    `Via: SIP/2.0/UDP ${local.ip}:${local.port};branch=${branch};rport`,
    'Max-Forwards: 70',
    `From: <sip:${user.startsWith('+') ? '+31209990000' : '100'}@${local.ip}>;tag=${branch.slice(8, 20)}`,
    `To: <sip:${user}@${sbc}>`,
    `Call-ID: ${callId}`,
    `CSeq: 1 ${method}`,
    `Contact: <sip:attacker@${local.ip}:${local.port}>`,
    ...(r.extra ?? []),
    ...(sdp ? ['Content-Type: application/sdp'] : []),
    `Content-Length: ${Buffer.byteLength(sdp)}`,
    '',
    sdp,
  ].join('\r\n'));
}
