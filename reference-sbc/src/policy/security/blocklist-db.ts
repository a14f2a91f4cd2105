import { readFileSync } from 'node:fs';
import pg from 'pg';
import type { Logger } from '../../logger';
import type { Blocklist, NewEntry } from './blocklist';

/**
 * The `blocklist` table (its one DDL: reference-sbc/db/002-blocklist.sql): operators and other systems add rows, the SBC
 * reads them at start and every `refreshMs`. A database outage keeps the last list that was read:
 * an outage must neither unblock everything nor stop the SBC.
 */
// The statement alone (its comments are for readers of the file), as the log and the tests see it.
const CREATE_TABLE = readFileSync(new URL('../../../db/002-blocklist.sql', import.meta.url), 'utf8').replace(/^--.*\n/gm, '').trim();

const SELECT_LIVE = `
SELECT address::text AS address, expires_at, reason
FROM blocklist
WHERE expires_at IS NULL OR expires_at > now()`;

/** The statements a store runs; a fake in tests, a pg pool in production. */
export interface SqlClient {
  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
  end(): Promise<void>;
}

export interface BlocklistDbOptions {
  url: string;
  refreshMs: number;
  blocklist: Blocklist;
  log: Logger;
  /** For tests: a client instead of a pool on `url`. */
  client?: SqlClient;
}

interface Row {
  address: string;
  expires_at: Date | null;
  reason: string | null;
}

export class BlocklistDb {
  private readonly o: BlocklistDbOptions;
  private readonly client: SqlClient;
  private timer: NodeJS.Timeout | undefined;
  private tableChecked = false;
  /** Whether the last refresh failed, so an outage is logged once, not every period. */
  private failing = false;
  private closed = false;

  constructor(options: BlocklistDbOptions) {
    this.o = options;
    this.client = options.client ?? new pg.Pool({ connectionString: options.url, max: 1, connectionTimeoutMillis: 2000, idleTimeoutMillis: 10000 });
    // An idle pooled connection that breaks must not be an unhandled 'error' event.
    if (this.client instanceof pg.Pool) this.client.on('error', (err) => options.log.debug('blocklist database connection lost', { err }));
  }

  /** Reads the table once (without failing when the database is down) and then every period. */
  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.o.refreshMs);
    this.timer.unref();
  }

  /** Replaces the `db` entries with the table's live rows; false (and the old entries kept) on failure. */
  async refresh(): Promise<boolean> {
    if (this.closed) return false;
    try {
      if (!this.tableChecked) {
        await this.client.query(CREATE_TABLE);
        this.tableChecked = true;
      }
      const { rows } = await this.client.query<Row>(SELECT_LIVE);
      const entries: NewEntry[] = rows.map((r) => ({
        address: r.address,
        expiresAt: r.expires_at === null ? undefined : r.expires_at.getTime(),
        reason: r.reason ?? undefined,
      }));
      const bad = this.o.blocklist.replaceSource('db', entries);
      if (bad.length) this.o.log.warn('blocklist rows ignored (not IPv4)', { addresses: bad.slice(0, 20) });
      if (this.failing) this.o.log.info('blocklist database reachable again', { entries: entries.length });
      this.failing = false;
      return true;
    } catch (err) {
      if (!this.failing) this.o.log.warn('blocklist database unavailable, keeping the last list', { err });
      this.failing = true;
      return false;
    }
  }

  /** Deletes a row (the operator removed the address at run time); throws when the database is down. */
  async delete(cidrText: string): Promise<void> {
    await this.client.query('DELETE FROM blocklist WHERE address = $1::cidr', [cidrText]);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.client.end().catch(() => undefined);
  }
}
