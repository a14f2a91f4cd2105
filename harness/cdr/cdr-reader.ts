import pg from 'pg';

/** The CDR part of a SUT profile: where the SBC's CDRs are and the SQL that returns them normalised. */
export interface CdrSettings {
  /** A PostgreSQL URL (`postgresql://u@/db?host=/run/sock`) or libpq keyword/value (`host=/run/sock dbname=sbc`). */
  connection: string;
  /** SQL returning every CDR with the normalised columns (see NORMALISED_COLUMNS); the reader filters. */
  query: string;
}

/** One CDR as the suite sees it, whatever the SBC's own schema. */
export interface CdrRow {
  callId: string;
  attemptAt: Date;
  answerAt: Date | null;
  endAt: Date | null;
  /** Whole seconds from answer to end; 0 when never answered. */
  durationS: number;
  /** A NULL number reads as ''. */
  srcNumber: string;
  dstNumber: string;
  /** A NULL address reads as ''. */
  remoteIp: string;
  finalStatus: number | null;
}

export const NORMALISED_COLUMNS = [
  'call_id', 'attempt_at', 'answer_at', 'end_at', 'duration_s', 'src_number', 'dst_number', 'remote_ip', 'final_status',
] as const;

/** The SUT's CDR query or data does not fit the normalised form: a profile problem, not a test failure. */
export class CdrQueryError extends Error {
  override readonly name = 'CdrQueryError';
}

/** `waitFor` ran out of time; the message says what was expected and lists the rows there were. */
export class CdrWaitTimeoutError extends Error {
  override readonly name = 'CdrWaitTimeoutError';
  constructor(
    message: string,
    readonly rows: CdrRow[],
  ) {
    super(message);
  }
}

export interface WaitOptions {
  timeoutMs?: number;
  pollMs?: number;
  /** How many matching rows to wait for (default 1). */
  count?: number;
  /** What is awaited, for the error message, e.g. `a CDR for +4930123456`. */
  description?: string;
}

/** How many existing rows a timeout message lists (the latest ones). */
const ROWS_IN_MESSAGE = 20;

export class CdrReader {
  private readonly pool: pg.Pool;

  constructor(private readonly settings: CdrSettings) {
    this.pool = new pg.Pool({ ...connectionConfig(settings.connection), max: 1, connectionTimeoutMillis: 5000, query_timeout: 15000 });
    // A server restart during a test must surface as a failed query, not crash the runner.
    this.pool.on('error', () => {});
  }

  /** Every CDR the SUT's query returns, normalised and type-checked. */
  async rows(): Promise<CdrRow[]> {
    const result = await this.pool.query(this.settings.query);
    const have = new Set(result.fields.map((f) => f.name));
    const missing = NORMALISED_COLUMNS.filter((c) => !have.has(c));
    if (missing.length > 0) {
      throw new CdrQueryError(
        `the CDR query returns no column ${missing.join(', ')}; it must return ${NORMALISED_COLUMNS.join(', ')} (got ${[...have].join(', ') || 'none'})`,
      );
    }
    return result.rows.map((r: Record<string, unknown>, i: number) => normalise(r, i));
  }

