/**
 * One error hierarchy for the suite's SIP client, each with a stable `code` so
 * step definitions can tell "the SBC never answered" from "our socket broke"
 * without matching message text.
 */
export type SipErrorCode = 'SIP_PARSE' | 'SIP_TIMEOUT' | 'SIP_TRANSPORT' | 'SIP_STATE';

export class SipClientError extends Error {
  constructor(
    readonly code: SipErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The bytes could not be read as a SIP message. */
export class SipParseError extends SipClientError {
  constructor(message: string, readonly raw?: string) {
    super('SIP_PARSE', message);
  }
}

/**
 * Nothing (or not the awaited thing) arrived in time. A transaction timeout
 * (Timer B/F) is reported with `status` 408, as RFC 3261 §8.1.3.1 tells a UAC
 * to treat it.
 */
export class SipTimeoutError extends SipClientError {
  constructor(message: string, readonly waitedMs: number, readonly status: 408 | undefined = undefined) {
    super('SIP_TIMEOUT', message);
  }
}

/** A socket failed; RFC 3261 §8.1.3.1 maps a transport failure to 503. */
export class SipTransportError extends SipClientError {
  readonly status = 503;
  constructor(message: string, readonly remote?: string, cause?: unknown) {
    super('SIP_TRANSPORT', message, { cause });
  }
}

/** The caller asked for something the call's state forbids (e.g. BYE before a 2xx). */
export class SipStateError extends SipClientError {
  constructor(message: string, readonly state: string) {
    super('SIP_STATE', message);
  }
}
