import type { SipMessage } from './message';

/**
 * Size limits of a SIP message's header section, Request-URI and body (issue 11 point 1). An SBC bounds what it accepts
 * because whatever it accepts it may carry, in one form or another, towards the core: a core server
 * that crashes on a 64 KB display name must never receive one. The same limits are checked twice:
 * on arrival (the caller gets 400 or 413 and nothing is forwarded) and again on every message the
 * transport sends into a guarded zone (a bug that builds an oversized message must not reach the core).
 */
export interface MessageLimits {
  /** Longest header value (after unfolding) and longest Request-URI, in bytes. */
  readonly maxHeaderValueBytes: number;
  /** Most header fields in one message. */
  readonly maxHeaders: number;
  /** Largest header section (every `Name: value` line with its CRLF) in bytes. */
  readonly maxHeaderBytes: number;
  /** Largest body in bytes. */
  readonly maxBodyBytes: number;
}

export const DEFAULT_MESSAGE_LIMITS: MessageLimits = Object.freeze({
  maxHeaderValueBytes: 1024,
  maxHeaders: 256,
  maxHeaderBytes: 8192,
  maxBodyBytes: 16384,
});

/** Which limit a message broke, with the status a request breaking it is answered with. */
export interface LimitBreach {
  /** 413 for an oversized body (RFC 3261 21.4.11), 414 for a Request-URI, 400 for the header section. */
  status: 400 | 413 | 414;
  /** Short, printable, fit for a reason phrase and a log line. */
  reason: string;
}

/**
 * The first limit `message` breaks, or undefined. Values are measured as the parser decoded them
 * (latin1: one character per byte), names included in the section size.
 */
export function checkMessageLimits(message: SipMessage, limits: MessageLimits): LimitBreach | undefined {
  const fields = message.headers.fields;
  if (message.kind === 'request' && message.uri.length > limits.maxHeaderValueBytes) {
    return { status: 414, reason: `Request-URI Too Long (${message.uri.length} > ${limits.maxHeaderValueBytes} bytes)` };
  }
  if (fields.length > limits.maxHeaders) {
    return { status: 400, reason: `Too Many Headers (${fields.length} > ${limits.maxHeaders})` };
  }
  let section = 0;
  for (const f of fields) {
    if (f.value.length > limits.maxHeaderValueBytes) {
      return { status: 400, reason: `Header Too Long (${printableName(f.name)}: ${f.value.length} > ${limits.maxHeaderValueBytes} bytes)` };
    }
    // `Name: value\r\n`, the size the field takes on the wire once the SBC writes it.
    section += f.name.length + 2 + f.value.length + 2;
  }
  if (section > limits.maxHeaderBytes) {
    return { status: 400, reason: `Headers Too Large (${section} > ${limits.maxHeaderBytes} bytes)` };
  }
  if (message.body.length > limits.maxBodyBytes) {
    return { status: 413, reason: `Request Entity Too Large (body ${message.body.length} > ${limits.maxBodyBytes} bytes)` };
  }
  return undefined;
}

/** Cuts `text` to at most `maxChars` characters without leaving half an escape or a lone surrogate. */
export function truncateText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  let cut = text.slice(0, maxChars);
  const last = cut.charCodeAt(cut.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1);
  return cut;
}

function printableName(name: string): string {
  return name.replace(/[^\x21-\x7e]/g, '?').slice(0, 40);
}
