import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SipParseError } from '../../src/errors';
import { silentLogger } from '../../src/logger';
import { Metrics } from '../../src/metrics';
import type { InviteContext } from '../../src/policy/invite/invite-pipeline';
import { codecCheckStep } from '../../src/policy/invite/media-steps';
import { Registrar } from '../../src/policy/registrar/registrar';
import { RegistrationStore } from '../../src/policy/registrar/registration-store';
import { checkRequest, nextMaxForwards } from '../../src/policy/dispatch/request-checks';
import { parseNameAddr } from '../../src/sip/header-values';
import type { SipRequest, SipResponse } from '../../src/sip/message';
import { parseMessage } from '../../src/sip/parser';
import { serializeMessage } from '../../src/sip/serializer';
import { uriUser } from '../../src/sip/uri';
import { loadTorture, RFC4475_SECTIONS, TORTURE_DIR } from './torture-corpus';

/**
 * RFC 4475 (and RFC 5118 for IPv6) torture messages, table-driven (STYLE.md 9).
 * `valid`: parses, its structured headers parse, and it re-serializes byte for byte.
 * `invalid`: the parser rejects it (a request then gets 400 or is dropped by the transport).
 * `status`: parses, and the SBC's UAS checks answer it with this status.
 * `registrar`: parses, passes the UAS checks, and the registrar answers it with this status; with
 * `authenticated` the REGISTER first gets the digest it lacks (the torture REGISTERs carry none, and
 * the registrar challenges before it reads a Contact), and `binding` is the Contact the 200 returns.
 * `invite`: parses, passes the UAS checks, and the INVITE chain's codec check answers this status.
 */
type Expectation =
  | { kind: 'valid' }
  | { kind: 'invalid' }
  | { kind: 'status'; status: number }
  | { kind: 'registrar'; status: number; authenticated: boolean; binding?: string }
  | { kind: 'invite'; status: number };

const valid: Expectation = { kind: 'valid' };
const invalid: Expectation = { kind: 'invalid' };
const status = (s: number): Expectation => ({ kind: 'status', status: s });
const registered = (binding: string): Expectation => ({ kind: 'registrar', status: 200, authenticated: true, binding });

const CORPUS: Record<string, Expectation> = {
  wsinv: valid,
  intmeth: valid,
  esc01: valid,
  escnull: valid,
  esc02: valid,
  lwsdisp: valid,
  longreq: valid,
  dblreq: valid,
  semiuri: valid,
  transports: valid,
  mpart01: valid,
  unreason: valid,
  noreason: valid,
  bcast: valid,
  inv2543: valid,
  unksm2: valid,
  zeromf: valid,
  // 3.1.2.12: the RFC lets an element that does not use Date ignore a non-GMT one; the SBC never reads Date.
  baddate: valid,
  // 3.2.1: parses; the transaction layer does not take the bare cookie as a transaction identifier and
  // matches such requests the RFC 2543 way (the fallback the RFC suggests).
  badbranch: valid,
  // 3.3.15: the RFC suggests 406 or 400; the SBC does not act on Accept and passes the offer to the
  // core, whose answer decides, as a proxy would.
  sdp01: valid,
  'ipv6-rfc5118': valid,
  badinv01: invalid,
  clerr: invalid,
  ncl: invalid,
  scalar02: invalid,
  scalarlg: invalid,
  quotbal: invalid,
  ltgtruri: invalid,
  lwsruri: invalid,
  lwsstart: invalid,
  trws: invalid,
  escruri: invalid,
  baddn: invalid,
  badaspec: invalid,
  mismatch01: invalid,
  mismatch02: invalid,
  bigcode: invalid,
  insuf: invalid,
  multi01: invalid,
  mcl01: invalid,
  'ipv6-bad-noBrackets': invalid,
  badvers: status(505),
  unkscm: status(416),
  novelsc: status(416),
  bext01: status(420),
  'zeromf-invite': status(483),
  // 3.3.12: `unknownparam` is a contact-param, so it must not come back as a URI parameter.
  cparam01: registered('<sip:+19725552222@gw1.example.net>'),
  // 3.3.13: here it is a URI parameter and stays one in the binding.
  cparam02: registered('<sip:+19725552222@gw1.example.net;unknownparam>'),
  // 3.3.14: the escaped Route header stays in the bound contact URI.
  regescrt: registered('<sip:user@example.com?Route=%3Csip:sip.example.com%3E>'),
  // 3.1.2.13: a URI with headers outside <> is refused 400; Contact is validated on arrival (issue 11
  // point 3), so the transport answers it before the registrar would challenge it.
  regbadct: invalid,
  // 3.3.7: an Authorization in an unknown scheme gets 401 with a challenge in a scheme the registrar knows.
  regaut01: { kind: 'registrar', status: 401, authenticated: false },
  // 3.3.6: a body the SBC does not understand gets 415 Unsupported Media Type (with Accept: application/sdp).
  invut: { kind: 'invite', status: 415 },
};

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

