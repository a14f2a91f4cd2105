import type { Clock } from '../../transaction/timers';
import { DnsError, queryNaptr, type NaptrAnswer, type NaptrRecord } from './dns-naptr';

/**
 * ENUM (RFC 6116): an E.164 number becomes its e164.arpa name, the NAPTR records there with an
 * E2U+sip service are ordered (order, then preference) and each regexp (RFC 3402) turns the
 * number into a URI. Answers are cached for their TTL (negative ones too, RFC 2308).
 */

export interface EnumResolverOptions {
  server: { address: string; port: number };
  suffix: string;
  timeoutMs: number;
  attempts: number;
  /** Longest any answer is kept, whatever its TTL says. */
  maxCacheS: number;
  /** Country code for national numbers (`0` + national number); undefined: such numbers are not E.164. */
  countryCode?: string | undefined;
  clock: Clock;
  /** The DNS client (a fake in tests). */
  query?: (server: { address: string; port: number }, name: string, o: { timeoutMs: number; attempts: number }) => Promise<NaptrAnswer>;
}

/** Turns a dialled string into `+<digits>` (E.164), or undefined when it is not a telephone number. */
export function normaliseE164(dialled: string, countryCode?: string): string | undefined {
  // RFC 3966 visual separators carry no meaning.
  const s = dialled.replace(/[\s\-.()]/g, '');
  let digits: string | undefined;
  if (/^\+\d+$/.test(s)) digits = s.slice(1);
  else if (/^00\d+$/.test(s)) digits = s.slice(2);
  else if (countryCode !== undefined && /^0\d+$/.test(s)) digits = countryCode + s.slice(1);
  if (digits === undefined || digits.length < 2 || digits.length > 15) return undefined;
  return `+${digits}`;
}

/** RFC 6116 2.4: `+31201234567` -> `7.6.5.4.3.2.1.0.2.1.3.e164.arpa`. */
export function enumDomain(e164: string, suffix = 'e164.arpa'): string {
  return `${[...e164.replace(/^\+/, '')].reverse().join('.')}.${suffix.replace(/^\.|\.$/g, '')}`;
}

/** RFC 6116 3.4.3: E2U services; this SBC places SIP calls only, so `E2U+sip` (any case). */
export function isSipService(service: string): boolean {
  const [head, ...types] = service.toLowerCase().split('+');
  return head === 'e2u' && types.some((t) => t === 'sip' || t.startsWith('sip:'));
}

/**
 * Applies an RFC 3402 substitution expression `<d>ere<d>repl<d>flags` to `input`: the first
 * character is the delimiter, `\<d>` escapes it, `\1`..`\9` in repl are back-references and
 * `i` is the only flag. Returns undefined when the expression is malformed or does not match.
 */
export function applyNaptrRegexp(expression: string, input: string): string | undefined {
  const delim = expression[0];
  if (delim === undefined || delim === '\\' || /[0-9i]/.test(delim)) return undefined;
  const fields: string[] = [''];
  for (let i = 1; i < expression.length; i++) {
    const c = expression[i]!;
    if (c === '\\' && expression[i + 1] === delim) {
      fields[fields.length - 1] += delim;
      i++;
    } else if (c === '\\' && i + 1 < expression.length) {
      // Other escapes belong to the ERE or the back-reference syntax: kept for the next stage.
      fields[fields.length - 1] += c + expression[i + 1]!;
      i++;
    } else if (c === delim) {
      fields.push('');
    } else {
      fields[fields.length - 1] += c;
    }
  }
  if (fields.length !== 3) return undefined;
  const [ere, repl, flags] = fields as [string, string, string];
  if (!/^i?$/.test(flags)) return undefined;
  let re: RegExp;
  try {
    re = new RegExp(ere, flags === 'i' ? 'i' : '');
  } catch {
    return undefined;
  }
  const m = re.exec(input);
  if (!m) return undefined;
  let out = '';
  for (let i = 0; i < repl.length; i++) {
    const c = repl[i]!;
    if (c !== '\\' || i + 1 >= repl.length) {
      out += c;
      continue;
    }
    const n = repl[++i]!;
    out += /[1-9]/.test(n) ? (m[Number(n)] ?? '') : n;
  }
  return out;
}

export interface EnumTarget {
  uri: string;
  order: number;
  preference: number;
}

/** Every usable record's URI for `e164`, in the order they are to be tried. */
export function enumTargets(records: readonly NaptrRecord[], e164: string): EnumTarget[] {
  return records
    // Terminal records only: a non-terminal (empty flags) rewrite to another domain is not followed.
    .filter((r) => r.flags.toLowerCase() === 'u' && isSipService(r.service) && r.regexp !== '')
    .sort((a, b) => a.order - b.order || a.preference - b.preference)
    .flatMap((r) => {
      const uri = applyNaptrRegexp(r.regexp, e164);
      return uri !== undefined && /^sips?:/i.test(uri) ? [{ uri, order: r.order, preference: r.preference }] : [];
    });
}

interface CacheEntry {
  answer: NaptrAnswer;
  expiresAt: number;
}

/** The SBC's ENUM client: cached NAPTR look-ups against the configured DNS server. */
export class EnumResolver {
  private readonly o: EnumResolverOptions;
  private readonly cache = new Map<string, CacheEntry>();
  /** Concurrent calls to one number share one query. */
  private readonly inFlight = new Map<string, Promise<NaptrAnswer>>();

  constructor(o: EnumResolverOptions) {
    this.o = o;
  }

  normalise(dialled: string): string | undefined {
    return normaliseE164(dialled, this.o.countryCode);
  }

  /** The URIs to try for `e164` (empty: no record). Rejects with DnsError when DNS fails. */
  async resolve(e164: string): Promise<EnumTarget[]> {
    const answer = await this.lookup(enumDomain(e164, this.o.suffix));
    return enumTargets(answer.records, e164);
  }

  private async lookup(name: string): Promise<NaptrAnswer> {
    const now = this.o.clock.now();
    const cached = this.cache.get(name);
    if (cached && cached.expiresAt > now) return cached.answer;
    const pending = this.inFlight.get(name);
    if (pending) return pending;
    const query = this.o.query ?? queryNaptr;
    const p = query(this.o.server, name, { timeoutMs: this.o.timeoutMs, attempts: this.o.attempts })
      .then((answer) => {
        const ttl = Math.min(answer.ttl, this.o.maxCacheS);
        if (ttl > 0) this.cache.set(name, { answer, expiresAt: this.o.clock.now() + ttl * 1000 });
        else this.cache.delete(name);
        if (this.cache.size > 10_000) this.prune();
        return answer;
      })
      .catch((err: unknown) => {
        throw err instanceof DnsError ? err : new DnsError(`ENUM look-up of ${name} failed: ${String(err)}`, err);
      })
      .finally(() => this.inFlight.delete(name));
    this.inFlight.set(name, p);
    return p;
  }

  private prune(): void {
    const now = this.o.clock.now();
    for (const [k, v] of this.cache) if (v.expiresAt <= now) this.cache.delete(k);
  }
}
