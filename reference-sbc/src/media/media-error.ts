import { SbcError } from '../errors';

/**
 * Why media could not be anchored. Each code maps onto the SIP answer the B2BUA gives the caller:
 * an SDP the policy refuses is 488 (RFC 3261 21.4.26), an rtpengine that is down or refuses the
 * session is 503 (the SBC cannot serve the call right now), a policy breach found in rtpengine's
 * own output is 500 (a configuration bug: never let it out).
 */
export type MediaErrorCode =
  | 'media-sdp-invalid'
  | 'media-no-g711'
  | 'media-rtpengine-timeout'
  | 'media-rtpengine-error'
  | 'media-policy-breach'
  | 'media-unknown-call';

const STATUS: Record<MediaErrorCode, number> = {
  'media-sdp-invalid': 488,
  'media-no-g711': 488,
  'media-rtpengine-timeout': 503,
  'media-rtpengine-error': 503,
  'media-policy-breach': 500,
  'media-unknown-call': 500,
};

export class MediaError extends SbcError {
  constructor(code: MediaErrorCode, message: string, cause?: unknown) {
    super(code, message, { status: STATUS[code], cause });
  }
}
