import { afterEach, describe, expect, it } from 'vitest';
import { SipClient } from './client';
import { digestAuthorization, parseChallenge } from './digest';
import { getHeader } from './message';

describe('digest', () => {
  it('computes the RFC 2617 §3.5 example response', () => {
    const challenge = parseChallenge('Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"');
    expect(challenge).toMatchObject({ realm: 'testrealm@host.com', qop: ['auth', 'auth-int'], algorithm: 'MD5' });
    const value = digestAuthorization(challenge!, { username: 'Mufasa', password: 'Circle Of Life' }, 'GET', '/dir/index.html', 1, '0a4f113b');
    expect(value).toContain('response="6629fae49393a05397450978507c4ef1"');
    expect(value).toContain('nc=00000001');
    expect(value).toContain('opaque="5ccc069c403ebaf9f0171e9517f40e41"');
  });

  it('ignores challenges that are not Digest', () => {
    expect(parseChallenge('Basic realm="x"')).toBeUndefined();
  });
});

describe('REGISTER with credentials', () => {
  const open: SipClient[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });

  it('answers a 401 once with Authorization, same Call-ID and CSeq + 1', async () => {
    const registrar = await SipClient.udp({ ip: '127.0.0.1' });
    const device = await SipClient.udp({ ip: '127.0.0.1', user: 'alice' });
    open.push(registrar, device);
    const challenge = 'Digest realm="sbc.test", nonce="n0nce", algorithm=MD5, qop="auth"';
    registrar.onRequest(async (req) => {
      const auth = getHeader(req.request, 'authorization');
      if (!auth) {
        await req.respond(401, undefined, { headers: { 'WWW-Authenticate': challenge } });
        return;
      }
      const cnonce = /cnonce="([^"]+)"/.exec(auth)?.[1];
      const expected = digestAuthorization(parseChallenge(challenge)!, { username: 'alice', password: 's3cret' }, 'REGISTER', req.request.uri, 1, cnonce);
      await req.respond(auth === expected ? 200 : 403, undefined, { headers: { Contact: `${getHeader(req.request, 'contact')};expires=60` } });
    });
    const registrarUri = `sip:127.0.0.1:${registrar.local.port}`;
    const response = await device.register(registrarUri, {
      aor: 'sip:alice@sbc.test', expires: 60, credentials: { username: 'alice', password: 's3cret' }, timeoutMs: 2000,
    });
    expect(response.status).toBe(200);
    const [first, second] = registrar.received({ method: 'REGISTER' });
    expect(getHeader(first!, 'cseq')).toBe('1 REGISTER');
    expect(getHeader(second!, 'cseq')).toBe('2 REGISTER');
    expect(getHeader(second!, 'call-id')).toBe(getHeader(first!, 'call-id'));
    expect(getHeader(second!, 'from')).toBe(getHeader(first!, 'from'));
    expect(getHeader(second!, 'expires')).toBe('60');
    expect(getHeader(second!, 'to')).toBe('<sip:alice@sbc.test>');
  });
});
