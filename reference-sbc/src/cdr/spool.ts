import { mkdir, open, readdir, readFile, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from './index';
import { fromSpoolLine, toSpoolLine, type CdrRecord } from './record';

/**
 * The durable queue between the call logic and the database (GEN-05: no CDR lost while the
 * database is away, nor across an SBC crash).
 *
 * Design: numbered append-only segment files `cdr-<seq>.jsonl`, one JSON line per CDR.
 * - An append is done only once its bytes are fdatasync'd. Appends that arrive while a sync is
 *   running are written and synced together (group commit), so load does not cost a sync per call.
 * - The database side reads the oldest records first and confirms them in order (`commit`). A
 *   segment file is deleted only when every record in it is confirmed; when the database catches
 *   up with the active segment, that segment is closed, a fresh one started, the old one deleted.
 * - There is no committed-offset file: the table's UNIQUE call_id and `ON CONFLICT DO NOTHING`
 *   make re-sending a confirmed record harmless, so after a crash the whole of every remaining
 *   segment is replayed, in order, and at most one batch per segment is sent twice.
 * - After a restart old segments are only read, never appended to: a torn last line (crash during
 *   a write) then stays a single bad line, which is skipped with a warning. Its append had not
 *   completed, so no caller was told it was durable.
 * - Only the head segment's records (and the active one's) are held in memory; segments queued
 *   behind them during a long outage are read back from disk when their turn comes.
 *
 * One writer per spool directory. All file operations run one at a time on an internal chain.
 */

interface Segment {
  seq: number;
  path: string;
  /** Set on the active segment only. */
  fh: FileHandle | null;
  sealed: boolean;
  /** Valid records in file order; null while a sealed segment waits on disk behind the head. */
  records: CdrRecord[] | null;
  total: number;
  /** Leading records the database has confirmed. */
  committed: number;
  bytes: number;
}

interface Waiter {
  line: string;
  record: CdrRecord;
  resolve: () => void;
  reject: (err: unknown) => void;
}

const SEGMENT_NAME = /^cdr-(\d{12})\.jsonl$/;
const DEFAULT_MAX_SEGMENT_BYTES = 4 * 1024 * 1024;

export interface SpoolOptions {
  /** Size after which the active segment is sealed and a new one started. */
  maxSegmentBytes?: number;
}

export class Spool {
  private readonly segments: Segment[] = [];
  private active!: Segment;
  private activeDamaged = false;
  private chain: Promise<void> = Promise.resolve();
  private waiting: Waiter[] = [];
  private drainQueued = false;
  private closed = false;
  private appendedCount = 0;
  private replayedCount = 0;
  private corruptCount = 0;

  private constructor(
    private readonly dir: string,
    private readonly log: Logger,
    private readonly maxSegmentBytes: number,
  ) {}

  /** Opens (creating if needed) the spool directory and recovers what an earlier run left. */
  static async open(dir: string, log: Logger, options: SpoolOptions = {}): Promise<Spool> {
    const spool = new Spool(dir, log, options.maxSegmentBytes ?? DEFAULT_MAX_SEGMENT_BYTES);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await spool.recover();
    return spool;
  }

  get pending(): number {
    return this.segments.reduce((n, s) => n + s.total - s.committed, 0);
  }

  stats(): { appended: number; replayed: number; pending: number; corruptLines: number; segments: number } {
    return {
      appended: this.appendedCount,
      replayed: this.replayedCount,
      pending: this.pending,
      corruptLines: this.corruptCount,
      segments: this.segments.length,
    };
  }

  /** Resolves once the record is on disk (fdatasync'd); rejects if it could not be made durable. */
  append(record: CdrRecord): Promise<void> {
    if (this.closed) return Promise.reject(new Error('CDR spool is closed'));
    return new Promise((resolve, reject) => {
      this.waiting.push({ line: toSpoolLine(record), record, resolve, reject });
      if (!this.drainQueued) {
        this.drainQueued = true;
        void this.enqueue(() => this.drain());
      }
    });
  }

  /** Up to `max` of the oldest unconfirmed records, in spool order (all from one segment). */
  async next(max: number): Promise<CdrRecord[]> {
    for (;;) {
      const head = this.segments[0];
      if (!head) return [];
      if (head.committed < head.total) {
        const records = await this.load(head).catch((err: unknown) => {
          // Someone removed or rewrote a queued segment: skip it rather than block every later CDR.
          this.log.error('CDR spool: queued segment unreadable, its records are lost', {
            path: head.path, records: head.total - head.committed, error: String(err),
          });
          return null;
        });
        if (records) return records.slice(head.committed, head.committed + max);
        this.segments.shift();
        continue;
      }
      if (!head.sealed) return [];
      this.segments.shift();
      await this.enqueue(() => unlink(head.path));
    }
  }

  /** The database confirmed the first `count` records that `next` returned. */
  commit(count: number): void {
    const head = this.segments[0];
    if (!head || head.committed + count > head.total) throw new Error('CDR spool: commit beyond what was read');
    head.committed += count;
    if (head.committed < head.total) return;
    if (head.sealed) {
      this.segments.shift();
      void this.enqueue(() => unlink(head.path)).catch((err) => this.log.warn('CDR spool: could not delete a confirmed segment', { path: head.path, error: String(err) }));
    } else if (head.total > 0) {
      void this.enqueue(() => this.rotateIfConfirmed(head)).catch((err) => this.log.warn('CDR spool: could not rotate', { error: String(err) }));
    }
  }

  /** Keeps a record the database refuses for good (a data error) out of the queue, but on disk. */
  reject(record: CdrRecord, reason: string): Promise<void> {
    return this.enqueue(async () => {
      const fh = await open(join(this.dir, 'rejected.jsonl'), 'a', 0o600);
      try {
        await writeAll(fh, Buffer.from(`${JSON.stringify({ reason, at: new Date().toISOString(), line: toSpoolLine(record) })}\n`));
        await fh.datasync();
      } finally {
        await fh.close();
      }
    });
  }

  /** Waits for pending appends, then closes; a fully confirmed active segment is removed. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.settled();
    this.closed = true;
    await this.enqueue(async () => {
      const a = this.active;
      await a.fh?.close();
      a.fh = null;
      if (a.committed === a.total) {
        this.segments.splice(this.segments.indexOf(a), 1);
        await unlink(a.path);
      }
    });
  }

  /** Resolves when every append requested so far has completed (or failed). */
  async settled(): Promise<void> {
    await this.enqueue(async () => {});
  }

  private enqueue<T>(op: () => Promise<T>): Promise<T> {
    const result = this.chain.then(op);
    this.chain = result.then(() => undefined, () => undefined);
    return result;
  }

  private async recover(): Promise<void> {
    const names = (await readdir(this.dir)).filter((n) => SEGMENT_NAME.test(n)).sort();
    let lastSeq = 0;
    for (const name of names) {
      const seq = Number(SEGMENT_NAME.exec(name)?.[1]);
      lastSeq = Math.max(lastSeq, seq);
      const seg: Segment = { seq, path: join(this.dir, name), fh: null, sealed: true, records: null, total: 0, committed: 0, bytes: 0 };
      const records = await this.read(seg, true);
      if (records.length === 0) {
        await unlink(seg.path);
        continue;
      }
      seg.total = records.length;
      seg.records = this.segments.length === 0 ? records : null;
      this.segments.push(seg);
      this.replayedCount += records.length;
    }
    this.active = await this.createSegment(lastSeq + 1);
    this.segments.push(this.active);
  }

  private async load(seg: Segment): Promise<CdrRecord[]> {
    if (seg.records) return seg.records;
    const records = await this.read(seg, false);
    if (records.length !== seg.total) throw new Error(`CDR spool: ${seg.path} changed on disk`);
    seg.records = records;
    return records;
  }

  private async read(seg: Segment, report: boolean): Promise<CdrRecord[]> {
    const text = await readFile(seg.path, 'utf8');
    const records: CdrRecord[] = [];
    text.split('\n').forEach((line, i) => {
      if (line === '') return;
      try {
        records.push(fromSpoolLine(line));
      } catch (err) {
        if (!report) return;
        this.corruptCount += 1;
        this.log.warn('CDR spool: unreadable line skipped', {
          path: seg.path,
          line: i + 1,
          reason: err instanceof Error ? err.message : String(err),
          content: line.slice(0, 200),
        });
      }
    });
    return records;
  }

  private async drain(): Promise<void> {
    this.drainQueued = false;
    const batch = this.waiting.splice(0);
    if (batch.length === 0) return;
    try {
      // A failed write may have left a partial line; never append behind it.
      if (this.activeDamaged) await this.rotate();
      const a = this.active;
      const buf = Buffer.from(batch.map((w) => `${w.line}\n`).join(''), 'utf8');
      try {
        await writeAll(a.fh!, buf);
        await a.fh!.datasync();
      } catch (err) {
        this.activeDamaged = true;
        throw err;
      }
      a.records?.push(...batch.map((w) => w.record));
      a.total += batch.length;
      a.bytes += buf.length;
      this.appendedCount += batch.length;
      for (const w of batch) w.resolve();
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    if (this.active.bytes >= this.maxSegmentBytes) {
      await this.rotate().catch((err) => {
        this.activeDamaged = true;
        this.log.warn('CDR spool: could not start a new segment', { error: String(err) });
      });
    }
  }

  /** Runs on the chain: the database caught up with the active segment, so start afresh. */
  private async rotateIfConfirmed(seg: Segment): Promise<void> {
    if (seg === this.active && seg.total > 0 && seg.committed === seg.total && !this.closed) await this.rotate();
  }

  /** Runs on the chain: seals the active segment and opens the next one. */
  private async rotate(): Promise<void> {
    const old = this.active;
    const next = await this.createSegment(old.seq + 1);
    await old.fh?.close();
    old.fh = null;
    old.sealed = true;
    this.active = next;
    this.activeDamaged = false;
    this.segments.push(next);
    if (old.committed === old.total) {
      this.segments.splice(this.segments.indexOf(old), 1);
      await unlink(old.path);
    } else if (old !== this.segments[0]) {
      old.records = null;
    }
  }

  private async createSegment(seq: number): Promise<Segment> {
    const path = join(this.dir, `cdr-${String(seq).padStart(12, '0')}.jsonl`);
    const fh = await open(path, 'a', 0o600);
    // The new file's directory entry must be durable too, or a crash could lose the whole file.
    const dir = await open(this.dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
    return { seq, path, fh, sealed: false, records: [], total: 0, committed: 0, bytes: 0 };
  }
}

async function writeAll(fh: FileHandle, buf: Buffer): Promise<void> {
  let offset = 0;
  while (offset < buf.length) {
    const { bytesWritten } = await fh.write(buf, offset, buf.length - offset);
    offset += bytesWritten;
  }
}