/** The registrar's answer to a torture REGISTER, from a device in the public zone. */
async function register(request: SipRequest, authenticated: boolean): Promise<SipResponse> {
  const user = uriUser(request.to().uri) ?? '';
  const registrar = new Registrar(
    { realm: 'example.com', users: [{ username: user, password: 'pw' }], defaultExpiresS: 3600, minExpiresS: 60, maxExpiresS: 7200, nonceTtlS: 300, publicZone: 'public' },
    { store: new RegistrationStore({ log: silentLogger }), log: silentLogger, metrics: new Metrics() },
  );
  const handle = (): Promise<SipResponse> =>
    registrar.handle(request, { message: request, zone: 'public', protocol: 'udp', source: { address: '192.0.2.1', port: 5060 }, local: { address: '192.0.2.10', port: 5060 } });
  if (!authenticated) return handle();
  const challenge = await handle();
  expect(challenge.status).toBe(401);
  const nonce = /nonce="([^"]+)"[^,]*, algorithm=MD5/.exec(challenge.headers.getFields('www-authenticate').join(','))?.[1] ?? '';
  const ha2 = md5(`REGISTER:${request.uri}`);
  const response = md5(`${md5(`${user}:example.com:pw`)}:${nonce}:00000001:c:auth:${ha2}`);
  request.headers.append('Authorization', `Digest username="${user}", realm="example.com", nonce="${nonce}", uri="${request.uri}", response="${response}", algorithm=MD5, qop=auth, nc=00000001, cnonce="c"`);
  return handle();
}

describe('RFC 4475 torture corpus', () => {
  it('has an expectation for every file', () => {
    const files = readdirSync(TORTURE_DIR).filter((f) => f.endsWith('.sip')).map((f) => f.slice(0, -4)).sort();
    expect(files).toEqual(Object.keys(CORPUS).sort());
  });

  it('holds all 49 messages of RFC 4475', () => {
    const names = Object.keys(RFC4475_SECTIONS);
    expect(names).toHaveLength(49);
    expect(names.filter((n) => !(n in CORPUS))).toEqual([]);
  });

  it.each(Object.entries(CORPUS))('%s', async (name, expectation) => {
    const data = loadTorture(name);
    if (expectation.kind === 'invalid') {
      expect(() => parseMessage(data)).toThrow(SipParseError);
      return;
    }
    const msg = parseMessage(data);
    if (expectation.kind === 'valid') {
      msg.vias();
      for (const h of ['from', 'to']) parseNameAddr(msg.headers.get(h) ?? '');
      const out = serializeMessage(msg);
      expect(out.toString('latin1')).toBe(data.subarray(0, out.length).toString('latin1'));
      if (msg.kind === 'request') expect(checkRequest(msg)).toBeUndefined();
      return;
    }
    if (msg.kind !== 'request') throw new Error('status expectations are for requests');
    if (expectation.kind === 'registrar' || expectation.kind === 'invite') {
      expect(checkRequest(msg)).toBeUndefined();
      if (expectation.kind === 'invite') {
        // The codec check reads only the request; the rest of the context belongs to later steps.
        const ctx = { request: msg } as unknown as InviteContext;
        const result = await codecCheckStep(() => ({ ok: true }), 'sbc.example.com').run(ctx);
        expect(result).toMatchObject({ action: 'reject', status: expectation.status });
        return;
      }
      const res = await register(msg, expectation.authenticated);
      expect(res.status).toBe(expectation.status);
      if (expectation.binding !== undefined) expect(res.headers.getValues('contact')).toEqual([`${expectation.binding};expires=3600`]);
      return;
    }
    const refusal = checkRequest(msg);
    const hops = nextMaxForwards(msg);
    expect(refusal?.status ?? (typeof hops === 'number' ? undefined : hops.status)).toBe(expectation.status);
  });
});
