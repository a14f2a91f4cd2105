import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPostgres, testPostgresUnavailable, type TestPostgres } from '../../test/support/test-postgres';
import { silentLogger } from '../src/logger';
import { Blocklist } from '../src/policy/security/blocklist';
import { BlocklistDb, type SqlClient } from '../src/policy/security/blocklist-db';

/** A database double: answers the SELECT with `rows`, or fails every statement while `down`. */
class FakeSql implements SqlClient {
  rows: { address: string; expires_at: Date | null; reason: string | null }[] = [];
  down = false;
  readonly statements: string[] = [];

  query<R>(text: string, values?: unknown[]): Promise<{ rows: R[] }> {
    this.statements.push(values ? `${text.trim()} ${JSON.stringify(values)}` : text.trim());
    if (this.down) return Promise.reject(new Error('connection refused'));
    return Promise.resolve({ rows: (/^\s*SELECT/i.test(text) ? this.rows : []) as R[] });
  }

  end(): Promise<void> {
    return Promise.resolve();
  }
}

describe('BlocklistDb', () => {
  function setup(): { sql: FakeSql; list: Blocklist; db: BlocklistDb } {
    const sql = new FakeSql();
    const list = new Blocklist();
    return { sql, list, db: new BlocklistDb({ url: 'postgres://x', refreshMs: 1000, blocklist: list, log: silentLogger, client: sql }) };
  }

  it('creates the table once and loads the live rows as db entries', async () => {
    const { sql, list, db } = setup();
    const later = new Date(Date.now() + 60_000);
    sql.rows = [
      { address: '198.51.100.0/24', expires_at: null, reason: 'abuse' },
      { address: '203.0.113.99/32', expires_at: later, reason: null },
      { address: '2001:db8::/32', expires_at: null, reason: null },
    ];
    expect(await db.refresh()).toBe(true);
    expect(await db.refresh()).toBe(true);
    expect(sql.statements.filter((s) => s.startsWith('CREATE TABLE'))).toHaveLength(1);
    expect(list.blocking('198.51.100.7')).toMatchObject({ source: 'db', reason: 'abuse' });
    expect(list.blocking('203.0.113.99')?.expiresAt).toBe(later.getTime());
    await db.close();
  });

  it('keeps the last list while the database is down and follows it again afterwards', async () => {
    const { sql, list, db } = setup();
    sql.rows = [{ address: '198.51.100.0/24', expires_at: null, reason: null }];
    await db.refresh();
    sql.down = true;
    expect(await db.refresh()).toBe(false);
    expect(list.blocking('198.51.100.7')).toBeDefined();
    sql.down = false;
    sql.rows = [];
    expect(await db.refresh()).toBe(true);
    expect(list.blocking('198.51.100.7')).toBeUndefined();
    await db.close();
  });

  it('starts with an empty db list when the database is down at start, without failing', async () => {
    const { sql, list, db } = setup();
    sql.down = true;
    await db.start();
    expect(list.list()).toEqual([]);
    await db.close();
  });

  it('deletes a row by its range', async () => {
    const { sql, db } = setup();
    await db.delete('203.0.113.99/32');
    expect(sql.statements.at(-1)).toBe('DELETE FROM blocklist WHERE address = $1::cidr ["203.0.113.99/32"]');
    await db.close();
  });
});

const unavailable = testPostgresUnavailable();
if (unavailable) console.warn(`SKIPPED blocklist database tests against PostgreSQL: ${unavailable}`);

describe.skipIf(unavailable !== null)('BlocklistDb against PostgreSQL', () => {
  let pgt: TestPostgres;

  beforeAll(async () => {
    pgt = await startTestPostgres();
  }, 60000);

  afterAll(async () => {
    await pgt?.destroy();
  });

  it('reads the table of the topology migration: live rows only, ranges and hosts; deletes a row', async () => {
    const { url } = await pgt.createDatabase('blocklist_1');
    await pgt.query(readFileSync(join(import.meta.dirname, '../../reference-sbc/db/002-blocklist.sql'), 'utf8'), 'blocklist_1');
    await pgt.query(`INSERT INTO blocklist (address, expires_at, reason) VALUES
      ('198.51.100.0/24', NULL, 'abuse'),
      ('203.0.113.99', now() + interval '1 hour', 'scanner'),
      ('203.0.113.98', now() - interval '1 second', 'expired')`, 'blocklist_1');
    const list = new Blocklist();
    const db = new BlocklistDb({ url, refreshMs: 60_000, blocklist: list, log: silentLogger });
    expect(await db.refresh()).toBe(true);
    expect(list.list().map((e) => `${e.cidr.text} ${e.source} ${e.reason}`)).toEqual(['198.51.100.0/24 db abuse', '203.0.113.99/32 db scanner']);
    expect(list.blocking('203.0.113.99')?.expiresAt).toBeGreaterThan(Date.now());
    await db.delete('203.0.113.99/32');
    expect((await pgt.query('SELECT count(*)::int AS n FROM blocklist', 'blocklist_1')).rows[0]).toEqual({ n: 2 });
    await db.refresh();
    expect(list.blocking('203.0.113.99')).toBeUndefined();
    await db.close();
  });

  it('creates the table itself in an empty database', async () => {
    const { url } = await pgt.createDatabase('blocklist_2');
    const db = new BlocklistDb({ url, refreshMs: 60_000, blocklist: new Blocklist(), log: silentLogger });
    expect(await db.refresh()).toBe(true);
    expect((await pgt.query("SELECT to_regclass('blocklist') IS NOT NULL AS present", 'blocklist_2')).rows[0]).toEqual({ present: true });
    await db.close();
  });
});
