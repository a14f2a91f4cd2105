import type { Logger } from './index';
import type { CdrRecord } from './record';
import type { Spool } from './spool';
import { isRecordError, isRefusal, type CdrStore } from './store';

export interface FlusherOptions {
  batchSize: number;
  flushIntervalMs: number;
}

export interface FlusherStats {
  written: number;
  duplicates: number;
  rejected: number;
  dbUp: boolean;
  lastError: string | null;
}

const RETRY_MIN_MS = 200;
const RETRY_MAX_MS = 5000;
/** While the database stays down, repeat the warning at most this often. */
const WARN_EVERY_MS = 60_000;

/**
 * Moves spooled records into the database in spool order, one batch at a time. A batch leaves the
 * spool only after the INSERT returned. When the database is unreachable the same batch is retried
 * with exponential backoff; nothing behind it overtakes it, so the replay stays in order.
 */
export class Flusher {
  private written = 0;
  private duplicates = 0;
  private rejected = 0;
  private dbUp = false;
  private everUp = false;
  private lastError: string | null = null;
  private lastWarnAt = 0;
  private stopAt: number | null = null;
  private running: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private wakeWhen: () => boolean = () => false;

  constructor(
    private readonly spool: Spool,
    private readonly store: CdrStore,
    private readonly log: Logger,
    private readonly options: FlusherOptions,
  ) {}

  start(): void {
    this.running ??= this.run().catch((err) => {
      this.log.error('CDR flusher stopped unexpectedly; records stay in the spool', { error: String(err) });
    });
  }

  /** New records are in the spool. */
  wake(): void {
    if (this.wakeUp && this.wakeWhen()) this.wakeUp();
  }

  /**
   * Stops after sending what it can before `deadlineMs` elapses; gives up at once while the
   * database is down. Whatever is left stays in the spool for the next start.
   */
  async stop(deadlineMs: number): Promise<void> {
    this.stopAt = Date.now() + deadlineMs;
    this.wakeUp?.();
    await this.running;
  }

  stats(): FlusherStats {
    return { written: this.written, duplicates: this.duplicates, rejected: this.rejected, dbUp: this.dbUp, lastError: this.lastError };
  }

  private async run(): Promise<void> {
    let failures = 0;
    for (;;) {
      const stopping = this.stopAt !== null;
      if (stopping && (this.spool.pending === 0 || failures > 0 || Date.now() >= this.stopAt!)) return;
      if (failures > 0) {
        await this.pause(Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** (failures - 1)), () => this.stopAt !== null);
        if (this.stopAt !== null) return;
      } else if (this.spool.pending === 0 && this.dbUp) {
        await this.pause(Infinity, () => this.spool.pending > 0 || this.stopAt !== null);
        continue;
      } else if (this.spool.pending < this.options.batchSize && !stopping && this.dbUp) {
        // Let a batch fill up a little; latency stays bounded by the interval.
        await this.pause(this.options.flushIntervalMs, () => this.spool.pending >= this.options.batchSize || this.stopAt !== null);
      }
      failures = (await this.flushOnce()) ? 0 : failures + 1;
    }
  }

  /** One step: schema check, or one batch. Returns false when the database failed. */
  private async flushOnce(): Promise<boolean> {
    try {
      await this.store.ensureSchema();
      const batch = await this.spool.next(this.options.batchSize);
      if (batch.length > 0) {
        try {
          const inserted = await this.store.insert(batch);
          this.count(inserted, batch.length);
          this.spool.commit(batch.length);
        } catch (err) {
          if (!isRecordError(err)) throw err;
          await this.isolate(batch);
        }
      }
      this.markUp();
      return true;
    } catch (err) {
      this.markDown(err);
      return false;
    }
  }

  /** A batch failed because of its data: find the offending rows one by one, keep the rest flowing. */
  private async isolate(batch: CdrRecord[]): Promise<void> {
    for (const record of batch) {
      try {
        this.count(await this.store.insert([record]), 1);
      } catch (err) {
        if (!isRecordError(err)) throw err;
        const reason = err instanceof Error ? err.message : String(err);
        await this.spool.reject(record, reason);
        this.rejected += 1;
        this.log.error('CDR refused by the database; kept in rejected.jsonl', { callId: record.callId, reason });
      }
      this.spool.commit(1);
    }
  }

  private count(inserted: number, sent: number): void {
    this.written += inserted;
    this.duplicates += sent - inserted;
  }

  private markUp(): void {
    if (!this.dbUp && this.everUp) {
      this.log.info('CDR database reachable again; replaying the spool', { pending: this.spool.pending });
    }
    this.dbUp = true;
    this.everUp = true;
    this.lastError = null;
  }

  private markDown(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    const now = Date.now();
    if (this.dbUp || !this.lastError || message !== this.lastError || now - this.lastWarnAt >= WARN_EVERY_MS) {
      const fields = { error: message, pending: this.spool.pending };
      if (isRefusal(err)) this.log.error('CDR database refuses the records; they stay in the spool', fields);
      else this.log.warn('CDR database unavailable; records stay in the spool, retrying', fields);
      this.lastWarnAt = now;
    }
    this.dbUp = false;
    this.lastError = message;
  }

  private pause(ms: number, until: () => boolean): Promise<void> {
    if (until()) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakeUp = null;
        this.wakeWhen = () => false;
        resolve();
      };
      const timer = Number.isFinite(ms) ? setTimeout(done, ms) : undefined;
      this.wakeUp = done;
      this.wakeWhen = until;
    });
  }
}
