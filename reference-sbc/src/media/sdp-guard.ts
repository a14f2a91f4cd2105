import { connectionAddresses, getAttributes, getOrigin, setOrigin, type SessionDescription } from '../sip/sdp';
import { codecViolations } from './codec-policy';
import { MediaError } from './media-error';
import { cryptoLines, isSecureProfile, pruneCryptoSuites, SRTP_SUITE, type MediaZone, type SignallingTransport } from './srtp-policy';

/** What the SDP leaving the SBC on one leg is: an offer or an answer, and how that leg signals. */
export type OutgoingSdp = {
  zone: MediaZone;
  /** The SBC's own media address in that zone: the only address o= and c= may carry there. */
  address: string;
} & (
  /** An answer follows its offer's profile, whatever the transport, so only offers name theirs. */
  | { role: 'offer'; transport: SignallingTransport }
  | { role: 'answer' }
);

/** Session-level lines that describe the originator (RFC 4566 5.4-5.6): none of them may cross. */
const ORIGINATOR_LINES = new Set(['i', 'u', 'e', 'p']);

/**
 * The last step before an SDP from rtpengine goes out on a leg. It rewrites what only describes the
 * SDP's author (o= user and address, s=, i=/u=/e=/p=), which rtpengine copies from the other leg,
 * so nothing of one side shows on the other (GEN-03); it then checks what it must not rewrite:
 * every c= is the SBC's address in that zone, an offer to the core is G.711 only and plain RTP,
 * no offer over UDP carries an SDES key, an SRTP offer carries only SRTP_SUITE. A breach is a
 * configuration error (wrong rtpengine interface, flags ignored by its version) and throws rather
 * than leak.
 */
export function guardOutgoingSdp(sdp: SessionDescription, out: OutgoingSdp): void {
  hideOriginator(sdp, out.address);
  const foreign = connectionAddresses(sdp).filter((a) => a !== out.address);
  if (foreign.length > 0) {
    throw new MediaError('media-policy-breach', `SDP for the ${out.zone} side has c= ${foreign.join(', ')}, expected only ${out.address}`);
  }
  if (out.zone === 'core') {
    const secure = sdp.media.filter((m) => m.port !== 0 && isSecureProfile(m.proto));
    if (secure.length > 0 || cryptoLines(sdp).length > 0) {
      throw new MediaError('media-policy-breach', 'SDP for the core carries SRTP; the core leg is plain RTP/AVP');
    }
    if (out.role === 'offer') {
      const extra = codecViolations(sdp);
      if (extra.length > 0) throw new MediaError('media-policy-breach', `offer to the core carries ${extra.join(', ')}; only G.711 may reach the core`);
    }
  }
  if (out.role !== 'offer') return;
  if (out.transport === 'udp') {
    if (cryptoLines(sdp).length > 0) throw new MediaError('media-policy-breach', `offer over UDP to the ${out.zone} side carries SDES keys`);
    return;
  }
  if (out.zone !== 'public') return;
  pruneCryptoSuites(sdp);
  const insecure = sdp.media.filter((m) => m.port !== 0 && m.media === 'audio' && (!isSecureProfile(m.proto) || getAttributes(m.lines, 'crypto').length === 0));
  if (insecure.length > 0) {
    throw new MediaError('media-policy-breach', `offer over TLS has an audio stream without ${SRTP_SUITE} (${insecure.map((m) => m.proto).join(', ')})`);
  }
}

function hideOriginator(sdp: SessionDescription, address: string): void {
  const origin = getOrigin(sdp);
  if (origin) setOrigin(sdp, { ...origin, username: '-', addrType: address.includes(':') ? 'IP6' : 'IP4', address });
  sdp.session = sdp.session
    .filter((l) => !ORIGINATOR_LINES.has(l.type))
    .map((l) => (l.type === 's' ? { type: 's', value: '-' } : l));
  for (const media of sdp.media) media.lines = media.lines.filter((l) => l.type !== 'i');
}
