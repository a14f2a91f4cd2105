import type { CallEvents } from '../events';
import { CdrAssembler } from './assembler';
import { Flusher } from './flusher';
import { toSpoolLine } from './record';
import { Spool } from './spool';
import { CdrStore, MAX_BATCH } from './store';

/** The few logging calls the CDR writer needs; any structured logger fits. */
export interface Logger {
  info(msg: string, fields?: object): void;
  warn(msg: string, fields?: object): void;
  error(msg: string, fields?: object): void;
}

export interface CdrWriterConfig {
  /** PostgreSQL connection: a URL (`postgres://u:p@host:5432/db`) or libpq keyword/value (`host=/run/pg dbname=sbc`). */
  database: string;
  /** Directory of the durable spool; must survive a restart and belong to this SBC alone. */
  spoolDir: string;
  /** Most records per INSERT (default 100). */
  batchSize?: number;
  /** How long a part-filled batch waits for more records (default 200 ms). */
  flushIntervalMs?: number;
}

export interface CdrWriterStats {
  /** Calls started and not yet ended. */
  openCalls: number;
  /** Records made durable in the spool by this run. */
  appended: number;
  /** Records found in the spool at start (left by an earlier run). */
  replayed: number;
  /** Records in the spool the database has not confirmed yet. */
  pending: number;
  /** Rows this run inserted. */
  written: number;
  /** Records the database already held (a replay after a crash). */
  duplicates: number;
  /** Records the database refused for their data, moved to rejected.jsonl. */
  rejected: number;
  /** Ended calls that could not be spooled (disk failure): logged in full, otherwise lost. */
  lost: number;
  /** Unreadable spool lines skipped at start (torn writes). */
  corruptLines: number;
  dbUp: boolean;
  lastError: string | null;
}

export interface CdrWriter {
  /** Stops listening, waits for the spool, sends what it can within a few seconds, disconnects. */
  close(): Promise<void>;
  stats(): CdrWriterStats;
}

/** How long `close` keeps sending to a reachable database before leaving the rest in the spool. */
const CLOSE_FLUSH_MS = 5000;

/**
 * Starts writing one CDR per call attempt (GEN-05/06/07): events are folded into a record, the
 * record is made durable in the local spool when the call ends, and the spool is drained into
 * PostgreSQL in order. Resolves once the spool is recovered; the database may still be down
 * (the SBC keeps running, records wait in the spool). Rejects only if the spool is unusable.
 *
 * Limits: a call still open when the SBC crashes gets no record (nothing is durable before
 * `ended`; a clean shutdown must end its calls first). Two attempts with the same public Call-ID
 * (an INVITE sent again with credentials after a 401/407) share one row, the first written. A record the database refuses
 * for its values (a CHECK or data error) goes to `<spoolDir>/rejected.jsonl`, logged as an error.
 */
export async function startCdrWriter(config: CdrWriterConfig, events: CallEvents, log: Logger): Promise<CdrWriter> {
  const spool = await Spool.open(config.spoolDir, log);
  const store = new CdrStore(config.database, log);
  const flusher = new Flusher(spool, store, log, {
    batchSize: Math.max(1, Math.min(MAX_BATCH, config.batchSize ?? 100)),
    flushIntervalMs: Math.max(0, config.flushIntervalMs ?? 200),
  });
  const assembler = new CdrAssembler(log);
  let lost = 0;

  const unsubscribe = events.on((event) => {
    const record = assembler.accept(event);
    if (!record) return;
    spool.append(record).then(
      () => flusher.wake(),
      (err: unknown) => {
        lost += 1;
        // The log is the last place this record exists: keep it whole so it can be re-inserted by hand.
        log.error('CDR could not be spooled', { error: String(err), cdr: toSpoolLine(record) });
      },
    );
  });

  const recovered = spool.pending;
  if (recovered > 0) log.info('CDR spool holds records from an earlier run; replaying them', { pending: recovered });
  flusher.start();

  let closing: Promise<void> | null = null;
  return {
    close: () => {
      closing ??= (async () => {
        unsubscribe();
        await spool.settled();
        await flusher.stop(CLOSE_FLUSH_MS);
        await spool.close();
        await store.end();
        const s = spool.stats();
        if (s.pending > 0) log.warn('CDR writer closed with records still in the spool', { pending: s.pending });
        if (assembler.openCalls > 0) log.warn('CDR writer closed with calls still open; they get no record', { open: assembler.openCalls });
      })();
      return closing;
    },
    stats: () => {
      const s = spool.stats();
      return {
        openCalls: assembler.openCalls,
        appended: s.appended,
        replayed: s.replayed,
        pending: s.pending,
        lost,
        corruptLines: s.corruptLines,
        ...flusher.stats(),
      };
    },
  };
}
