import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger';
import { Metrics } from '../../src/metrics';
import { DigestAuthenticator } from '../../src/policy/registrar/digest-auth';
import { Registrar } from '../../src/policy/registrar/registrar';
import { RegistrationStore } from '../../src/policy/registrar/registration-store';
import type { SipRequest } from '../../src/sip/message';
import { parseMessage } from '../../src/sip/parser';
import { wire } from '../helpers/messages';

/** IN-02: RFC 8760 digest (MD5 and SHA-256, nonce expiry) and RFC 3261 10.3 binding rules. */
const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

function authorization(o: { nonce: string; password: string; uri?: string; method?: string; alg?: 'MD5' }): string {
  const uri = o.uri ?? 'sip:sbc';
  const ha1 = md5(`alice:r:${o.password}`);
  const response = md5(`${ha1}:${o.nonce}:00000001:x:auth:${md5(`${o.method ?? 'REGISTER'}:${uri}`)}`);
  return `Digest username="alice", realm="r", nonce="${o.nonce}", uri="${uri}", response="${response}", algorithm=MD5, qop=auth, nc=00000001, cnonce="x"`;
}

const nonceOf = (challenge: string): string => /nonce="([^"]+)"/.exec(challenge)![1]!;

describe('digest authentication', () => {
  it('accepts MD5 with qop=auth, refuses a wrong password, a foreign nonce, no qop, and marks an expired nonce stale', () => {
    let now = 0;
    const auth = new DigestAuthenticator({ realm: 'r', nonceTtlS: 10, now: () => now });
    const lookup = (u: string) => (u === 'alice' ? { username: 'alice', password: 'pw' } : undefined);
    const nonce = nonceOf(auth.challenges()[1]!);
    expect(auth.challenges()[1]).toMatch(/algorithm=MD5, qop="auth"$/);
    expect(auth.verify('REGISTER', authorization({ nonce, password: 'pw' }), lookup)).toEqual({ ok: true, username: 'alice' });
    expect(auth.verify('REGISTER', authorization({ nonce, password: 'no' }), lookup)).toMatchObject({ ok: false, stale: false });
    expect(auth.verify('INVITE', authorization({ nonce, password: 'pw' }), lookup)).toMatchObject({ ok: false });
    const other = new DigestAuthenticator({ realm: 'r', nonceTtlS: 10 });
    expect(other.verify('REGISTER', authorization({ nonce, password: 'pw' }), lookup)).toMatchObject({ ok: false, reason: 'nonce not issued by us' });
    expect(auth.verify('REGISTER', authorization({ nonce, password: 'pw' }).replace(', qop=auth', ''), lookup)).toMatchObject({ ok: false });
    now = 11_000;
    expect(auth.verify('REGISTER', authorization({ nonce, password: 'pw' }), lookup)).toMatchObject({ ok: false, stale: true });
    expect(auth.challenges(true)[0]).toMatch(/stale=true/);
  });
});

describe('registrar', () => {
  const handle = (registrar: Registrar, message: SipRequest, zone = 'public') =>
    registrar.handle(message, { message, zone, protocol: 'udp', source: { address: '203.0.113.21', port: 5062 }, local: { address: '203.0.113.10', port: 5060 } });
  let seq = 0;
  function register(contacts: string[], o: { expires?: string; auth?: string; callId?: string } = {}): SipRequest {
    seq++;
    const m = parseMessage(wire([
      'REGISTER sip:sbc SIP/2.0',
      `Via: SIP/2.0/UDP 203.0.113.21:5062;branch=z9hG4bK-r${seq}`,
      'From: <sip:alice@sbc>;tag=f',
      'To: <sip:alice@sbc>',
      `Call-ID: ${o.callId ?? 'reg'}`,
      `CSeq: ${seq} REGISTER`,
      ...contacts.map((c) => `Contact: ${c}`),
      ...(o.expires === undefined ? [] : [`Expires: ${o.expires}`]),
      ...(o.auth === undefined ? [] : [`Authorization: ${o.auth}`]),
      'Content-Length: 0',
    ]));
    if (m.kind !== 'request') throw new Error('not a request');
    return m;
  }

  async function setup() {
    let now = 1_000_000;
    const store = new RegistrationStore({ log: silentLogger, now: () => now });
    const registrar = new Registrar(
      { realm: 'r', users: [{ username: 'alice', password: 'pw' }], defaultExpiresS: 3600, minExpiresS: 60, maxExpiresS: 7200, nonceTtlS: 300, publicZone: 'public' },
      { store, log: silentLogger, metrics: new Metrics(), now: () => now },
    );
    const challenge = await handle(registrar, register([]));
    const nonce = nonceOf(challenge.headers.getFields('www-authenticate')[1]!);
    const auth = authorization({ nonce, password: 'pw' });
    return { registrar, auth, advance: (ms: number) => { now += ms; } };
  }

  it('binds several contacts with their own expiry, caps long ones, refuses too brief ones with 423 Min-Expires', async () => {
    const { registrar, auth, advance } = await setup();
    const brief = await handle(registrar, register(['<sip:a@203.0.113.21:5062>'], { expires: '30', auth }));
    expect(brief.status).toBe(423);
    expect(brief.headers.get('min-expires')).toBe('60');
    const ok = await handle(registrar, register(['<sip:a@203.0.113.21:5062>;expires=120', '<sip:b@203.0.113.21:5064>;q=0.5'], { expires: '99999', auth }));
    expect(ok.status).toBe(200);
    expect(ok.headers.getValues('contact').sort()).toEqual(['<sip:a@203.0.113.21:5062>;expires=120', '<sip:b@203.0.113.21:5064>;expires=7200']);
    expect(registrar.contacts('alice').map((c) => c.uri)).toEqual(['sip:a@203.0.113.21:5062', 'sip:b@203.0.113.21:5064']);
    advance(121_000);
    expect(registrar.contacts('alice').map((c) => c.uri)).toEqual(['sip:b@203.0.113.21:5064']);
  });

  it('removes everything with Contact: * and Expires: 0 only, ignores out-of-order requests, refuses the core zone', async () => {
    const { registrar, auth } = await setup();
    await handle(registrar, register(['<sip:a@203.0.113.21:5062>'], { auth }));
    expect((await handle(registrar, register(['*'], { expires: '10', auth }))).status).toBe(400);
    const stale = register(['<sip:a@203.0.113.21:5062>'], { expires: '0', auth });
    stale.headers.set('CSeq', '1 REGISTER');
    expect((await handle(registrar, stale)).status).toBe(500);
    expect((await handle(registrar, register(['*'], { expires: '0', auth }))).status).toBe(200);
    expect(registrar.contacts('alice')).toEqual([]);
    expect((await handle(registrar, register(['<sip:a@10.20.0.21>'], { auth }), 'core')).status).toBe(403);
  });
});
