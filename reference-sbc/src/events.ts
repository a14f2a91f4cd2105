import { EventEmitter } from 'node:events';

/**
 * Call lifecycle events. The call logic (dialog/policy layers) emits them; CDR writing,
 * metrics and logging subscribe (STYLE.md 7). No subscriber may throw back into the call logic.
 *
 * `key` identifies one call attempt inside this SBC process (one INVITE dialog attempt on the
 * public leg for inbound calls, on the core leg for outbound ones). It is unique per process run
 * and stable across the events of one attempt.
 */
export type Direction = 'inbound' | 'outbound';
export type TransportName = 'udp' | 'tls';

export interface CallStarted {
  kind: 'started';
  key: string;
  /** Call-ID of the public-side leg (for outbound calls: the leg the SBC created towards the public side). */
  publicCallId: string;
  direction: Direction;
  attemptAt: Date;
  srcNumber: string;
  dstNumber: string;
  /** The public peer: the caller for inbound calls, the public destination for outbound ones. */
  remoteIp: string;
  remotePort: number;
  transport: TransportName;
}

export interface CallRouted {
  kind: 'routed';
  key: string;
  /** Call-ID of the core-side leg. */
  coreCallId: string;
  /** The next hop the SBC chose: a core server (inbound) or a public destination (outbound), host:port. */
  peer: string;
  /** For outbound calls the public leg's Call-ID is only known once a destination is chosen. */
  publicCallId?: string;
  remoteIp?: string;
  remotePort?: number;
  transport?: TransportName;
}

export interface CallAnswered {
  kind: 'answered';
  key: string;
  answerAt: Date;
  mediaEncrypted: boolean;
}

export interface CallEnded {
  kind: 'ended';
  key: string;
  endAt: Date;
  /** Final SIP status of the INVITE as the caller saw it (200 for answered calls). */
  finalStatus: number;
  /** Who or what ended the call: caller-bye, callee-bye, cancelled, rejected, timeout, failed, shutdown. */
  endReason: string;
}

export type CallEvent = CallStarted | CallRouted | CallAnswered | CallEnded;

/** A typed emitter for call events: `events.on('call', (e) => ...)`. */
export class CallEvents {
  private readonly emitter = new EventEmitter();

  emit(event: CallEvent): void {
    this.emitter.emit('call', event);
  }

  on(listener: (event: CallEvent) => void): () => void {
    const safe = (event: CallEvent): void => {
      try {
        listener(event);
      } catch (err) {
        this.emitter.emit('listenerError', err);
      }
    };
    this.emitter.on('call', safe);
    return () => this.emitter.off('call', safe);
  }

  onListenerError(listener: (err: unknown) => void): void {
    this.emitter.on('listenerError', listener);
  }
}
