/**
 * The suite's media drivers: RTP/SRTP generation and analysis (SUITE-03, GEN-09, OUT-03, IN-03).
 * Suite code only: nothing here may import the reference SBC.
 */
export { MediaError, type MediaErrorCode, type MediaResult } from './media-error';
export {
  buildRtp, parseRtp, parseRtpHeader, looksLikeRtcp,
  type RtpPacket, type RtpPacketInit, type RtpHeader, type RtpHeaderExtension,
} from './rtp-packet';
export { buildSenderReport, parseRtcpHeader, type SenderReportInit, type RtcpHeader } from './rtcp-packet';
export {
  parseCryptoAttr, formatCryptoAttr, cryptoAttrValue, generateCryptoAttr, firstSupportedCrypto, SRTP_SUITES,
  type CryptoAttr, type SrtpSuite, type SrtpKeyParam, type Mki, type GenerateCryptoOptions,
} from './sdes-crypto';
export { SrtpContext, estimateRoc, type SrtpContextOptions, type UnprotectedRtp, type UnprotectedRtcp } from './srtp';
export { ReplayWindow, type ReplayVerdict } from './replay-window';
export {
  G711_PAYLOAD_TYPE, G711_CLOCK_RATE, codecForPayloadType, linearToUlaw, linearToAlaw, ulawToLinear, alawToLinear,
  encodeG711, buildTestPayload, checkTestPayload, type G711Codec, type TestPayloadInit, type TestPayloadInfo,
} from './g711';
export { StreamAnalyser, type AnalyserOptions, type ReceiveStats, type SourceSeen, type Arrival } from './stream-analyser';
export { RtpSender, RtpReceiver, type SendOptions, type SendSummary } from './rtp-stream';
export {
  MediaEndpoint, type EndpointOpenOptions, type EndpointStartOptions, type EndpointStats, type RtcpMode,
} from './media-endpoint';
export { classifyStream, MIN_ENTROPY_OCTETS, type Classification, type StreamKind, type ClassificationBasis } from './classify';
export { RemoteMediaEndpoint, type RemoteEndpointOptions } from './remote-endpoint';
export type { WireStartOptions, WireExpectOptions } from './agent-protocol';
