/**
 * Media anchoring for the B2BUA (rtpengine over the ng protocol) and the media policies: G.711 only
 * towards the core (IN-03), SRTP per leg (GEN-09, OUT-03), no address of one side on the other
 * (GEN-03). See README.md for where the B2BUA calls what.
 */
export { MediaAnchor, type AnswerOptions, type MediaAnchorOptions, type MediaSession, type MediaSessionStats, type OfferOptions } from './media-anchor';
export { g711Check, g711Formats, restrictToG711, restoreDroppedMedia, codecViolations, type DroppedMedia, type G711Verdict } from './codec-policy';
export {
  profileFor, srtpOfferFlags, usesSrtp, SRTP_SUITE, type MediaProfile, type MediaZone, type SignallingTransport,
} from './srtp-policy';
export { guardOutgoingSdp, type OutgoingSdp } from './sdp-guard';
export { MediaError, type MediaErrorCode } from './media-error';
export { NgClient, type NgClientOptions, type NgCommand, type NgDict, type NgValue } from './ng-client';
