import { parseMaxForwards, parseOptionTags } from '../../sip/header-values';
import type { SipRequest } from '../../sip/message';
import { parseUri } from '../../sip/uri';

/** A reason to refuse a request before any policy runs, with what the response must carry. */
export interface Refusal {
  status: number;
  reason?: string;
  headers?: Array<[string, string]>;
}

/** Option tags the SBC implements; any other tag in Require is refused with 420. */
export const SUPPORTED_EXTENSIONS: readonly string[] = [];

const SCHEMES = new Set(['sip', 'sips', 'tel']);

/**
 * The UAS checks of RFC 3261 8.2 that apply to every request the SBC terminates or forwards:
 * version (505), URI scheme (416), Require (420). ACKs are never refused (17.2.3, 8.2.6.1).
 */
export function checkRequest(request: SipRequest): Refusal | undefined {
  if (request.method === 'ACK') return undefined;
  if (request.version.toUpperCase() !== 'SIP/2.0') return { status: 505 };
  const uri = parseUri(request.uri);
  if (!SCHEMES.has(uri.scheme)) return { status: 416 };
  if (request.method !== 'CANCEL') {
    const required = parseOptionTags(request.headers.getFields('require'));
    const unsupported = required.filter((t) => !SUPPORTED_EXTENSIONS.includes(t));
    if (unsupported.length > 0) return { status: 420, headers: [['Unsupported', unsupported.join(', ')]] };
  }
  return undefined;
}

/**
 * Max-Forwards for the request the SBC sends on the other leg (RFC 3261 16.6 step 3), or a 483
 * refusal when the hop budget is spent. An absent header counts as the default 70.
 */
export function nextMaxForwards(request: SipRequest): number | Refusal {
  const value = request.headers.get('max-forwards');
  const current = value === undefined ? 70 : parseMaxForwards(value);
  if (current <= 0) return { status: 483 };
  return current - 1;
}

/** RFC 3261 8.1.1.5: a CSeq number is below 2^31. */
const CSEQ_LIMIT = 2 ** 31 - 1;

/**
 * A dialog-creating request whose CSeq leaves less than `headroom` numbers for the requests of its
 * dialog is refused 400 (issue 11 point 5): its BYE would have to carry an out-of-range CSeq, be
 * refused, and the call would never end.
 */
export function checkDialogStart(request: SipRequest, headroom: number): Refusal | undefined {
  const seq = request.cseq().seq;
  if (seq > CSEQ_LIMIT - headroom) return { status: 400, reason: `Bad Request (CSeq ${seq} leaves no room for the dialog)` };
  return undefined;
}
