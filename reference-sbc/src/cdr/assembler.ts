import { isIP } from 'node:net';
import type { CallEvent, CallStarted, TransportName } from '../events';
import type { Logger } from './index';
import { storableText, type CdrRecord } from './record';

interface Draft {
  started: CallStarted;
  publicCallId: string;
  coreCallId: string | null;
  peer: string | null;
  remoteIp: string;
  remotePort: number;
  transport: TransportName;
  answerAt: Date | null;
  mediaEncrypted: boolean;
}

/**
 * Folds the events of one call attempt (keyed by `key`) into one record, finished on `ended`.
 * Events arrive from the call logic, which must never be disturbed by a CDR problem, so an
 * out-of-order or unknown event is logged and ignored rather than thrown.
 *
 * A call that never reaches `ended` (the SBC crashed mid-call) yields no record: nothing durable
 * exists for it before `ended`. A clean shutdown must end its calls (reason `shutdown`) first.
 */
export class CdrAssembler {
  private readonly open = new Map<string, Draft>();

  constructor(private readonly log: Logger) {}

  get openCalls(): number {
    return this.open.size;
  }

  /** Applies one event; returns the finished record when the event ends a call. */
  accept(e: CallEvent): CdrRecord | null {
    switch (e.kind) {
      case 'started':
        if (this.open.has(e.key)) this.log.warn('CDR: call started twice, earlier attempt discarded', { key: e.key });
        this.open.set(e.key, {
          started: e,
          publicCallId: e.publicCallId,
          coreCallId: null,
          peer: null,
          remoteIp: e.remoteIp,
          remotePort: e.remotePort,
          transport: e.transport,
          answerAt: null,
          mediaEncrypted: false,
        });
        return null;
      case 'routed': {
        const d = this.draft(e.key, e.kind);
        if (!d) return null;
        // Outbound failover routes one attempt several times; the last leg is the one the call ends on.
        d.coreCallId = e.coreCallId;
        d.peer = e.peer;
        if (e.publicCallId !== undefined) d.publicCallId = e.publicCallId;
        if (e.remoteIp !== undefined) d.remoteIp = e.remoteIp;
        if (e.remotePort !== undefined) d.remotePort = e.remotePort;
        if (e.transport !== undefined) d.transport = e.transport;
        return null;
      }
      case 'answered': {
        const d = this.draft(e.key, e.kind);
        if (!d) return null;
        d.answerAt = e.answerAt;
        d.mediaEncrypted = e.mediaEncrypted;
        return null;
      }
      case 'ended': {
        const d = this.draft(e.key, e.kind);
        if (!d) return null;
        this.open.delete(e.key);
        return this.finish(e.key, d, e.endAt, e.finalStatus, e.endReason);
      }
    }
  }

  private draft(key: string, kind: string): Draft | undefined {
    const d = this.open.get(key);
    if (!d) this.log.warn(`CDR: '${kind}' for an unknown call ignored`, { key });
    return d;
  }

  private finish(key: string, d: Draft, endedAt: Date, finalStatus: number, endReason: string): CdrRecord {
    const s = d.started;
    const inbound = s.direction === 'inbound';
    // A broken timestamp must still give a writable record, never an exception in the call logic.
    const endAt = this.time(key, 'endAt', endedAt) ?? new Date();
    const attemptAt = this.time(key, 'attemptAt', s.attemptAt) ?? endAt;
    const answerAt = d.answerAt && this.time(key, 'answerAt', d.answerAt);
    // Duration counts from the answer (GEN-07); a clock step must not make it negative.
    const durationMs = answerAt ? Math.max(0, endAt.getTime() - answerAt.getTime()) : 0;
    const remoteIp = this.address(key, d.remoteIp);
    return {
      callId: storableText(this.callId(key, d)),
      coreCallId: d.coreCallId ? storableText(d.coreCallId) : null,
      attemptAt,
      answerAt,
      endAt,
      durationS: Math.round(durationMs / 1000),
      durationMs,
      srcNumber: storableText(s.srcNumber),
      dstNumber: storableText(s.dstNumber),
      remoteIp,
      remotePort: remoteIp !== null && Number.isInteger(d.remotePort) && d.remotePort > 0 && d.remotePort < 65536 ? d.remotePort : null,
      // An outbound call that found no public destination never had a public transport.
      transport: remoteIp !== null ? d.transport : null,
      direction: inbound ? 'in' : 'out',
      // The events name the core peer only for inbound calls (the routed next hop).
      coreServer: inbound ? d.peer : null,
      finalStatus: Number.isSafeInteger(finalStatus) && finalStatus >= 0 ? finalStatus : 0,
      endReason: storableText(endReason),
      mediaEncrypted: d.mediaEncrypted,
    };
  }

  /**
   * The public leg's Call-ID. An outbound call that failed before any public leg existed (ENUM
   * found nothing) still needs a row and a unique key: the core leg's Call-ID, else a made-up one.
   */
  private callId(key: string, d: Draft): string {
    if (d.publicCallId) return d.publicCallId;
    if (d.coreCallId) return d.coreCallId;
    const made = `sbc-${key}-${Date.now()}`;
    this.log.warn('CDR: call without any Call-ID, using a generated key', { key, callId: made });
    return made;
  }

  private time(key: string, field: string, t: Date): Date | null {
    if (t instanceof Date && !Number.isNaN(t.getTime())) return t;
    this.log.warn(`CDR: invalid ${field} replaced`, { key });
    return null;
  }

  private address(key: string, ip: string): string | null {
    if (ip === '') return null;
    const bare = ip.replace(/^\[(.*)\]$/, '$1');
    if (isIP(bare) !== 0) return bare;
    this.log.warn('CDR: remote address is not an IP address, stored as NULL', { key, remoteIp: ip });
    return null;
  }
}
