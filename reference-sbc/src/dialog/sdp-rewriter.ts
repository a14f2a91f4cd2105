import type { SipMessage } from '../sip/message';
import type { LegSide } from './call-registry';

/**
 * What the B2BUA asks of media anchoring whenever an SDP crosses from one leg to the other: an
 * offer is rewritten for the receiving leg, an answer for the offerer's leg. The dialog layer
 * only knows this port; the composition root plugs in rtpengine (media/). Both reject with an
 * SbcError whose status is the SIP answer (488, 503, 500).
 */
export interface SdpRewriter {
  /** `fromTag`: the offerer's tag on its own leg. */
  offer(sdp: string, fromSide: LegSide, fromTag: string): Promise<string>;
  /** `toTag`: the answerer's tag on its own leg. */
  answer(sdp: string, toTag: string): Promise<string>;
}

/** The SDP body of a message, or undefined when it carries none. */
export function sdpBody(message: SipMessage): string | undefined {
  if (message.body.length === 0) return undefined;
  const type = message.headers.get('content-type') ?? '';
  return /^application\/sdp\s*(;|$)/i.test(type.trim()) ? message.body.toString('utf8') : undefined;
}
