import { describe, expect, it } from 'vitest';
import { silentLogger } from '../src/logger';
import { Blocklist } from '../src/policy/blocklist';
import { BlocklistDb, type SqlClient } from '../src/policy/blocklist-db';

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
