/**
 * IPv4 addresses and CIDR ranges as 32-bit numbers, so that the per-packet checks (block list, zone
 * guard) are a few integer operations and map look-ups, never string parsing of a range list.
 * The SBC listens on IPv4 only (config.ts), so an IPv6 source can never match and is never parsed.
 */

export interface Cidr {
  /** The network address as an unsigned 32-bit number (host bits cleared). */
  readonly network: number;
  readonly prefix: number;
  /** Canonical text, always with the prefix: `203.0.113.66/32`, `198.51.100.0/24`. */
  readonly text: string;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** `1.2.3.4` (or `::ffff:1.2.3.4`, as dual-stack sockets report it) to a number; undefined when not IPv4. */
export function ipv4ToNumber(address: string): number | undefined {
  const m = IPV4.exec(address.startsWith('::ffff:') ? address.slice(7) : address);
  if (!m) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255 || (m[i]!.length > 1 && m[i]!.startsWith('0'))) return undefined;
    n = n * 256 + octet;
  }
  return n;
}

export function numberToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/**
 * Parses `a.b.c.d` (a /32) or `a.b.c.d/n`. Host bits set below the prefix (`10.0.0.5/24`) are an
 * error rather than silently widened: an operator who wrote that probably meant something else.
 */
export function parseCidr(text: string): Cidr {
  const [addr = '', prefixText, extra] = text.trim().split('/');
  if (extra !== undefined) throw new Error(`not an IPv4 address or CIDR range: ${text}`);
  const ip = ipv4ToNumber(addr);
  if (ip === undefined) throw new Error(`not an IPv4 address or CIDR range: ${text}`);
  let prefix = 32;
  if (prefixText !== undefined) {
    if (!/^\d{1,2}$/.test(prefixText) || Number(prefixText) > 32) throw new Error(`bad prefix length in ${text}`);
    prefix = Number(prefixText);
  }
  const network = (ip & maskOf(prefix)) >>> 0;
  if (network !== ip) throw new Error(`${text} has host bits set; the range is ${numberToIpv4(network)}/${prefix}`);
  return { network, prefix, text: `${numberToIpv4(network)}/${prefix}` };
}

/** The /n range an address lies in (`10.20.0.10`, 24 -> `10.20.0.0/24`). */
export function enclosingCidr(address: string, prefix: number): Cidr {
  const ip = ipv4ToNumber(address);
  if (ip === undefined) throw new Error(`not an IPv4 address: ${address}`);
  return parseCidr(`${numberToIpv4((ip & maskOf(prefix)) >>> 0)}/${prefix}`);
}

/**
 * A set of ranges with a value per range, looked up by address: one map per prefix length in use,
 * longest prefix first, so a look-up costs at most one masked map probe per distinct prefix length.
 */
export class CidrMap<V> {
  private readonly byPrefix = new Map<number, Map<number, V>>();
  private prefixes: number[] = [];

  get size(): number {
    let n = 0;
    for (const m of this.byPrefix.values()) n += m.size;
    return n;
  }

  set(cidr: Cidr, value: V): void {
    let m = this.byPrefix.get(cidr.prefix);
    if (!m) {
      m = new Map();
      this.byPrefix.set(cidr.prefix, m);
      this.prefixes = [...this.byPrefix.keys()].sort((a, b) => b - a);
    }
    m.set(cidr.network, value);
  }

  get(cidr: Cidr): V | undefined {
    return this.byPrefix.get(cidr.prefix)?.get(cidr.network);
  }

  delete(cidr: Cidr): boolean {
    const m = this.byPrefix.get(cidr.prefix);
    if (!m?.delete(cidr.network)) return false;
    if (m.size === 0) {
      this.byPrefix.delete(cidr.prefix);
      this.prefixes = this.prefixes.filter((p) => p !== cidr.prefix);
    }
    return true;
  }

  /** Every value whose range holds `ip`, most specific first. */
  *matches(ip: number): Generator<V> {
    for (const prefix of this.prefixes) {
      const v = this.byPrefix.get(prefix)?.get((ip & maskOf(prefix)) >>> 0);
      if (v !== undefined) yield v;
    }
  }

  /** True when some range holds the address (text form). */
  contains(address: string): boolean {
    const ip = ipv4ToNumber(address);
    if (ip === undefined) return false;
    return !this.matches(ip).next().done;
  }

  *values(): Generator<V> {
    for (const m of this.byPrefix.values()) yield* m.values();
  }
}

/** A plain set of ranges (the zone guard's allowed and denied sources). */
export function cidrSet(ranges: readonly (string | Cidr)[]): CidrMap<true> {
  const set = new CidrMap<true>();
  for (const r of ranges) set.set(typeof r === 'string' ? parseCidr(r) : r, true);
  return set;
}