  /**
   * Polls until at least `count` rows satisfy `predicate`, returning them. A CDR is often written a
   * moment after the call ends (the SBC may batch), hence the bounded wait.
   */
  async waitFor(predicate: (row: CdrRow) => boolean, options: WaitOptions = {}): Promise<CdrRow[]> {
    const timeoutMs = options.timeoutMs ?? 10000;
    const pollMs = options.pollMs ?? 250;
    const count = options.count ?? 1;
    const deadline = Date.now() + timeoutMs;
    let last: CdrRow[] = [];
    let lastError: unknown = null;
    for (;;) {
      try {
        last = await this.rows();
        lastError = null;
        const matching = last.filter(predicate);
        if (matching.length >= count) return matching;
      } catch (err) {
        // A broken query will not heal: report it at once.
        if (err instanceof CdrQueryError) throw err;
        lastError = err;
      }
      if (Date.now() + pollMs > deadline) break;
      await new Promise((r) => setTimeout(r, pollMs));
    }
    const what = options.description ?? 'matching CDR rows';
    const expected = `expected ${count === 1 ? 'a row' : `${count} rows`} (${what}) within ${timeoutMs} ms`;
    if (lastError !== null) {
      throw new CdrWaitTimeoutError(`${expected}, but the CDR query failed: ${lastError instanceof Error ? lastError.message : String(lastError)}`, last);
    }
    const found = last.filter(predicate).length;
    throw new CdrWaitTimeoutError(`${expected}; ${found} matched, ${describeRows(last)}`, last);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** A short table of rows for an error message or a report. */
export function describeRows(rows: CdrRow[]): string {
  if (rows.length === 0) return 'the CDR table is empty';
  // The SUT's query need not sort; the newest attempts are the interesting ones.
  const shown = [...rows].sort((a, b) => a.attemptAt.getTime() - b.attemptAt.getTime()).slice(-ROWS_IN_MESSAGE);
  const lines = shown.map((r) =>
    [
      r.callId, r.attemptAt.toISOString(), r.answerAt?.toISOString() ?? '-', r.endAt?.toISOString() ?? '-',
      `${r.durationS}s`, `${r.srcNumber || '-'} -> ${r.dstNumber || '-'}`, r.remoteIp || '-', r.finalStatus ?? '-',
    ].join(' | '),
  );
  const more = rows.length > shown.length ? ` (latest ${shown.length} shown)` : '';
  return `${rows.length} row(s) exist${more}:\n  ${lines.join('\n  ')}`;
}

function normalise(r: Record<string, unknown>, index: number): CdrRow {
  const where = (column: string): string => `CDR row ${index + 1}, column ${column}`;
  const text = (column: string, nullAs?: string): string => {
    const v = r[column];
    if (v === null && nullAs !== undefined) return nullAs;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint') return String(v);
    throw new CdrQueryError(`${where(column)}: expected text, got ${describe(v)}`);
  };
  const time = (column: string, nullable: boolean): Date | null => {
    const v = r[column];
    if (v === null && nullable) return null;
    // A timestamptz arrives as a Date; a SUT that returns text must use ISO 8601 with an offset.
    const d = v instanceof Date ? v : typeof v === 'string' ? new Date(v) : null;
    if (!d || Number.isNaN(d.getTime())) throw new CdrQueryError(`${where(column)}: expected a timestamp, got ${describe(v)}`);
    return d;
  };
  const int = (column: string, nullable: boolean): number | null => {
    const v = r[column];
    if (v === null && nullable) return null;
    // bigint and numeric arrive as strings.
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : typeof v === 'bigint' ? Number(v) : NaN;
    if (!Number.isFinite(n)) throw new CdrQueryError(`${where(column)}: expected a number, got ${describe(v)}`);
    return n;
  };
  const callId = text('call_id');
  if (callId === '') throw new CdrQueryError(`${where('call_id')}: empty`);
  return {
    callId,
    attemptAt: time('attempt_at', false)!,
    answerAt: time('answer_at', true),
    endAt: time('end_at', true),
    durationS: int('duration_s', false)!,
    srcNumber: text('src_number', ''),
    dstNumber: text('dst_number', ''),
    // inet arrives as text; a /32 or /128 mask says nothing more about a host.
    remoteIp: text('remote_ip', '').replace(/\/(32|128)$/, ''),
    finalStatus: int('final_status', true),
  };
}

function describe(v: unknown): string {
  if (v === null) return 'NULL';
  if (v === undefined) return 'nothing';
  return `${typeof v} ${JSON.stringify(v instanceof Date ? v.toISOString() : typeof v === 'bigint' ? String(v) : v)}`;
}

/**
 * node-postgres reads URLs but not libpq's keyword/value form (`host=/run/sock port=5433
 * dbname=sbc`), which SUT profiles may use because psql does.
 */
export function connectionConfig(connection: string): pg.PoolConfig {
  const text = connection.trim();
  if (/^[a-z]+:\/\//i.test(text)) return { connectionString: text };
  const config: pg.PoolConfig = {};
  const re = /\s*([a-z_]+)\s*=\s*(?:'((?:[^'\\]|\\.)*)'|([^\s']*))\s*/iy;
  let pos = 0;
  while (pos < text.length) {
    re.lastIndex = pos;
    const m = re.exec(text);
    // Never echo the string: it may hold a password.
    if (!m || m[0] === '') throw new CdrQueryError(`bad CDR connection string at character ${pos + 1}`);
    const value = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!;
    switch (m[1]!.toLowerCase()) {
      case 'host':
      case 'hostaddr':
        config.host = value;
        break;
      case 'port':
        config.port = Number(value);
        break;
      case 'dbname':
        config.database = value;
        break;
      case 'user':
        config.user = value;
        break;
      case 'password':
        config.password = value;
        break;
      default:
        // sslmode, connect_timeout... : not needed for a test database, ignored.
        break;
    }
    pos = re.lastIndex;
  }
  return config;
}
