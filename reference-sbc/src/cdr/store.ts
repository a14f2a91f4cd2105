import { readFileSync } from 'node:fs';
import pg from 'pg';
import type { Logger } from './index';
import type { CdrRecord } from './record';

/**
 * The `cdr` table as the reference SBC owns it: one DDL, reference-sbc/db/001-cdr.sql, which its SUT
 * profile also applies before the SBC starts; the writer creates the table itself only when it is
 * missing (an SBC started against an empty database), and always checks the columns it writes.
 */
const CREATE_TABLE = readFileSync(new URL('../../db/001-cdr.sql', import.meta.url), 'utf8');

const COLUMNS = [
  'call_id', 'core_call_id', 'attempt_at', 'answer_at', 'end_at', 'duration_s', 'duration_ms', 'src_number',
  'dst_number', 'remote_ip', 'remote_port', 'transport', 'direction', 'core_server', 'final_status', 'end_reason',
  'media_encrypted',
] as const;

/** PostgreSQL allows 65535 parameters per statement. */
export const MAX_BATCH = Math.floor(65535 / COLUMNS.length);

function values(r: CdrRecord): unknown[] {
  return [
    r.callId, r.coreCallId, r.attemptAt, r.answerAt, r.endAt, r.durationS, r.durationMs, r.srcNumber,
    r.dstNumber, r.remoteIp, r.remotePort, r.transport, r.direction, r.coreServer, r.finalStatus, r.endReason,
    r.mediaEncrypted,
  ];
}

/** The table is missing columns the writer needs: an operator must fix it, retrying will not. */
export class CdrSchemaError extends Error {
  override readonly name = 'CdrSchemaError';
}

/**
 * The database refuses these rows for their values (SQLSTATE class 22, data exception, or 23514, a
 * CHECK constraint): sending them again fails again. Other integrity errors (NOT NULL, foreign
 * key) point at a schema that differs from ours, so the records wait in the spool instead.
 */
export function isRecordError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code === '23514');
}

/**
 * The server answered but refused (wrong schema, permissions...), as opposed to an outage: no
 * connection, a restart (SQLSTATE classes 08 and 57) or exhausted resources (53). Both leave the
 * records in the spool; an operator must act on the first.
 */
export function isRefusal(err: unknown): boolean {
  if (err instanceof CdrSchemaError) return true;
  return err instanceof pg.DatabaseError && !/^(08|53|57)/.test(err.code ?? '');
}

export class CdrStore {
  private readonly pool: pg.Pool;
  private schemaReady = false;

  constructor(database: string, log: Logger) {
    this.pool = new pg.Pool({
      ...connectionConfig(database),
      // One insert runs at a time; a dead or unreachable server must fail fast into the retry loop.
      max: 1,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 10000,
      query_timeout: 15000,
      statement_timeout: 10000,
      keepAlive: true,
      application_name: 'reference-sbc-cdr',
    });
    // An idle client whose server went away is reported here; without a listener it would crash the SBC.
    this.pool.on('error', (err) => log.warn('CDR database connection lost', { error: err.message }));
  }

  /** Creates the table if absent, then checks every column the writer inserts is there. */
  async ensureSchema(): Promise<void> {
    if (this.schemaReady) return;
    const present = await this.pool.query<{ present: boolean }>("SELECT to_regclass('cdr') IS NOT NULL AS present");
    if (!present.rows[0]?.present) await this.pool.query(CREATE_TABLE);
    const cols = await this.pool.query<{ column_name: string }>(
      "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'cdr'",
    );
    const have = new Set(cols.rows.map((c) => c.column_name));
    const missing = COLUMNS.filter((c) => !have.has(c));
    if (missing.length > 0) throw new CdrSchemaError(`table cdr lacks column(s): ${missing.join(', ')}`);
    this.schemaReady = true;
  }

  /** Inserts the records in order; returns how many were new (the rest were already there). */
  async insert(records: CdrRecord[]): Promise<number> {
    if (records.length === 0) return 0;
    await this.ensureSchema();
    const params: unknown[] = [];
    const rows = records.map((r) => {
      const start = params.length;
      params.push(...values(r));
      return `(${COLUMNS.map((_, i) => `$${start + i + 1}`).join(', ')})`;
    });
    const sql = `INSERT INTO cdr (${COLUMNS.join(', ')}) VALUES ${rows.join(', ')} ON CONFLICT (call_id) DO NOTHING`;
    try {
      const result = await this.pool.query(sql, params);
      return result.rowCount ?? 0;
    } catch (err) {
      // Class 42 (undefined table/column...): someone changed the schema under us; check it again.
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'string' && code.startsWith('42')) this.schemaReady = false;
      throw err;
    }
  }

  async end(): Promise<void> {
    await this.pool.end();
  }
}

/**
 * node-postgres reads URLs (`postgres://user@host/db`, `postgresql:///db?host=/run/sock`) but not
 * libpq's keyword/value form (`host=/tmp/s port=5433 dbname=sbc`), which operators also write.
 */
export function connectionConfig(database: string): pg.PoolConfig {
  const text = database.trim();
  if (/^[a-z]+:\/\//i.test(text) || text.startsWith('/')) return { connectionString: text };
  const kv = parseKeywordValue(text);
  const known: Record<string, keyof pg.PoolConfig> = {
    host: 'host', hostaddr: 'host', port: 'port', dbname: 'database', user: 'user', password: 'password',
  };
  const config: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(kv)) {
    const target = known[k];
    if (target) config[target] = k === 'port' ? Number(v) : v;
  }
  return config as pg.PoolConfig;
}

function parseKeywordValue(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /\s*([a-z_]+)\s*=\s*(?:'((?:[^'\\]|\\.)*)'|([^\s']*))\s*/iy;
  let pos = 0;
  while (pos < text.length) {
    re.lastIndex = pos;
    const m = re.exec(text);
    // Never echo the string: it may hold a password.
    if (!m || m[0] === '') throw new Error(`bad database connection string at character ${pos + 1}`);
    out[m[1]!.toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!;
    pos = re.lastIndex;
  }
  return out;
}
