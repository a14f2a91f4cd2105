import type { Clock } from '../../transaction/timers';

/**
 * Which next hops (core servers) are believed reachable. Passive: a hop that did not answer a
 * call attempt (or answered 503, or could not be sent to) is skipped for `holdDownMs`, then tried
 * again. No probe traffic is sent, so core servers only ever see calls (IN-04).
 */
export class NextHopAvailability<T> {
  private readonly downUntil = new Map<T, number>();
  private readonly holdDownMs: number;
  private readonly clock: Clock;

  constructor(holdDownMs: number, clock: Clock) {
    this.holdDownMs = holdDownMs;
    this.clock = clock;
  }

  isUp(hop: T): boolean {
    const until = this.downUntil.get(hop);
    if (until === undefined) return true;
    if (this.clock.now() < until) return false;
    this.downUntil.delete(hop);
    return true;
  }

  markDown(hop: T): void {
    this.downUntil.set(hop, this.clock.now() + this.holdDownMs);
  }

  /** Hops currently held down, for metrics. */
  downCount(hops: readonly T[]): number {
    return hops.filter((h) => !this.isUp(h)).length;
  }
}
