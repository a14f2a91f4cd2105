import { readFileSync } from 'node:fs';
import pg from 'pg';
import type { Logger } from '../../logger';
import type { Protocol } from '../../transport/types';

/**
 * Registrar state (IN-02): bindings of users to contacts, and the SIP users' credentials added at
 * run time. Reads are served from memory; every change is written through to PostgreSQL when a
 * database is configured, and both tables are loaded at start, so bindings survive a restart.
 * A database outage never fails a REGISTER: the change lives in memory and is logged.
 * DDL: reference-sbc/db/003-registrations.sql, the one copy (applied here too when the tables are missing).
 */

export interface Binding {
  /** The user part of the address of record. */
  user: string;
  /** The Contact URI as the device wrote it. */
  contact: string;
  expiresAt: number;
  /** The flow the REGISTER came over. */
  protocol: Protocol;
  sourceAddress: string;
  sourcePort: number;
  /** Live only in the process that received the REGISTER (a TLS connection). */
  connectionId?: string | undefined;
  callId: string;
  cseq: number;
  q: number;
}

/** A user's digest secrets: HA1 = H(username:realm:password) per algorithm, so no password is stored. */
export interface UserSecrets {
  md5: string;
  sha256: string;
}

const DDL = readFileSync(new URL('../../../db/003-registrations.sql', import.meta.url), 'utf8');

export class RegistrationStore {
  private readonly bindings = new Map<string, Binding[]>();
  private readonly users = new Map<string, UserSecrets>();
  private readonly pool: pg.Pool | undefined;
  private readonly log: Logger;
  private readonly now: () => number;
  /** Writes run one after another so a removal never overtakes the insert it undoes. */
  private writes: Promise<void> = Promise.resolve();

  constructor(o: { databaseUrl?: string | undefined; log: Logger; now?: () => number }) {
    this.log = o.log;
    this.now = o.now ?? Date.now;
    if (o.databaseUrl !== undefined) {
      this.pool = new pg.Pool({ connectionString: o.databaseUrl, max: 2, connectionTimeoutMillis: 3000 });
      // An idle client losing its connection must not end the process.
      this.pool.on('error', (err) => this.log.warn('registrar database connection lost', { err: err.message }));
    }
  }

  /** Loads bindings that have not expired and the users added at run time. A database outage leaves memory empty. */
  async load(): Promise<void> {
    if (!this.pool) return;
    try {
      await this.pool.query(DDL);
      await this.pool.query('DELETE FROM registrations WHERE expires_at <= now()');
      const b = await this.pool.query<{ aor_user: string; contact: string; expires_at: Date; protocol: Protocol; source_ip: string; source_port: number; call_id: string; cseq: string; q: number }>(
        'SELECT aor_user, contact, expires_at, protocol, host(source_ip) AS source_ip, source_port, call_id, cseq, q FROM registrations',
      );
      for (const r of b.rows) {
        this.put({
          user: r.aor_user, contact: r.contact, expiresAt: r.expires_at.getTime(), protocol: r.protocol,
          sourceAddress: r.source_ip, sourcePort: r.source_port, callId: r.call_id, cseq: Number(r.cseq), q: r.q,
        });
      }
      const u = await this.pool.query<{ username: string; ha1_md5: string; ha1_sha256: string }>('SELECT username, ha1_md5, ha1_sha256 FROM sip_users');
      for (const r of u.rows) if (!this.users.has(r.username)) this.users.set(r.username, { md5: r.ha1_md5, sha256: r.ha1_sha256 });
      this.log.info('registrar state loaded', { bindings: b.rowCount, users: u.rowCount });
    } catch (err) {
      this.log.warn('registrar state not loaded from the database', { err: (err as Error).message });
    }
  }

  secrets(username: string): UserSecrets | undefined {
    return this.users.get(username);
  }

  get userCount(): number {
    return this.users.size;
  }

  /** Sets a user's secrets; `persist: false` for users from the configuration file (not the database's business). */
  setUser(username: string, secrets: UserSecrets, persist = true): void {
    this.users.set(username, secrets);
    if (!persist) return;
    void this.write(
      'INSERT INTO sip_users (username, ha1_md5, ha1_sha256) VALUES ($1, $2, $3) ON CONFLICT (username) DO UPDATE SET ha1_md5 = $2, ha1_sha256 = $3, updated_at = now()',
      [username, secrets.md5, secrets.sha256],
    );
  }

  /** Removes the user and every binding of theirs; false when there was no such user. */
  removeUser(username: string): boolean {
    const existed = this.users.delete(username);
    void this.removeAll(username);
    void this.write('DELETE FROM sip_users WHERE username = $1', [username]);
    return existed;
  }

  /** Live bindings of `user`, highest q first, then most recently registered. */
  lookup(user: string): Binding[] {
    const now = this.now();
    const list = (this.bindings.get(user) ?? []).filter((b) => b.expiresAt > now);
    if (list.length === 0) this.bindings.delete(user);
    else this.bindings.set(user, list);
    return [...list].sort((a, b) => b.q - a.q || b.expiresAt - a.expiresAt);
  }

  /** Adds or refreshes a binding (keyed by user and contact URI); resolves once the database has it (or failed). */
  save(b: Binding): Promise<void> {
    this.put(b);
    return this.write(
      `INSERT INTO registrations (aor_user, contact, expires_at, protocol, source_ip, source_port, call_id, cseq, q)
       VALUES ($1, $2, to_timestamp($3 / 1000.0), $4, $5, $6, $7, $8, $9)
       ON CONFLICT (aor_user, contact) DO UPDATE SET expires_at = EXCLUDED.expires_at, protocol = EXCLUDED.protocol,
         source_ip = EXCLUDED.source_ip, source_port = EXCLUDED.source_port, call_id = EXCLUDED.call_id,
         cseq = EXCLUDED.cseq, q = EXCLUDED.q, updated_at = now()`,
      [b.user, b.contact, b.expiresAt, b.protocol, b.sourceAddress, b.sourcePort, b.callId, b.cseq, b.q],
    );
  }

  remove(user: string, contact: string): Promise<void> {
    const list = (this.bindings.get(user) ?? []).filter((b) => b.contact !== contact);
    if (list.length === 0) this.bindings.delete(user);
    else this.bindings.set(user, list);
    return this.write('DELETE FROM registrations WHERE aor_user = $1 AND contact = $2', [user, contact]);
  }

  removeAll(user: string): Promise<void> {
    this.bindings.delete(user);
    return this.write('DELETE FROM registrations WHERE aor_user = $1', [user]);
  }

  /** Every live binding, for the admin API. */
  all(): Binding[] {
    return [...this.bindings.keys()].flatMap((u) => this.lookup(u));
  }

  async close(): Promise<void> {
    await this.writes;
    await this.pool?.end();
  }

  private put(b: Binding): void {
    const list = (this.bindings.get(b.user) ?? []).filter((x) => x.contact !== b.contact);
    list.push(b);
    this.bindings.set(b.user, list);
  }

  private write(sql: string, params: unknown[]): Promise<void> {
    const pool = this.pool;
    if (!pool) return Promise.resolve();
    this.writes = this.writes.then(async () => {
      try {
        await pool.query(sql, params);
      } catch (err) {
        this.log.warn('registrar database write failed; kept in memory only', { err: (err as Error).message });
      }
    });
    return this.writes;
  }
}
