import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/logger';
import { RegistrationStore, type Binding } from '../src/policy/registrar/registration-store';
import { startTestPostgres, testPostgresUnavailable, type TestPostgres } from '../../test/support/test-postgres';

/** IN-02: bindings and provisioned users survive a restart (a new store on the same database). */
const unavailable = testPostgresUnavailable();

const binding = (user: string, contact: string, expiresAt: number): Binding => ({
  user, contact, expiresAt, protocol: 'udp', sourceAddress: '203.0.113.21', sourcePort: 5062, callId: 'c1', cseq: 2, q: 1,
});

describe.skipIf(unavailable !== null)('registration store against PostgreSQL', () => {
  let pgt: TestPostgres;
  let url = '';

  beforeAll(async () => {
    pgt = await startTestPostgres();
    url = (await pgt.createDatabase('registrar')).url;
  }, 60000);

  afterAll(async () => {
    await pgt?.destroy();
  });

  it('loads live bindings and users written by an earlier process, drops expired and removed ones', async () => {
    const first = new RegistrationStore({ databaseUrl: url, log: silentLogger });
    await first.load();
    const now = Date.now();
    first.setUser('alice', { md5: 'a'.repeat(32), sha256: 'b'.repeat(64) });
    first.save(binding('alice', 'sip:alice@203.0.113.21:5062', now + 3600_000));
    first.save(binding('alice', 'sip:alice@203.0.113.21:5064', now + 3600_000));
    first.save(binding('bob', 'sip:bob@203.0.113.22:5062', now + 1));
    first.remove('alice', 'sip:alice@203.0.113.21:5064');
    await first.close();
    await new Promise((r) => setTimeout(r, 20));

    const second = new RegistrationStore({ databaseUrl: url, log: silentLogger });
    await second.load();
    expect(second.lookup('alice').map((b) => b.contact)).toEqual(['sip:alice@203.0.113.21:5062']);
    expect(second.lookup('alice')[0]).toMatchObject({ protocol: 'udp', sourceAddress: '203.0.113.21', sourcePort: 5062, cseq: 2 });
    expect(Math.abs(second.lookup('alice')[0]!.expiresAt - (now + 3600_000))).toBeLessThan(5);
    expect(second.lookup('bob')).toEqual([]);
    expect(second.secrets('alice')).toEqual({ md5: 'a'.repeat(32), sha256: 'b'.repeat(64) });
    second.removeUser('alice');
    await second.close();

    const third = new RegistrationStore({ databaseUrl: url, log: silentLogger });
    await third.load();
    expect(third.lookup('alice')).toEqual([]);
    expect(third.userCount).toBe(0);
    await third.close();
  });
});
