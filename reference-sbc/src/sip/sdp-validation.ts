import { isIP } from 'node:net';
import { SipParseError } from '../errors';
import { parseSdp, type SdpLine, type SessionDescription } from './sdp';

/**
 * The SBC's own check of a caller's session description (RFC 4566 5 and 6), run before the offer
 * goes to the media relay (issue 11 point 2). An SDP this rejects is the caller's fault and is
 * answered 488 with the problem named; left to the relay, the same SDP came back as "Failed to
 * parse SDP" and a 503, or as an output the SBC's outgoing check refused with a 500: a server fault
 * for the caller's mistake. Only what anchoring relies on is checked; unknown attributes pass.
 */

/** Why an SDP is unusable, in words fit for a Warning header; undefined when it is usable. */
export function sdpProblem(text: string): string | undefined {
  let sdp: SessionDescription;
  try {
    sdp = parseSdp(text);
  } catch (err) {
    return err instanceof SipParseError ? err.message : 'unreadable SDP';
  }
  return sessionProblem(sdp) ?? mediaProblem(sdp);
}

const DIGITS = /^\d{1,20}$/;

function sessionProblem(sdp: SessionDescription): string | undefined {
  const v = sdp.session[0];
  if (v?.value !== '0') return `unsupported SDP version v=${printable(v?.value ?? '')}`;
  const once = (type: string): SdpLine[] => sdp.session.filter((l) => l.type === type);
  const origins = once('o');
  if (origins.length !== 1) return `expected one o= line, found ${origins.length}`;
  const o = origins[0]!.value.split(' ');
  if (o.length !== 6) return 'o= needs 6 fields';
  const [, sessionId, version, netType, addrType, address] = o as [string, string, string, string, string, string];
  if (!DIGITS.test(sessionId) || !DIGITS.test(version)) return 'o= session id and version must be numbers';
  // o= may name a host (RFC 4566 5.2); nothing is sent there, so only its shape is checked.
  if (netType !== 'IN' || !/^IP[46]$/.test(addrType) || !/^[A-Za-z0-9.:-]+$/.test(address)) return `invalid o= address "${printable(o.slice(3).join(' '))}"`;
  if (once('s').length !== 1) return 'expected one s= line';
  const times = once('t');
  if (times.length === 0) return 'missing t= line';
  for (const t of times) if (!/^\d{1,20} \d{1,20}$/.test(t.value)) return `invalid t= line "${printable(t.value)}"`;
  for (const c of once('c')) {
    const problem = connectionProblem(c.value);
    if (problem) return problem;
  }
  for (const b of [...once('b'), ...sdp.media.flatMap((m) => m.lines.filter((l) => l.type === 'b'))]) {
    if (!/^[A-Za-z0-9-]+:\d{1,10}$/.test(b.value)) return `invalid b= line "${printable(b.value)}"`;
  }
  return undefined;
}

function mediaProblem(sdp: SessionDescription): string | undefined {
  if (sdp.media.length === 0) return 'no m= line';
  const sessionConnection = sdp.session.some((l) => l.type === 'c');
  for (const m of sdp.media) {
    if (!/^[a-z]+$/.test(m.media)) return `invalid media type "${printable(m.media)}"`;
    if (m.port > 65535) return `m= port ${m.port} out of range`;
    if (m.portCount !== undefined && (m.portCount < 1 || m.port + m.portCount * 2 > 65536)) return `m= port count ${m.portCount} out of range`;
    if (!/^[A-Za-z0-9][A-Za-z0-9/._-]*$/.test(m.proto)) return `invalid m= protocol "${printable(m.proto)}"`;
    if (m.formats.length === 0) return `m=${m.media} without formats`;
    const rtp = /^(UDP\/TLS\/)?RTP\//i.test(m.proto);
    if (rtp && m.formats.some((f) => !/^\d{1,3}$/.test(f) || Number(f) > 127)) return `m=${m.media} payload types must be 0-127`;
    const connections = m.lines.filter((l) => l.type === 'c');
    for (const c of connections) {
      const problem = connectionProblem(c.value);
      if (problem) return problem;
    }
    if (m.port !== 0 && connections.length === 0 && !sessionConnection) return `m=${m.media} has no c= line`;
    for (const l of m.lines) {
      if (l.type !== 'a' || !l.value.startsWith('rtpmap:')) continue;
      const problem = rtpmapProblem(l.value.slice('rtpmap:'.length));
      if (problem) return problem;
    }
  }
  return undefined;
}

/** `<payload type> <encoding name>/<clock rate>[/<channels>]` (RFC 4566 6). */
function rtpmapProblem(value: string): string | undefined {
  const m = /^(\d{1,3}) ([A-Za-z0-9_.+-]+)\/(\d{1,7})(?:\/(\d{1,2}))?$/.exec(value.trim());
  if (!m || Number(m[1]) > 127) return `invalid a=rtpmap "${printable(value)}"`;
  if (Number(m[3]) === 0) return `a=rtpmap clock rate 0 in "${printable(value)}"`;
  if (m[4] !== undefined && Number(m[4]) === 0) return `a=rtpmap channel count 0 in "${printable(value)}"`;
  return undefined;
}

/** `IN IP4 <unicast or multicast address>[/ttl[/n]]` or `IN IP6 <address>[/n]` (RFC 4566 5.7). */
function connectionProblem(value: string): string | undefined {
  const p = value.split(' ');
  if (p.length !== 3) return `invalid c= line "${printable(value)}"`;
  const [netType, addrType, withTtl] = p as [string, string, string];
  return addressProblem(netType, addrType, withTtl.split('/')[0] ?? '', 'c=');
}

function addressProblem(netType: string, addrType: string, address: string, line: string): string | undefined {
  if (netType !== 'IN') return `${line} network type must be IN`;
  if (addrType === 'IP4' && isIP(address) === 4) return undefined;
  if (addrType === 'IP6' && isIP(address) === 6) return undefined;
  // A host name is allowed by the grammar, but the media relay must have an address to send to.
  return `${line} address "${printable(address)}" is not an ${addrType === 'IP6' ? 'IPv6' : 'IPv4'} address`;
}

/** Keeps a value fit for a Warning header: printable ASCII, no quotes, short. */
function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]|"/g, '?').slice(0, 60);
}
