import { getAttributes, removeAttributes, type SessionDescription } from '../sip/sdp';
import type { NgDict } from './ng-client';

/**
 * SRTP policy (GEN-09, OUT-03). Which media profile a leg gets is decided by where it goes and how
 * its signalling travels, never by what the other leg offered:
 *
 * - core leg: always plain RTP/AVP. An RTP/SAVP offer from the public side is terminated at the
 *   SBC: rtpengine decrypts it and the core sees plain RTP (the core network is trusted and its
 *   servers need not do SRTP).
 * - public leg over TLS: RTP/SAVP with SDES (RFC 4568), suite AES_CM_128_HMAC_SHA1_80 only, even when
 *   the core offered plain RTP (OUT-03). DTLS-SRTP is switched off: SDES is what the suite and most
 *   carriers speak, and offering both invites the far end to pick the one we did not test.
 * - public leg over UDP: plain RTP/AVP in the SBC's own offers, because SDES keys travel in the SDP and
 *   a key sent over plain UDP is a key given away. An answer to a public caller that itself offered
 *   RTP/SAVP over UDP stays RTP/SAVP (an answer must follow the offer's profile; the caller chose to
 *   expose its key, refusing the call would protect nothing).
 */
export type MediaZone = 'public' | 'core';
export type SignallingTransport = 'udp' | 'tls';
export type MediaProfile = 'RTP/AVP' | 'RTP/SAVP';

export const SRTP_SUITE = 'AES_CM_128_HMAC_SHA1_80';

/** Every SDES suite rtpengine may offer; all but SRTP_SUITE are disabled with `no-<suite>`. */
const OTHER_SUITES = [
  'AEAD_AES_256_GCM', 'AEAD_AES_128_GCM',
  'AES_256_CM_HMAC_SHA1_80', 'AES_256_CM_HMAC_SHA1_32',
  'AES_192_CM_HMAC_SHA1_80', 'AES_192_CM_HMAC_SHA1_32',
  'AES_CM_128_HMAC_SHA1_32',
  'F8_128_HMAC_SHA1_80', 'F8_128_HMAC_SHA1_32',
  'NULL_HMAC_SHA1_80', 'NULL_HMAC_SHA1_32',
] as const;

/** The profile the SBC offers on a leg. */
export function profileFor(zone: MediaZone, transport: SignallingTransport): MediaProfile {
  return zone === 'public' && transport === 'tls' ? 'RTP/SAVP' : 'RTP/AVP';
}

/** The ng flags that make rtpengine offer `profileFor(zone, transport)` on the new leg. */
export function srtpOfferFlags(zone: MediaZone, transport: SignallingTransport): NgDict {
  const profile = profileFor(zone, transport);
  if (profile === 'RTP/AVP') return { 'transport-protocol': profile, DTLS: 'off' };
  return { 'transport-protocol': profile, DTLS: 'off', SDES: OTHER_SUITES.map((s) => `no-${s}`) };
}

export function isSecureProfile(proto: string): boolean {
  return /SAVP/i.test(proto);
}

/** True when any active stream of the SDP uses an SRTP profile. */
export function usesSrtp(sdp: SessionDescription): boolean {
  return sdp.media.some((m) => m.port !== 0 && isSecureProfile(m.proto));
}

/** Removes every a=crypto line whose suite is not SRTP_SUITE (keeps our offers to the one suite tested). */
export function pruneCryptoSuites(sdp: SessionDescription): void {
  for (const media of sdp.media) {
    removeAttributes(media.lines, (name, value) => name === 'crypto' && value.trim().split(/\s+/)[1] !== SRTP_SUITE);
  }
}

/** The a=crypto values of every stream (session-level ones too), to check none goes where it must not. */
export function cryptoLines(sdp: SessionDescription): string[] {
  return [...getAttributes(sdp.session, 'crypto'), ...sdp.media.flatMap((m) => getAttributes(m.lines, 'crypto'))];
}
