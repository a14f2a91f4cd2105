import { SipParseError } from '../errors';
import { Headers } from './headers';
import { parseCSeq, parseNameAddr, parseVia, type CSeq, type NameAddr, type Via } from './header-values';
import { parseUri, type Uri } from './uri';

/**
 * The SIP message model (RFC 3261 7). Headers stay strings; the accessors below parse the ones the
 * SBC needs on first use. A parsed view is kept with the exact header text it came from and reused
 * only while that text is unchanged, so a message is always consistent after a change. The views
 * are shared between callers: treat them as read-only (copy, as `withParam` does, to change one).
 */
abstract class SipMessageBase {
  version = 'SIP/2.0';
  headers: Headers;
  body: Buffer;
  private viaText: string | undefined = undefined;
  private viaView: Via | undefined = undefined;
  private fromText: string | undefined = undefined;
  private fromView: NameAddr | undefined = undefined;
  private toText: string | undefined = undefined;
  private toView: NameAddr | undefined = undefined;
  private cseqText: string | undefined = undefined;
  private cseqView: CSeq | undefined = undefined;

  constructor(headers: Headers, body: Buffer) {
    this.headers = headers;
    this.body = body;
  }

  callId(): string {
    return this.required('call-id');
  }

  cseq(): CSeq {
    const text = this.required('cseq');
    if (text !== this.cseqText || !this.cseqView) {
      this.cseqView = parseCSeq(text);
      this.cseqText = text;
    }
    return this.cseqView;
  }

  from(): NameAddr {
    const text = this.required('from');
    if (text !== this.fromText || !this.fromView) {
      this.fromView = parseNameAddr(text);
      this.fromText = text;
    }
    return this.fromView;
  }

  to(): NameAddr {
    const text = this.required('to');
    if (text !== this.toText || !this.toView) {
      this.toView = parseNameAddr(text);
      this.toText = text;
    }
    return this.toView;
  }

  /** Every Via element, top first. */
  vias(): Via[] {
    return this.headers.getValues('via').map(parseVia);
  }

  topVia(): Via {
    const first = this.headers.getValues('via')[0];
    if (first === undefined) throw new SipParseError('missing Via');
    if (first !== this.viaText || !this.viaView) {
      this.viaView = parseVia(first);
      this.viaText = first;
    }
    return this.viaView;
  }

  protected required(name: string): string {
    const v = this.headers.get(name);
    if (v === undefined) throw new SipParseError(`missing ${name} header`);
    return v;
  }
}

export class SipRequest extends SipMessageBase {
  readonly kind = 'request';
  method: string;
  /** The Request-URI as written; `requestUri()` parses it. */
  uri: string;

  constructor(method: string, uri: string, headers: Headers = new Headers(), body: Buffer = Buffer.alloc(0)) {
    super(headers, body);
    this.method = method;
    this.uri = uri;
  }

  requestUri(): Uri {
    return parseUri(this.uri);
  }
}

export class SipResponse extends SipMessageBase {
  readonly kind = 'response';
  status: number;
  reason: string;

  constructor(status: number, reason: string, headers: Headers = new Headers(), body: Buffer = Buffer.alloc(0)) {
    super(headers, body);
    this.status = status;
    this.reason = reason;
  }
}

export type SipMessage = SipRequest | SipResponse;

/** Standard reason phrases for the statuses the SBC itself generates. */
export const REASONS: Record<number, string> = {
  100: 'Trying',
  180: 'Ringing',
  183: 'Session Progress',
  200: 'OK',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Long',
  416: 'Unsupported URI Scheme',
  420: 'Bad Extension',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected',
  483: 'Too Many Hops',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  491: 'Request Pending',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  504: 'Server Time-out',
  505: 'Version Not Supported',
  513: 'Message Too Large',
};

export function reasonPhrase(status: number): string {
  return REASONS[status] ?? (status < 200 ? 'Session Progress' : status < 300 ? 'OK' : 'Error');
}

/**
 * Builds a response to `req` per RFC 3261 8.2.6.2: Via, From, To, Call-ID and CSeq copied; a To tag
 * added when given and the request had none. Nothing else of the request is carried.
 */
export function createResponse(req: SipRequest, status: number, reason?: string, toTag?: string): SipResponse {
  const headers = new Headers();
  for (const via of req.headers.getFields('via')) headers.append('Via', via);
  headers.append('From', req.headers.get('from') ?? '');
  let to = req.headers.get('to') ?? '';
  // Only look for a tag among the header parameters, after the URI's closing bracket.
  const headerParams = to.includes('>') ? to.slice(to.lastIndexOf('>')) : to;
  if (toTag !== undefined && status > 100 && !/;\s*tag\s*=/i.test(headerParams)) to = `${to};tag=${toTag}`;
  headers.append('To', to);
  headers.append('Call-ID', req.headers.get('call-id') ?? '');
  headers.append('CSeq', req.headers.get('cseq') ?? '');
  return new SipResponse(status, reason ?? reasonPhrase(status), headers);
}
