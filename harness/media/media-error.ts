/**
 * Every failure the media drivers report, with a stable code. Parsers and SRTP contexts return these
 * inside results instead of throwing, because a receiver fed by an SBC under test must count garbage,
 * not crash on it; only misuse of the API (bad options, bad key material) is thrown.
 */
export type MediaErrorCode =
  // RTP / RTCP framing (RFC 3550 §5.1, §6.4)
  | 'rtp-too-short'
  | 'rtp-bad-version'
  | 'rtp-bad-csrc-count'
  | 'rtp-bad-extension'
  | 'rtp-bad-padding'
  | 'rtp-bad-field'
  | 'rtcp-too-short'
  | 'rtcp-bad-version'
  // SRTP / SRTCP (RFC 3711)
  | 'srtp-too-short'
  | 'srtp-auth-failed'
  | 'srtp-replayed'
  | 'srtp-too-old'
  | 'srtp-bad-mki'
  | 'srtp-bad-key'
  // SDES a=crypto (RFC 4568)
  | 'sdes-syntax'
  | 'sdes-unsupported-suite'
  // test payload (g711.ts)
  | 'payload-too-short'
  | 'payload-bad-magic'
  | 'payload-bad-checksum'
  // sockets and options
  | 'socket-error'
  | 'bad-option';

export class MediaError extends Error {
  override readonly name = 'MediaError';

  constructor(
    readonly code: MediaErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${message}`, options);
  }
}

/** The outcome of decoding untrusted bytes: a value, or the typed reason it was refused. */
export type MediaResult<T> = { ok: true; value: T } | { ok: false; error: MediaError };

export function ok<T>(value: T): MediaResult<T> {
  return { ok: true, value };
}

export function fail<T>(code: MediaErrorCode, message: string): MediaResult<T> {
  return { ok: false, error: new MediaError(code, message) };
}
