import { SipParseError } from '../errors';
import { getParam, isToken, paramsOf, parseParams, quote, serializeParams, splitTopLevel, type Param } from './grammar';
import { parseHostPort, parseUri, serializeUri, type Uri } from './uri';

/**
 * Typed views of the structured header values the SBC acts on (RFC 3261 20): name-addr / addr-spec
 * (From, To, Contact, Route, Record-Route), Via, CSeq. Each parser takes one value (after comma
 * splitting where the header is a list) and throws SipParseError on bad grammar.
 */

export interface NameAddr {
  /** Display name without quotes and escapes; undefined when absent. */
  displayName: string | undefined;
  uri: Uri;
  /** Header parameters (tag, expires, q, ...), not URI parameters. */
  params: Param[];
}

export function parseNameAddr(value: string): NameAddr {
  const text = value.trim();
  let displayName: string | undefined;
  let rest: string;
  if (text.startsWith('"')) {
    let i = 1;
    for (; i < text.length; i++) {
      if (text[i] === '\\') i++;
      else if (text[i] === '"') break;
    }
    if (i >= text.length) throw new SipParseError(`unterminated display name in "${value}"`);
    const quoted = text.slice(1, i);
    displayName = quoted.includes('\\') ? quoted.replace(/\\(.)/g, '$1') : quoted;
    rest = text.slice(i + 1).trimStart();
    if (!rest.startsWith('<')) throw new SipParseError(`quoted display name without <URI> in "${value}"`);
  } else {
    const lt = text.indexOf('<');
    if (lt >= 0) {
      const name = text.slice(0, lt).trim();
      if (name !== '' && !name.split(/\s+/).every(isToken)) throw new SipParseError(`invalid display name in "${value}"`);
      displayName = name === '' ? undefined : name;
      rest = text.slice(lt);
    } else {
      // addr-spec form: parameters after the URI belong to the header, not to the URI (RFC 3261 20.10).
      const semi = text.indexOf(';');
      const uriText = (semi < 0 ? text : text.slice(0, semi)).trim();
      if (/[\s,?]/.test(uriText)) throw new SipParseError(`addr-spec with reserved characters must use <> in "${value}"`);
      return { displayName: undefined, uri: parseUri(uriText), params: semi < 0 ? [] : parseParams(text.slice(semi)) };
    }
  }
  const gt = rest.indexOf('>');
  if (gt < 0) throw new SipParseError(`missing > in "${value}"`);
  const inner = rest.slice(1, gt);
  // RFC 3261 25.1: LAQUOT/RAQUOT absorb white space outside the brackets only.
  if (inner !== inner.trim()) throw new SipParseError(`white space inside <> in "${value}"`);
  const uri = parseUri(inner);
  const tail = rest.slice(gt + 1).trim();
  if (tail !== '' && !tail.startsWith(';')) throw new SipParseError(`junk after > in "${value}"`);
  return { displayName, uri, params: parseParams(tail) };
}

export function serializeNameAddr(na: NameAddr): string {
  const name = na.displayName === undefined ? '' : `${quote(na.displayName)} `;
  return `${name}<${serializeUri(na.uri)}>${serializeParams(na.params)}`;
}

export function nameAddrTag(na: NameAddr): string | undefined {
  return getParam(na.params, 'tag');
}

export interface Via {
  /** `SIP/2.0` */
  protocol: string;
  /** Upper-cased transport: UDP, TCP, TLS, SCTP, WS, ... */
  transport: string;
  host: string;
  port: number | undefined;
  params: Param[];
}

export const BRANCH_MAGIC = 'z9hG4bK';

export function parseVia(value: string): Via {
  const text = value.trim();
  // sent-protocol allows LWS around the slashes (RFC 3261 25.1 SLASH).
  const m = /^([A-Za-z0-9\-.!%*_+`'~]+)\s*\/\s*([A-Za-z0-9\-.!%*_+`'~]+)\s*\/\s*([A-Za-z0-9\-.!%*_+`'~]+)\s+(.*)$/s.exec(text);
  if (!m || m[1] === undefined || m[2] === undefined || m[3] === undefined || m[4] === undefined) {
    throw new SipParseError(`invalid Via "${value}"`);
  }
  const rest = m[4];
  const semi = splitTopLevel(rest, ';');
  const first = semi[0] ?? '';
  // LWS around the port colon is allowed (RFC 3261 25.1 COLON); most senders write none.
  const sentBy = /\s/.test(first) ? first.replace(/\s*:\s*/, ':') : first;
  if (sentBy === '' || /\s/.test(sentBy)) throw new SipParseError(`invalid Via sent-by in "${value}"`);
  const { host, port } = parseHostPort(sentBy);
  // Port 0 is no port a response can be sent to (RFC 3261 18.2.2); taken, it breaks the reply later.
  if (port === 0) throw new SipParseError(`Via with port 0 in "${value}"`);
  const params = paramsOf(semi.slice(1));
  return { protocol: `${m[1]}/${m[2]}`, transport: m[3].toUpperCase(), host, port, params };
}

export function serializeVia(via: Via): string {
  const port = via.port === undefined ? '' : `:${via.port}`;
  return `${via.protocol}/${via.transport} ${via.host}${port}${serializeParams(via.params)}`;
}

export function viaBranch(via: Via): string | undefined {
  return getParam(via.params, 'branch');
}

export interface CSeq {
  seq: number;
  method: string;
}

export function parseCSeq(value: string): CSeq {
  const m = /^\s*(\d{1,10})\s+([A-Za-z0-9\-.!%*_+`'~]+)\s*$/.exec(value);
  if (!m || m[1] === undefined || m[2] === undefined) throw new SipParseError(`invalid CSeq "${value}"`);
  const seq = Number(m[1]);
  if (seq >= 2 ** 31) throw new SipParseError(`CSeq number out of range "${value}"`);
  return { seq, method: m[2] };
}

/** Max-Forwards (1*DIGIT) as a number. */
export function parseMaxForwards(value: string): number {
  const t = value.trim();
  if (!/^\d{1,10}$/.test(t)) throw new SipParseError(`invalid Max-Forwards "${value}"`);
  return Number(t);
}

/** Content-Length; throws on a non-number so framing never guesses. */
export function parseContentLength(value: string): number {
  const t = value.trim();
  if (!/^\d{1,10}$/.test(t)) throw new SipParseError(`invalid Content-Length "${value}"`);
  return Number(t);
}

/** Option tags of Require / Supported / Unsupported / Proxy-Require, lower-cased. */
export function parseOptionTags(values: readonly string[]): string[] {
  return values.flatMap((v) => splitTopLevel(v, ',')).filter((t) => t !== '').map((t) => t.toLowerCase());
}
