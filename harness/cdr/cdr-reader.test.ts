import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CdrQueryError, CdrReader, CdrWaitTimeoutError, connectionConfig } from './cdr-reader';
import { startTestPostgres, testPostgresUnavailable, type TestPostgres } from '../../test/support/test-postgres';

const unavailable = testPostgresUnavailable();
if (unavailable) console.warn(`SKIPPED harness/cdr reader tests: ${unavailable}`);

/** The reference SBC's SUT-profile query, as documented in harness/cdr/README.md. */
const REFERENCE_QUERY = `SELECT call_id, attempt_at, answer_at, end_at, duration_s, src_number, dst_number,
       host(remote_ip) AS remote_ip, final_status
  FROM cdr ORDER BY id`;

const MIGRATION = readFileSync(join(import.meta.dirname, '../../reference-sbc/db/001-cdr.sql'), 'utf8');

function insertSql(callId: string, dst: string, answered: boolean): string {
  return `INSERT INTO cdr (call_id, attempt_at, answer_at, end_at, duration_s, duration_ms, src_number, dst_number,
            remote_ip, remote_port, transport, direction, final_status, end_reason)
          VALUES ('${callId}', '2026-01-02T10:00:00Z', ${answered ? "'2026-01-02T10:00:02Z'" : 'NULL'},
            '2026-01-02T10:00:07.400Z', ${answered ? 5 : 0}, ${answered ? 5400 : 0}, '+4930111', '${dst}',
            '203.0.113.20', 5060, 'udp', 'in', ${answered ? 200 : 486}, '${answered ? 'caller-bye' : 'rejected'}')`;
}

describe.skipIf(unavailable !== null)('CdrReader against PostgreSQL', () => {
  let pgt: TestPostgres;
  let db: { url: string; connection: string };
  const readers: CdrReader[] = [];
  const reader = (connection: string, query = REFERENCE_QUERY): CdrReader => {
    const r = new CdrReader({ connection, query });
    readers.push(r);
    return r;
  };

  beforeAll(async () => {
    pgt = await startTestPostgres();
    db = await pgt.createDatabase('cdr_reader');
    await pgt.query(MIGRATION, 'cdr_reader');
    await pgt.query(MIGRATION, 'cdr_reader'); // the migration is idempotent
    await pgt.query(insertSql('a1@203.0.113.20', '+4940001', true), 'cdr_reader');
    await pgt.query(insertSql('r1@203.0.113.20', '+4940002', false), 'cdr_reader');
  }, 60000);

  afterAll(async () => {
    await Promise.all(readers.map((r) => r.close()));
    await pgt?.destroy();
  });

  it('returns typed, normalised rows through a URL and a keyword/value connection', async () => {
    for (const connection of [db.url, db.connection]) {
      const rows = await reader(connection).rows();
      expect(rows).toEqual([
        {
          callId: 'a1@203.0.113.20',
          attemptAt: new Date('2026-01-02T10:00:00Z'),
          answerAt: new Date('2026-01-02T10:00:02Z'),
          endAt: new Date('2026-01-02T10:00:07.400Z'),
          durationS: 5,
          srcNumber: '+4930111',
          dstNumber: '+4940001',
          remoteIp: '203.0.113.20',
          finalStatus: 200,
        },
        expect.objectContaining({ callId: 'r1@203.0.113.20', answerAt: null, durationS: 0, finalStatus: 486 }),
      ]);
    }
  });

  it('names the missing column when the query does not return the normalised set', async () => {
    const r = reader(db.url, 'SELECT call_id, attempt_at, answer_at, end_at, duration_s, src_number, dst_number, final_status FROM cdr');
    await expect(r.rows()).rejects.toThrow(CdrQueryError);
    await expect(r.rows()).rejects.toThrow(/no column remote_ip/);
  });

  it('names the column whose values have the wrong type', async () => {
    const r = reader(db.url, REFERENCE_QUERY.replace('duration_s,', "'long' AS duration_s,"));
    await expect(r.rows()).rejects.toThrow(/CDR row 1, column duration_s: expected a number, got string "long"/);
  });

  it('reads bigint and numeric durations and NULL numbers', async () => {
    const r = reader(db.url, REFERENCE_QUERY.replace('duration_s,', 'duration_ms::numeric / 1000 AS duration_s,').replace('src_number,', 'NULL::text AS src_number,'));
    const rows = await r.rows();
    expect(rows[0]).toMatchObject({ durationS: 5.4, srcNumber: '' });
  });

  it('waits for a row that appears later', async () => {
    const r = reader(db.url);
    setTimeout(() => void pgt.query(insertSql('late@203.0.113.20', '+4940003', true), 'cdr_reader'), 300);
    const rows = await r.waitFor((row) => row.dstNumber === '+4940003', { timeoutMs: 5000, pollMs: 100 });
    expect(rows.map((row) => row.callId)).toEqual(['late@203.0.113.20']);
  });

  it('times out saying what it expected and which rows exist', async () => {
    const r = reader(db.url);
    const err = await r
      .waitFor((row) => row.dstNumber === '+49nothing', { timeoutMs: 400, pollMs: 100, description: 'a CDR for +49nothing' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CdrWaitTimeoutError);
    const message = (err as Error).message;
    expect(message).toMatch(/expected a row \(a CDR for \+49nothing\) within 400 ms; 0 matched, \d+ row\(s\) exist/);
    expect(message).toContain('a1@203.0.113.20 | 2026-01-02T10:00:00.000Z');
    expect((err as CdrWaitTimeoutError).rows.length).toBeGreaterThanOrEqual(2);
  });

  it('waits for a number of rows', async () => {
    const r = reader(db.url);
    const rows = await r.waitFor((row) => row.srcNumber === '+4930111', { count: 2, timeoutMs: 2000 });
    expect(rows.length).toBeGreaterThanOrEqual(2);
    await expect(r.waitFor((row) => row.srcNumber === '+4930111', { count: 99, timeoutMs: 300, pollMs: 100 })).rejects.toThrow(/expected 99 rows/);
  });

  it('reports a database it cannot reach once the wait is over', async () => {
    const r = reader(`host=${pgt.socketDir} port=1 dbname=cdr_reader user=postgres`);
    await expect(r.waitFor(() => true, { timeoutMs: 300, pollMs: 100 })).rejects.toThrow(/the CDR query failed/);
  });
});

describe('connectionConfig', () => {
  it('parses libpq keyword/value strings with quoting', () => {
    expect(connectionConfig("host=/tmp/s port=5433 dbname=sbc user='a b' password='it\\'s' sslmode=disable")).toEqual({
      host: '/tmp/s',
      port: 5433,
      database: 'sbc',
      user: 'a b',
      password: "it's",
    });
  });

  it('passes URLs through and rejects garbage without echoing it', () => {
    expect(connectionConfig('postgresql://u@/db?host=/tmp/s')).toEqual({ connectionString: 'postgresql://u@/db?host=/tmp/s' });
    expect(() => connectionConfig('host=/tmp/s secret')).toThrow('bad CDR connection string at character 13');
  });
});
