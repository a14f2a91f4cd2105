import { Headers } from '../sip/headers';
import { serializeVia } from '../sip/header-values';
import { newBranch, newCallId, newTag } from '../sip/ids';
import { reasonPhrase, SipRequest, type SipMessage, type SipResponse } from '../sip/message';
import { quote, replaceControl } from '../sip/grammar';
import { truncateText } from '../sip/message-limits';
import { addressToHost } from '../sip/uri';
import type { LocalSide } from './dialog';

/** Methods the SBC accepts, advertised in Allow on both legs. */
export const ALLOWED_METHODS = ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'INFO', 'UPDATE'];

export interface LegParty {
  /** User part as written (escapes kept), e.g. a number; undefined for none. */
  user: string | undefined;
  /** Display name to carry; undefined for none. */
  displayName: string | undefined;
  /** Host (and port) for this party on the new leg: never a host of the other leg. */
  host: string;
}

export interface LegInviteSpec {
  requestUri: string;
  from: LegParty;
  to: LegParty;
  side: LocalSide;
  maxForwards: number;
  /** The session description (and its Content-Type) to offer on the new leg. */
  body: Buffer;
  contentType: string | undefined;
  /** A Call-ID chosen in advance (so events can name the leg before it exists); fresh when absent. */
  callId?: string;
  /** Allow-listed headers of the caller's INVITE carried as they are (config forwardHeaders). */
  extraHeaders?: ReadonlyArray<readonly [string, string]>;
}

/**
 * The INVITE of a new, independent leg (the B2BUA's UAC side): fresh Call-ID, From tag, CSeq and
 * Via; Contact on the SBC's own address. Nothing of the other leg's routing survives by
 * construction: only users, display names and the body are carried.
 */
export function createLegInvite(spec: LegInviteSpec): SipRequest {
  const { local, protocol } = spec.side;
  const host = addressToHost(local.address);
  const headers = new Headers();
  headers.append('Via', serializeVia({
    protocol: 'SIP/2.0',
    transport: protocol.toUpperCase(),
    host,
    port: local.port,
    params: [{ name: 'branch', value: newBranch() }, { name: 'rport', value: undefined }],
  }));
  headers.append('Max-Forwards', String(spec.maxForwards));
  headers.append('From', `${party(spec.from)};tag=${newTag()}`);
  headers.append('To', party(spec.to));
  headers.append('Call-ID', spec.callId ?? newCallId());
  headers.append('CSeq', '1 INVITE');
  headers.append('Contact', `<sip:${host}:${local.port}${protocol === 'tls' ? ';transport=tls' : ''}>`);
  headers.append('Allow', ALLOWED_METHODS.join(', '));
  for (const [name, value] of spec.extraHeaders ?? []) headers.append(name, value);
  const request = new SipRequest('INVITE', spec.requestUri, headers);
  if (spec.body.length > 0) {
    if (spec.contentType !== undefined) headers.append('Content-Type', spec.contentType);
    request.body = Buffer.from(spec.body);
  }
  return request;
}

/**
 * A display name regenerated, never copied (issue 11 point 1): valid UTF-8 only, control characters
 * become spaces, white space runs collapse, the result is cut to `maxChars` characters and quoted afresh. Nothing the caller
 * wrote can change the header's framing or its size on the other leg.
 */
export function regenerateDisplayName(name: string | undefined, maxChars: number): string | undefined {
  if (name === undefined) return undefined;
  // Header text is held as latin1 (one character per byte): read it as the UTF-8 it must be (RFC 3261
  // 25.1 TEXT-UTF8), so bytes that are not UTF-8 become U+FFFD and a cut never splits a character.
  const text = Buffer.from(name, 'latin1').toString('utf8');
  const clean = truncateText(replaceControl(text, () => ' ').replace(/\s+/g, ' ').trim(), maxChars).trim();
  return clean === '' ? undefined : Buffer.from(clean, 'utf8').toString('latin1');
}

function party(p: LegParty): string {
  const name = p.displayName === undefined ? '' : `${quote(p.displayName)} `;
  const user = p.user === undefined ? '' : `${p.user}@`;
  return `${name}<sip:${user}${p.host}>`;
}

/** Copies the body and its describing headers from one leg's message to the other's. */
export function copyBody(from: SipMessage, to: SipMessage): void {
  to.headers.remove('content-type');
  to.headers.remove('content-disposition');
  to.body = Buffer.from(from.body);
  if (from.body.length === 0) return;
  const type = from.headers.get('content-type');
  if (type !== undefined) to.headers.append('Content-Type', type);
  const disposition = from.headers.get('content-disposition');
  if (disposition !== undefined) to.headers.append('Content-Disposition', disposition);
}

/**
 * The reason phrase to carry to the other leg: the peer's own, unless it holds something that
 * looks like an address (an IPv4 or IPv6 literal), which could leak the other side (GEN-03); then
 * the standard phrase for the status.
 */
export function carriedReason(response: SipResponse): string {
  const reason = response.reason;
  const leaky = /\d{1,3}(\.\d{1,3}){3}/.test(reason) || /[0-9a-f]{0,4}:[0-9a-f]{0,4}:[0-9a-f]{0,4}/i.test(reason) || /@|sips?:/i.test(reason);
  return leaky ? reasonPhrase(response.status) : reason;
}

