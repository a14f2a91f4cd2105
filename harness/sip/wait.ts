/**
 * Waiting with time-outs, the way scenario steps wait: "the 180 arrives within
 * 2 s". A `Watch` keeps what already arrived, so a wait started late still
 * sees an earlier message.
 */
import { SipTimeoutError } from './errors';

interface Waiter<T> {
  pred: (item: T) => boolean;
  resolve: (item: T) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
  consume: boolean;
}

export class Watch<T> {
  readonly items: T[] = [];
  private waiters: Waiter<T>[] = [];
  private failure: Error | undefined;
  private readonly queue: T[] = [];

  constructor(private readonly what: string) {}

  push(item: T): void {
    this.items.push(item);
    let consumed = false;
    for (const waiter of [...this.waiters]) {
      if (!waiter.pred(item)) continue;
      if (waiter.consume) {
        if (consumed) continue;
        consumed = true;
      }
      this.settle(waiter);
      waiter.resolve(item);
    }
    if (!consumed) this.queue.push(item);
  }

  /** First item (past or future) matching `pred`. */
  find(pred: (item: T) => boolean, timeoutMs: number, what = this.what): Promise<T> {
    const existing = this.items.find(pred);
    if (existing !== undefined) return Promise.resolve(existing);
    return this.wait(pred, timeoutMs, what, false);
  }

  /** Next item not yet taken, in arrival order: a queue for handlers written as a script. */
  take(timeoutMs: number, what = this.what): Promise<T> {
    const next = this.queue.shift();
    if (next !== undefined) return Promise.resolve(next);
    return this.wait(() => true, timeoutMs, what, true);
  }

  /** Rejects current and future waits that nothing can satisfy any more. */
  fail(error: Error): void {
    this.failure = error;
    for (const waiter of [...this.waiters]) {
      this.settle(waiter);
      waiter.reject(error);
    }
  }

  private wait(pred: (item: T) => boolean, timeoutMs: number, what: string, consume: boolean): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = {
        pred, resolve, reject, consume,
        timer: setTimeout(() => {
          this.settle(waiter);
          reject(new SipTimeoutError(`no ${what} within ${timeoutMs} ms`, timeoutMs));
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  private settle(waiter: Waiter<T>): void {
    clearTimeout(waiter.timer);
    this.waiters = this.waiters.filter((w) => w !== waiter);
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
