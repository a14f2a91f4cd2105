import { SipParseError } from '../errors';

/**
 * Low-level RFC 3261 25.1 lexing shared by the header and URI parsers: separators that only count
 * outside quoted strings and angle brackets, parameters, tokens and quoting.
 */

/** One `;name=value` parameter; `value` is undefined for a bare flag such as `;lr` or `;rport`. */
export interface Param {
  name: string;
  value: string | undefined;
}

/** RFC 3261 25.1 token characters; a table lookup per character beats a regular expression per call. */
const TOKEN_CHAR = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.!%*_+`'~") TOKEN_CHAR[c.charCodeAt(0)] = 1;

export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || TOKEN_CHAR[c] === 0) return false;
  }
  return true;
}

/**
 * Splits `input` at every `sep` that stands outside a quoted string (with backslash escapes) and
 * outside `<...>`. Pieces are trimmed of linear white space. Commas inside a display name or inside
 * a URI (`<sip:a,b@x>`) therefore never split a header value.
 */
export function splitTopLevel(input: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let inQuote = false;
  let start = 0;
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (inQuote) {
      if (ch === '\\') i++;
      else if (ch === '"') inQuote = false;
      continue;
    }
    if (ch === '"') inQuote = true;
    else if (ch === '<') depth++;
    else if (ch === '>' && depth > 0) depth--;
    else if (ch === sep && depth === 0) {
      parts.push(input.slice(start, i).trim());
      start = i + 1;
    }
  }
  if (inQuote) throw new SipParseError(`unterminated quoted string in "${input}"`);
  if (depth !== 0) throw new SipParseError(`unbalanced angle brackets in "${input}"`);
  parts.push(input.slice(start).trim());
  return parts;
}

/** Parses `;a=1;b;c="x y"` (leading `;` optional). Names keep their case; lookups ignore it. */
export function parseParams(input: string): Param[] {
  const text = input.trim();
  if (text === '') return [];
  const body = text.startsWith(';') ? text.slice(1) : text;
  return paramsOf(splitTopLevel(body, ';'));
}

/** Parameters from pieces already split at top-level `;` and trimmed (as `splitTopLevel` returns them). */
export function paramsOf(pieces: readonly string[]): Param[] {
  return pieces.map((piece) => {
    const eq = piece.indexOf('=');
    const name = (eq < 0 ? piece : piece.slice(0, eq)).trim();
    if (!isToken(name)) throw new SipParseError(`invalid parameter name "${name}"`);
    if (eq < 0) return { name, value: undefined };
    const value = piece.slice(eq + 1).trim();
    if (value === '') throw new SipParseError(`empty value for parameter "${name}"`);
    if (value.startsWith('"') && !(value.endsWith('"') && value.length >= 2)) {
      throw new SipParseError(`bad quoted value for parameter "${name}"`);
    }
    return { name, value };
  });
}

export function serializeParams(params: readonly Param[]): string {
  return params.map((p) => (p.value === undefined ? `;${p.name}` : `;${p.name}=${p.value}`)).join('');
}

export function getParam(params: readonly Param[], name: string): string | undefined {
  const lower = name.toLowerCase();
  return params.find((p) => p.name.toLowerCase() === lower)?.value;
}

export function hasParam(params: readonly Param[], name: string): boolean {
  const lower = name.toLowerCase();
  return params.some((p) => p.name.toLowerCase() === lower);
}

/** Returns a copy with `name` set (replacing an existing one in place, else appended). */
export function withParam(params: readonly Param[], name: string, value: string | undefined): Param[] {
  const lower = name.toLowerCase();
  const idx = params.findIndex((p) => p.name.toLowerCase() === lower);
  if (idx < 0) return [...params, { name, value }];
  return params.map((p, i) => (i === idx ? { name: p.name, value } : p));
}

export function withoutParam(params: readonly Param[], name: string): Param[] {
  const lower = name.toLowerCase();
  return params.filter((p) => p.name.toLowerCase() !== lower);
}

/** Removes the surrounding quotes and backslash escapes of a quoted-string; other text is returned trimmed. */
export function unquote(s: string): string {
  const t = s.trim();
  if (t.length < 2 || !t.startsWith('"') || !t.endsWith('"')) return t;
  return t.slice(1, -1).replace(/\\(.)/g, '$1');
}

/** Makes a quoted-string, escaping `"` and `\`. */
export function quote(s: string): string {
  return `"${s.replace(/(["\\])/g, '\\$1')}"`;
}

/** Replaces header folding (CRLF followed by white space) with one space (RFC 3261 7.3.1). */
export function unfold(s: string): string {
  return s.replace(/\r?\n[ \t]+/g, ' ');
}

/**
 * True when `s` holds a C0 control character or DEL: bytes no header value of the SBC's own may
 * carry (a NUL breaks a database, a CR or LF the message framing). Tab is allowed unless `tabToo`.
 */
export function hasControl(s: string, tabToo = false): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && (tabToo || c !== 0x09)) || c === 0x7f) return true;
  }
  return false;
}

/** `s` with every C0 control character and DEL (tab included) replaced by what `by` returns. */
export function replaceControl(s: string, by: (char: string) => string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    out += c < 0x20 || c === 0x7f ? by(ch) : ch;
  }
  return out;
}
