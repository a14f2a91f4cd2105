/**
 * Builds the response a UAS sends to a request (RFC 3261 §8.2.6): Via, From,
 * Call-ID and CSeq copied as received, our tag added to To, and for a
 * dialog-forming answer to INVITE the Record-Route copied and our Contact
 * added (§12.1.1).
 */
import { mergeHeaders, withContentType } from './core';
import type { ResponseOptions } from './core';
import { canonicalName, parseNameAddr } from './headers';
import { buildResponse, getHeader } from './message';
import type { SipRequest } from './message';

export interface ReplyContext {
  /** Our tag for To; not added to 100 Trying or when To already has one. */
  toTag?: string;
  contact: string;
  /** Server header value; null writes none. */
  userAgent: string | null;
}

export function buildReply(req: SipRequest, status: number, reason: string | undefined, options: ResponseOptions, ctx: ReplyContext): string {
  const method = req.method.toUpperCase();
  const copy = (name: string): Array<[string, string]> =>
    req.headers.filter((h) => canonicalName(h.name) === name).map((h): [string, string] => [h.name, h.value]);
  const dialogForming = method === 'INVITE' && status > 100 && status < 300;
  const base: Array<[string, string]> = [...copy('via')];
  if (dialogForming) base.push(...copy('record-route'));
  const to = getHeader(req, 'to') ?? '';
  const needsTag = ctx.toTag !== undefined && status > 100 && parseNameAddr(to).tag === undefined;
  base.push(
    ['From', getHeader(req, 'from') ?? ''],
    ['To', needsTag ? `${to};tag=${ctx.toTag}` : to],
    ['Call-ID', getHeader(req, 'call-id') ?? ''],
    ['CSeq', getHeader(req, 'cseq') ?? ''],
  );
  if (dialogForming) base.push(['Contact', ctx.contact]);
  if (method === 'OPTIONS' && status === 200) base.push(['Allow', 'INVITE, ACK, CANCEL, BYE, OPTIONS']);
  if (ctx.userAgent !== null) base.push(['Server', ctx.userAgent]);
  const headers = withContentType(mergeHeaders(base, options.headers), options);
  return buildResponse({
    status, headers, ...(reason !== undefined ? { reason } : {}), ...(options.body !== undefined ? { body: options.body } : {}),
  });
}
