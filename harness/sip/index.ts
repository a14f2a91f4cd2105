/**
 * The suite's own SIP client for TLS legs, crafted messages and header checks.
 * Independent of the reference SBC by design (DESIGN.md).
 */
export { SipClient } from './client';
export type {
  InviteOptions, OutOfDialogOptions, RegisterOptions, SipClientOptions, TlsClientOptions, TlsListenerOptions, UdpClientOptions,
} from './client';
export { OutgoingCall } from './outgoing-call';
export type { OutgoingCallState } from './outgoing-call';
export { IncomingCall } from './incoming-call';
export type { AnswerOptions, IncomingCallState } from './incoming-call';
export { IncomingRequest } from './core';
export type { ExtraHeaders, RequestOptions, ResponseOptions } from './core';
export { Dialog } from './dialog';
export { digestAuthorization, parseChallenge } from './digest';
export type { Credentials, DigestChallenge } from './digest';
export { buildReply } from './reply';
export type { ReplyContext } from './reply';
export { DEFAULT_TIMERS } from './client-transaction';
export type { SipTimers } from './client-transaction';
export {
  SipClientError, SipParseError, SipStateError, SipTimeoutError, SipTransportError,
} from './errors';
export type { SipErrorCode } from './errors';
export {
  buildRequest, buildResponse, callIdOf, cseqOf, fromOf, getHeader, getHeaders, hasHeader,
  reasonPhrase, summarize, toOf, topViaOf,
} from './message';
export type { Header, HeaderInput, RequestSpec, ResponseSpec, SipMessage, SipRequest, SipResponse } from './message';
export { parseMessage, StreamFramer } from './parse';
export {
  canonicalName, isListHeader, parseCSeq, parseNameAddr, parseParams, parseUri, parseVia, splitHeaderList, splitHostPort,
} from './headers';
export type { CSeq, NameAddr, SipUri, Via } from './headers';
export { buildSdp, codecNames, parseSdp, sdesCrypto } from './sdp';
export type { Codec, CodecInput, ParsedSdp, SdpCrypto, SdpMedia, SdpSpec } from './sdp';
export { Ladder } from './ladder';
export type { Direction, LadderEntry, MessageFilter, TransportKind } from './ladder';
export { probeTcp } from './probe-tcp';
export type { TcpProbeOptions, TcpProbeOutcome, TcpProbeResult } from './probe-tcp';
export { UdpTransport } from './transport';
export type { Endpoint, SipTransport } from './transport';
export { TlsClientTransport, TlsServerTransport } from './transport-tls';
export type { TlsConnectOptions, TlsInfo, TlsListenOptions } from './transport-tls';
