import type { Timer, Timers } from '../transaction/timers';

/**
 * RFC 3261 13.3.1.4: the UAS core, not the transaction, retransmits a 2xx to INVITE until the ACK
 * arrives: after T1, then doubling up to T2, for 64*T1 in all. Then it gives up.
 */
export class TwoXxRetransmitter {
  private readonly timers: Timers;
  private readonly send: () => void;
  private readonly onGiveUp: () => void;
  private timer: Timer | undefined;
  private stopped = false;

  constructor(timers: Timers, send: () => void, onGiveUp: () => void) {
    this.timers = timers;
    this.send = send;
    this.onGiveUp = onGiveUp;
  }

  start(): void {
    this.arm(this.timers.t1, 0);
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  private arm(interval: number, elapsed: number): void {
    if (this.stopped) return;
    this.timer = this.timers.start(interval, () => {
      const total = elapsed + interval;
      if (total >= this.timers.H) {
        this.stopped = true;
        this.onGiveUp();
        return;
      }
      this.send();
      this.arm(Math.min(interval * 2, this.timers.t2), total);
    });
  }
}
