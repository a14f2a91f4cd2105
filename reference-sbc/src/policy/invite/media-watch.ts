import type { Logger } from '../../logger';
import type { Timer, Timers } from '../../transaction/timers';

/**
 * Media inactivity (issue 11 point 5): an answered call whose media stopped is ended by the SBC, so
 * that a caller who vanished without a BYE (or whose BYE was refused) does not keep the call, its
 * CDR and its relay ports open. Every `intervalMs` the relay's packet count for the call is read;
 * no new packet since the last look, or a relay that no longer knows the call (rtpengine ends a
 * silent session after its own --timeout), ends it. A relay that cannot be asked (down, slow) is no
 * evidence of silence: the call is left alone and asked again next time.
 */
export interface MediaWatchOptions {
  timers: Timers;
  intervalMs: number;
  /** RTP and RTCP packets relayed so far; undefined when the relay does not know the call. Throws when it cannot be asked. */
  packets(): Promise<number | undefined>;
  onInactive(why: string): void;
  log: Logger;
}

export function watchMedia(o: MediaWatchOptions): { stop(): void } {
  let last = 0;
  let timer: Timer | undefined;
  let stopped = false;
  const schedule = (): void => {
    timer = o.timers.start(o.intervalMs, () => void check());
  };
  const check = async (): Promise<void> => {
    let packets: number | undefined;
    try {
      packets = await o.packets();
    } catch (err) {
      o.log.warn('media relay not asked about a call; trying again later', { err });
      if (!stopped) schedule();
      return;
    }
    if (stopped) return;
    if (packets === undefined) {
      o.onInactive('the media relay no longer knows the call');
      return;
    }
    if (packets <= last) {
      o.onInactive(`no media for ${o.intervalMs} ms`);
      return;
    }
    last = packets;
    schedule();
  };
  schedule();
  return {
    stop: () => {
      stopped = true;
      timer?.cancel();
    },
  };
}
