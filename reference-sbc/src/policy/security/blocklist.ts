import { CidrMap, ipv4ToNumber, parseCidr, type Cidr } from './cidr';

/**
 * The block list (IN-01): addresses and ranges whose traffic is dropped before it is parsed. Entries
 * come from several owners, each kept apart so that one owner's refresh cannot undo another's:
 *   config  the `security.blocklist` option, fixed for the process's life
 *   db      the `blocklist` table, replaced wholesale on every successful refresh
 *   api     POST /blocklist at run time (not persisted)
 *   flood   automatic bans of sources over the request rate, with an expiry
 *   scan    automatic bans of sources that announce a scanner's User-Agent, with an expiry
 */
export type BlockSource = 'config' | 'db' | 'api' | 'flood' | 'scan';

export interface BlockEntry {
  readonly cidr: Cidr;
  readonly source: BlockSource;
  readonly addedAt: number;
  /** Epoch ms after which the entry no longer blocks; undefined = until removed. */
  readonly expiresAt: number | undefined;
  readonly reason: string | undefined;
}

export interface NewEntry {
  address: string;
  /** Epoch ms; takes precedence over expiresInMs. */
  expiresAt?: number | undefined;
  expiresInMs?: number | undefined;
  reason?: string | undefined;
}

export class Blocklist {
  private readonly entries = new CidrMap<Map<BlockSource, BlockEntry>>();
  private readonly now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.now = options.now ?? Date.now;
  }

  /** Adds or refreshes the entry of `source` for the address or range. Throws on a malformed address. */
  add(source: BlockSource, entry: NewEntry): BlockEntry {
    const cidr = parseCidr(entry.address);
    const now = this.now();
    const expiresAt = entry.expiresAt ?? (entry.expiresInMs === undefined ? undefined : now + entry.expiresInMs);
    const added: BlockEntry = { cidr, source, addedAt: now, expiresAt, reason: entry.reason };
    let bySource = this.entries.get(cidr);
    if (!bySource) {
      bySource = new Map();
      this.entries.set(cidr, bySource);
    }
    bySource.set(source, added);
    return added;
  }

  /** Removes the address or range from every source; returns the sources it was in (empty: not listed). */
  remove(address: string): BlockSource[] {
    const cidr = parseCidr(address);
    const bySource = this.entries.get(cidr);
    if (!bySource) return [];
    const live = [...bySource.values()].filter((e) => !this.expired(e)).map((e) => e.source);
    this.entries.delete(cidr);
    return live;
  }

  /**
   * Replaces every entry of one source (a database refresh): entries that vanished are removed, the
   * others are added or updated. Returns the addresses that could not be parsed, for the log.
   */
  replaceSource(source: BlockSource, list: readonly NewEntry[]): string[] {
    for (const bySource of [...this.entries.values()]) {
      const e = bySource.get(source);
      if (e) this.drop(e);
    }
    const bad: string[] = [];
    for (const entry of list) {
      try {
        this.add(source, entry);
      } catch {
        bad.push(entry.address);
      }
    }
    return bad;
  }

  /** The entry that blocks `address` right now, if any: the hot path, called for every packet. */
  blocking(address: string): BlockEntry | undefined {
    if (this.entries.size === 0) return undefined;
    const ip = ipv4ToNumber(address);
    if (ip === undefined) return undefined;
    for (const bySource of this.entries.matches(ip)) {
      for (const e of bySource.values()) {
        if (!this.expired(e)) return e;
      }
    }
    // Only expired entries matched: clear them so the next packet skips them.
    for (const bySource of [...this.entries.matches(ip)]) {
      for (const e of [...bySource.values()]) if (this.expired(e)) this.drop(e);
    }
    return undefined;
  }

  /** Live entries, one per (range, source), sorted by range. */
  list(): BlockEntry[] {
    const out: BlockEntry[] = [];
    for (const bySource of this.entries.values()) {
      for (const e of bySource.values()) if (!this.expired(e)) out.push(e);
    }
    return out.sort((a, b) => a.cidr.network - b.cidr.network || a.cidr.prefix - b.cidr.prefix || a.source.localeCompare(b.source));
  }

  /** Removes expired entries (called periodically so the list and its memory do not grow); returns how many. */
  sweep(): number {
    let n = 0;
    for (const bySource of [...this.entries.values()]) {
      for (const e of [...bySource.values()]) {
        if (this.expired(e)) {
          this.drop(e);
          n++;
        }
      }
    }
    return n;
  }

  /** Number of live entries. */
  get size(): number {
    return this.list().length;
  }

  private expired(e: BlockEntry): boolean {
    return e.expiresAt !== undefined && e.expiresAt <= this.now();
  }

  private drop(e: BlockEntry): void {
    const bySource = this.entries.get(e.cidr);
    if (!bySource || bySource.get(e.source) !== e) return;
    bySource.delete(e.source);
    if (bySource.size === 0) this.entries.delete(e.cidr);
  }
}

/** The JSON form the admin API shows (GET /blocklist). */
export function entryView(e: BlockEntry): { address: string; source: BlockSource; addedAt: string; expiresAt: string | null; reason?: string } {
  return {
    address: e.cidr.prefix === 32 ? e.cidr.text.slice(0, -3) : e.cidr.text,
    source: e.source,
    addedAt: new Date(e.addedAt).toISOString(),
    expiresAt: e.expiresAt === undefined ? null : new Date(e.expiresAt).toISOString(),
    ...(e.reason === undefined ? {} : { reason: e.reason }),
  };
}
