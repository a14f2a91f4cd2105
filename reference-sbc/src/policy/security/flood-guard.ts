/**
 * Per-source message rate over a sliding window (IN-01: "an address that floods is blocked
 * automatically"). Each source keeps two fixed-window counters, the current window and the previous
 * one; the rate over the last `windowMs` is estimated as
 *
 *     previous * (share of the previous window still inside the sliding window) + current
 *
 * which is O(1) in time and memory per source, unlike a list of timestamps. The table of sources is
 * bounded (least recently seen evicted first), so a flood from many spoofed addresses costs memory
 * in proportion to `maxSources`, never to the number of addresses.
 */
export interface FloodGuardOptions {
  windowMs: number;
  /** More than this many messages in any `windowMs` is a flood. */
  maxRequests: number;
  /** Most sources tracked at once. */
  maxSources: number;
  now?: () => number;
}

interface Counter {
  windowStart: number;
  current: number;
  previous: number;
}

export class FloodGuard {
  private readonly sources = new Map<string, Counter>();
  private readonly o: Required<FloodGuardOptions>;

  constructor(options: FloodGuardOptions) {
    this.o = { now: Date.now, ...options };
  }

  /**
   * Counts one message from `address`; true when the source is now over the limit. The caller bans
   * it and calls `forget`, so a ban that expires starts from a clean count.
   */
  hit(address: string): boolean {
    const now = this.o.now();
    const { windowMs } = this.o;
    const start = now - (now % windowMs);
    let c = this.sources.get(address);
    if (c) {
      // Re-insert: a Map iterates in insertion order, so the first key is the least recently seen.
      this.sources.delete(address);
    } else {
      c = { windowStart: start, current: 0, previous: 0 };
      if (this.sources.size >= this.o.maxSources) {
        const oldest = this.sources.keys().next().value;
        if (oldest !== undefined) this.sources.delete(oldest);
      }
    }
    this.sources.set(address, c);
    if (start !== c.windowStart) {
      c.previous = start - c.windowStart === windowMs ? c.current : 0;
      c.current = 0;
      c.windowStart = start;
    }
    c.current++;
    return this.estimate(c, now) > this.o.maxRequests;
  }

  /** The estimated number of messages from `address` in the last window (0 when not tracked). */
  rate(address: string): number {
    const c = this.sources.get(address);
    if (!c) return 0;
    const now = this.o.now();
    const start = now - (now % this.o.windowMs);
    if (start === c.windowStart) return this.estimate(c, now);
    if (start - c.windowStart === this.o.windowMs) return this.estimate({ windowStart: start, current: 0, previous: c.current }, now);
    return 0;
  }

  forget(address: string): void {
    this.sources.delete(address);
  }

  get trackedSources(): number {
    return this.sources.size;
  }

  private estimate(c: Counter, now: number): number {
    const intoWindow = now - c.windowStart;
    return (c.previous * (this.o.windowMs - intoWindow)) / this.o.windowMs + c.current;
  }
}
