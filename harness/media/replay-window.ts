/** Why the replay list refused an index (RFC 3711 §3.3.2). */
export type ReplayVerdict = 'fresh' | 'replayed' | 'too-old';

/**
 * The sliding replay list of RFC 3711 §3.3.2: indices above the highest authenticated one are new;
 * within `size` below it a bitmap says whether they were seen; anything older is refused. Checking
 * and committing are separate so that only packets that authenticated move the window.
 */
export class ReplayWindow {
  private highest = -1;
  /** Bit k set: index (highest − k) was received. */
  private seen = 0n;
  private readonly mask: bigint;

  constructor(readonly size = 128) {
    if (!Number.isInteger(size) || size < 64) throw new RangeError('RFC 3711 §3.3.2 wants a window of at least 64');
    this.mask = (1n << BigInt(size)) - 1n;
  }

  check(index: number): ReplayVerdict {
    if (index > this.highest) return 'fresh';
    const age = this.highest - index;
    if (age >= this.size) return 'too-old';
    return (this.seen >> BigInt(age)) & 1n ? 'replayed' : 'fresh';
  }

  commit(index: number): void {
    if (index > this.highest) {
      const shift = this.highest < 0 ? this.size : index - this.highest;
      this.seen = shift >= this.size ? 1n : ((this.seen << BigInt(shift)) | 1n) & this.mask;
      this.highest = index;
    } else {
      this.seen |= 1n << BigInt(this.highest - index);
    }
  }
}
