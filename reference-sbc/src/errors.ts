/**
 * One error hierarchy for the whole SBC (STYLE.md 5). Every error has a stable `code` that logs
 * and metrics can key on; the ones that map onto a SIP answer carry the `status` to send.
 */
export class SbcError extends Error {
  readonly code: string;
  /** The SIP status a UAS should answer with when this error ends a request, if any. */
  readonly status: number | undefined;

  constructor(code: string, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = options.status;
  }
}

/**
 * What the parser could still read from a message it rejected: enough for the transport to answer
 * a broken request with 400 when its Via, From, To, Call-ID and CSeq survived.
 */
export interface PartialMessage {
  startLine: string;
  headers: Array<{ name: string; value: string }>;
}

/** A message or header value that does not follow the RFC 3261 grammar. */
export class SipParseError extends SbcError {
  readonly partial: PartialMessage | undefined;

  constructor(message: string, partial?: PartialMessage) {
    // A verdict on input, not a fault in the code: no stack trace, which would cost more than the
    // parse itself under a flood of malformed messages.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super('SIP_PARSE', message, { status: 400 });
    Error.stackTraceLimit = limit;
    this.partial = partial;
  }
}

/** The configuration file is missing, unreadable or does not match the schema. */
export class ConfigError extends SbcError {
  constructor(message: string, cause?: unknown) {
    super('CONFIG_INVALID', message, { cause });
  }
}

/** A socket refused to send or the peer went away (RFC 3261 8.1.3.1: answered as 503). */
export class TransportError extends SbcError {
  readonly zone: string;

  constructor(zone: string, message: string, cause?: unknown) {
    super('TRANSPORT', message, { status: 503, cause });
    this.zone = zone;
  }
}

/** A client transaction got no final answer in time (Timer B or F, RFC 3261 8.1.3.1: 408). */
export class TransactionTimeoutError extends SbcError {
  readonly timer: string;

  constructor(timer: string) {
    super('TX_TIMEOUT', `transaction timed out (timer ${timer})`, { status: 408 });
    this.timer = timer;
  }
}

/** A state table (transactions, dialogs) is full; new work is refused rather than growing memory. */
export class LimitError extends SbcError {
  constructor(what: string, limit: number) {
    super('LIMIT', `${what} limit of ${limit} reached`, { status: 503 });
  }
}
