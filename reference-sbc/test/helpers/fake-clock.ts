import type { Clock } from '../../src/transaction/timers';

interface Scheduled {
  at: number;
  seq: number;
  fn: () => void;
}

/** A manual clock: timers fire only when a test advances time, in due order. */
export class FakeClock implements Clock {
  private time = 0;
  private seq = 0;
  private queue: Scheduled[] = [];

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const entry = { at: this.time + Math.max(0, ms), seq: this.seq++, fn };
    this.queue.push(entry);
    return entry;
  }

  clearTimeout(handle: unknown): void {
    this.queue = this.queue.filter((e) => e !== handle);
  }

  /** Moves time forward by `ms`, firing every timer due on the way (including ones they start). */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      this.queue.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.queue[0];
      if (!next || next.at > end) break;
      this.queue.shift();
      this.time = next.at;
      next.fn();
    }
    this.time = end;
  }

  get pending(): number {
    return this.queue.length;
  }
}
