/**
 * RFC 3261 timer values (Table 4 in 17) derived from T1, T2, T4, and the clock that runs them.
 * Everything that waits in the SIP stack goes through one `Timers` instance, so tests can inject a
 * small T1 or a fake clock (STYLE.md 4).
 */
export interface TimerSettings {
  t1: number;
  t2: number;
  t4: number;
}

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const h = setTimeout(fn, ms);
    // Protocol timers alone must not keep the process alive during shutdown.
    h.unref();
    return h;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** A running timer; cancel() is idempotent. */
export interface Timer {
  cancel(): void;
}

export class Timers {
  readonly t1: number;
  readonly t2: number;
  readonly t4: number;
  readonly clock: Clock;
  private readonly onError: (err: unknown) => void;

  /**
   * `onError` receives what a timer callback throws. Production logs it so one bad call cannot
   * take the process down; the default rethrows so tests see the bug.
   */
  constructor(settings: TimerSettings = { t1: 500, t2: 4000, t4: 5000 }, clock: Clock = systemClock, onError?: (err: unknown) => void) {
    this.t1 = settings.t1;
    this.t2 = settings.t2;
    this.t4 = settings.t4;
    this.clock = clock;
    this.onError = onError ?? ((err) => { throw err; });
  }

  /** Timer A initial value: INVITE request retransmit interval (UDP). */
  get A(): number { return this.t1; }
  /** Timer B: INVITE client transaction timeout. */
  get B(): number { return 64 * this.t1; }
  /**
   * Timer D: wait time for response retransmits (RFC: > 32 s for UDP). 64*T1 is 32 s with the
   * default T1 and shrinks with it in tests.
   */
  get D(): number { return 64 * this.t1; }
  /** Timer E initial value: non-INVITE request retransmit interval (UDP). */
  get E(): number { return this.t1; }
  /** Timer F: non-INVITE client transaction timeout. */
  get F(): number { return 64 * this.t1; }
  /** Timer G initial value: INVITE response retransmit interval. */
  get G(): number { return this.t1; }
  /** Timer H: wait time for ACK receipt. */
  get H(): number { return 64 * this.t1; }
  /** Timer I: wait time for ACK retransmits (UDP). */
  get I(): number { return this.t4; }
  /** Timer J: wait time for non-INVITE request retransmits (UDP). */
  get J(): number { return 64 * this.t1; }
  /** Timer K: wait time for response retransmits (UDP). */
  get K(): number { return this.t4; }
  /** Timer L (RFC 6026): INVITE server lingers in Accepted to absorb INVITE retransmissions. */
  get L(): number { return 64 * this.t1; }
  /** Timer M (RFC 6026): INVITE client lingers in Accepted to pass on 2xx retransmissions. */
  get M(): number { return 64 * this.t1; }

  start(ms: number, fn: () => void): Timer {
    let live = true;
    const handle = this.clock.setTimeout(() => {
      if (!live) return;
      live = false;
      try {
        fn();
      } catch (err) {
        this.onError(err);
      }
    }, ms);
    return {
      cancel: () => {
        if (!live) return;
        live = false;
        this.clock.clearTimeout(handle);
      },
    };
  }
}
