import { splitTopLevel } from './grammar';

/**
 * The header section of a message as an ordered list of fields, kept as received so that a
 * message the SBC does not change serializes byte for byte. Values are strings; typed views are
 * parsed on demand (lazily) by the caller through header-values.ts.
 */
export interface HeaderField {
  /** The name as written (may be compact, e.g. `v`). */
  name: string;
  /** The value with folding replaced by single spaces and outer white space trimmed. */
  value: string;
  /** The exact line(s) as received, without the final CRLF; dropped once the field is changed. */
  raw?: string;
  /** `canonicalName(name)`, filled on first lookup so a message's lookups lower-case each name once. */
  key?: string;
}

/** RFC 3261 7.3.3 compact forms plus the ones registered later (RFC 3265, 3515, 3892, 4028, 3841). */
const COMPACT = new Map<string, string>(Object.entries({
  i: 'call-id',
  m: 'contact',
  e: 'content-encoding',
  l: 'content-length',
  c: 'content-type',
  f: 'from',
  s: 'subject',
  k: 'supported',
  t: 'to',
  v: 'via',
  o: 'event',
  u: 'allow-events',
  r: 'refer-to',
  b: 'referred-by',
  x: 'session-expires',
  a: 'accept-contact',
  j: 'reject-contact',
  d: 'request-disposition',
  y: 'identity',
  n: 'identity-info',
}));

/** Spellings seen so far; names come from the network, so only the first few hundred are kept. */
const canonicalCache = new Map<string, string>();
const CANONICAL_CACHE_MAX = 512;

/** Lower-case long form of a header name, expanding compact forms. */
export function canonicalName(name: string): string {
  const hit = canonicalCache.get(name);
  if (hit !== undefined) return hit;
  const lower = name.toLowerCase();
  // A Map, not an object: a header called `constructor` must not find Object.prototype's.
  const key = COMPACT.get(lower) ?? lower;
  if (canonicalCache.size < CANONICAL_CACHE_MAX) canonicalCache.set(name, key);
  return key;
}

/** A field's canonical name, computed once per field. */
export function fieldKey(f: HeaderField): string {
  return f.key ?? (f.key = canonicalName(f.name));
}

/**
 * Headers whose values are comma-separated lists (RFC 3261 7.3.1). Others (Date, WWW-Authenticate,
 * Authorization, ...) contain commas that are not separators and are never split.
 */
const LIST_HEADERS = new Set([
  'via', 'contact', 'route', 'record-route', 'allow', 'supported', 'require', 'proxy-require',
  'unsupported', 'accept', 'accept-encoding', 'accept-language', 'content-encoding', 'allow-events',
  'in-reply-to', 'alert-info', 'call-info', 'error-info', 'warning', 'reply-to', 'path', 'service-route',
]);

export function isListHeader(name: string): boolean {
  return LIST_HEADERS.has(canonicalName(name));
}

export class Headers {
  readonly fields: HeaderField[];

  constructor(fields: HeaderField[] = []) {
    this.fields = fields;
  }

  /** The first value of `name` (compact or long form, any case). */
  get(name: string): string | undefined {
    const key = canonicalName(name);
    for (const f of this.fields) if (fieldKey(f) === key) return f.value;
    return undefined;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Every field value of `name`, in order, without comma splitting. */
  getFields(name: string): string[] {
    const key = canonicalName(name);
    const values: string[] = [];
    for (const f of this.fields) if (fieldKey(f) === key) values.push(f.value);
    return values;
  }

  /**
   * Every element of a list header, across fields, split at top-level commas
   * (`Via: a, b` + `Via: c` gives [a, b, c]). Non-list headers come back one per field.
   */
  getValues(name: string): string[] {
    const fields = this.getFields(name);
    if (!isListHeader(name)) return fields;
    const values: string[] = [];
    for (const field of fields) for (const v of splitTopLevel(field, ',')) if (v !== '') values.push(v);
    return values;
  }

  /** Replaces every field of `name` with one field (at the position of the first one, else at the end). */
  set(name: string, value: string): void {
    const key = canonicalName(name);
    const first = this.fields.findIndex((f) => fieldKey(f) === key);
    this.remove(name);
    const field = { name, value };
    if (first < 0) this.fields.push(field);
    else this.fields.splice(Math.min(first, this.fields.length), 0, field);
  }

  append(name: string, value: string): void {
    this.fields.push({ name, value });
  }

  /** Inserts before the first field of the same name (e.g. a new top Via), else at the top. */
  prepend(name: string, value: string): void {
    const key = canonicalName(name);
    const first = this.fields.findIndex((f) => fieldKey(f) === key);
    this.fields.splice(first < 0 ? 0 : first, 0, { name, value });
  }

  remove(name: string): void {
    const key = canonicalName(name);
    for (let i = this.fields.length - 1; i >= 0; i--) {
      const f = this.fields[i];
      if (f && fieldKey(f) === key) this.fields.splice(i, 1);
    }
  }

  /**
   * Replaces the first list element of `name` (the top Via when a transport adds received/rport),
   * keeping the other elements of that field.
   */
  replaceFirstValue(name: string, value: string): void {
    const key = canonicalName(name);
    const idx = this.fields.findIndex((f) => fieldKey(f) === key);
    const field = this.fields[idx];
    if (!field) return;
    const rest = splitTopLevel(field.value, ',').slice(1);
    this.fields[idx] = { name: field.name, value: [value, ...rest].join(', ') };
  }

  /** Removes the first list element of `name` (the top Via of a response a client receives). */
  removeFirstValue(name: string): void {
    const key = canonicalName(name);
    const idx = this.fields.findIndex((f) => fieldKey(f) === key);
    const field = this.fields[idx];
    if (!field) return;
    const rest = splitTopLevel(field.value, ',').slice(1);
    if (rest.length === 0) this.fields.splice(idx, 1);
    else this.fields[idx] = { name: field.name, value: rest.join(', ') };
  }

  clone(): Headers {
    return new Headers(this.fields.map((f) => ({ ...f })));
  }
}
