import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResponse, type SipRequest, type SipResponse } from '../../src/sip/message';
import { parseMessage } from '../../src/sip/parser';
import { enumDomain } from '../../src/policy/routing/enum-resolver';
import { hopForUri } from '../../src/policy/routing/outbound-router';
import { FakeDnsServer } from '../helpers/fake-dns';
import { wire } from '../helpers/messages';
import { flush, Stack } from '../helpers/stack';

/**
 * Calls from the core (OUT-01, OUT-02, IN-02): ENUM look-up against a fake DNS server, serial
 * failover over the records, registered users reached at their registered flow.
 */
const CORE = { address: '127.0.0.21', port: 5060 };
const DEVICE = { address: '127.0.0.40', port: 5090 };

function coreInvite(number: string, callId: string): SipRequest {
  const m = parseMessage(wire([
    `INVITE sip:${number}@127.0.0.11:5060 SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.21:5060;branch=z9hG4bK-${callId}`,
    'Max-Forwards: 70',
    'From: <sip:+3120555@127.0.0.21>;tag=c1',
    `To: <sip:${number}@127.0.0.11>`,
    `Call-ID: ${callId}`,
    'CSeq: 1 INVITE',
    'Contact: <sip:core@127.0.0.21:5060>',
    'Content-Length: 0',
  ]));
  if (m.kind !== 'request') throw new Error('not a request');
  return m;
}

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function publicRequests(s: Stack, method: string): Array<{ uri: string; to: string; request: SipRequest }> {
  return s.transport.sent
    .filter((x) => x.target.zone === 'public' && x.message.kind === 'request' && x.message.method === method && 'endpoint' in x.target)
    .map((x) => ({ uri: (x.message as SipRequest).uri, to: 'endpoint' in x.target ? `${x.target.endpoint.address}:${x.target.endpoint.port}` : '', request: x.message as SipRequest }));
}

function coreAnswers(s: Stack): number[] {
  return s.transport.sent.filter((x) => x.target.zone === 'core' && x.message.kind === 'response').map((x) => (x.message as SipResponse).status);
}

describe('outbound routing', () => {
  const dns = new FakeDnsServer();
  let port = 0;
  beforeAll(async () => {
    port = await dns.start();
  });
  afterAll(() => dns.close());
  const config = (): Record<string, unknown> => ({
    coreServers: [{ host: CORE.address, port: 5060 }],
    enum: { server: `127.0.0.1:${port}`, timeoutMs: 100, attempts: 1 },
    registrar: { realm: 'test', users: [{ username: 'alice', password: 'secret' }] },
  });

  it('sends a call to the URI of the best NAPTR record and fails over to the next after a 503', async () => {
    dns.zone.set(enumDomain('+31201110001'), [
      { order: 20, preference: 10, regexp: '!^.*$!sip:second@127.0.0.51:5062!' },
      { order: 10, preference: 10, regexp: '!^\\+(.*)$!sip:\\1@127.0.0.50!' },
    ]);
    const s = new Stack(config());
    await s.fromCore(coreInvite('+31201110001', 'out-1'), CORE);
    await until(() => publicRequests(s, 'INVITE').length > 0);
    const first = publicRequests(s, 'INVITE')[0]!;
    expect(first).toMatchObject({ uri: 'sip:31201110001@127.0.0.50', to: '127.0.0.50:5060' });
    s.sig.receive({ message: createResponse(first.request, 503), zone: 'public', protocol: 'udp', source: { address: '127.0.0.50', port: 5060 }, local: { address: '127.0.0.10', port: 5060 } });
    await flush();
    expect(publicRequests(s, 'INVITE').map((r) => r.to)).toEqual(['127.0.0.50:5060', '127.0.0.51:5062']);
  });

  it('moves on when a destination stays silent for the per-hop time-out', async () => {
    const number = '+31201110011';
    dns.zone.set(enumDomain(number), [
      { order: 10, preference: 10, regexp: '!^.*$!sip:a@127.0.0.70!' },
      { order: 20, preference: 10, regexp: '!^.*$!sip:b@127.0.0.71!' },
    ]);
    const s = new Stack({ ...config(), enum: { server: `127.0.0.1:${port}`, timeoutMs: 100, attempts: 1, hopTimeoutMs: 700 } });
    await s.fromCore(coreInvite(number, 'out-11'), CORE);
    await until(() => publicRequests(s, 'INVITE').length > 0);
    const hops = (): string[] => [...new Set(publicRequests(s, 'INVITE').map((r) => r.to))];
    s.clock.advance(699);
    expect(hops()).toEqual(['127.0.0.70:5060']);
    s.clock.advance(1);
    expect(hops()).toEqual(['127.0.0.70:5060', '127.0.0.71:5060']);
  });

  it('moves on after 500, honours Retry-After in later calls, and stops the search at a 6xx', async () => {
    const number = '+31201110009';
    dns.zone.set(enumDomain(number), [
      { order: 10, preference: 10, regexp: '!^.*$!sip:a@127.0.0.60!' },
      { order: 10, preference: 20, regexp: '!^.*$!sip:b@127.0.0.61!' },
      { order: 10, preference: 30, regexp: '!^.*$!sip:c@127.0.0.62!' },
    ]);
    const s = new Stack(config());
    const reply = async (status: number, headers: Array<[string, string]> = []): Promise<void> => {
      const last = publicRequests(s, 'INVITE').at(-1)!;
      const res = createResponse(last.request, status);
      for (const [n, v] of headers) res.headers.append(n, v);
      const [address = '', port = '0'] = last.to.split(':');
      s.sig.receive({ message: res, zone: 'public', protocol: 'udp', source: { address, port: Number(port) }, local: { address: '127.0.0.10', port: 5060 } });
      await flush();
    };
    await s.fromCore(coreInvite(number, 'out-9'), CORE);
    await until(() => publicRequests(s, 'INVITE').length === 1);
    await reply(503, [['Retry-After', '120']]);
    await reply(500);
    await reply(603);
    expect(publicRequests(s, 'INVITE').map((r) => r.to)).toEqual(['127.0.0.60:5060', '127.0.0.61:5060', '127.0.0.62:5060']);
    expect(coreAnswers(s).at(-1)).toBe(603);
    await s.fromCore(coreInvite(number, 'out-10'), CORE);
    await until(() => publicRequests(s, 'INVITE').length === 4);
    await reply(604);
    expect(publicRequests(s, 'INVITE').map((r) => r.to).slice(3)).toEqual(['127.0.0.61:5060']);
    expect(coreAnswers(s).at(-1)).toBe(604);
  });

  it('answers 404 without sending anything to the public side when there is no record, 503 when DNS is silent', async () => {
    const s = new Stack(config());
    await s.fromCore(coreInvite('+31201110002', 'out-2'), CORE);
    await until(() => coreAnswers(s).includes(404));
    dns.silent = true;
    await s.fromCore(coreInvite('+31201110003', 'out-3'), CORE);
    await until(() => coreAnswers(s).includes(503));
    dns.silent = false;
    expect(s.transport.sent.filter((x) => x.target.zone === 'public')).toEqual([]);
    await s.fromCore(coreInvite('alice', 'out-4'), CORE);
    await until(() => coreAnswers(s).filter((c) => c === 404).length === 2);
  });

  it('registers a device with digest authentication and routes calls for its user to the flow it registered on', async () => {
    const s = new Stack(config());
    const register = (cseq: number, extra: string[], expires = 600): Promise<SipResponse> => {
      const before = s.transport.sent.length;
      s.sig.receive({
        message: parseMessage(wire([
          'REGISTER sip:127.0.0.10 SIP/2.0',
          `Via: SIP/2.0/UDP 10.0.0.5:5090;branch=z9hG4bK-reg-${cseq}`,
          'Max-Forwards: 70',
          'From: <sip:alice@127.0.0.10>;tag=r1',
          'To: <sip:alice@127.0.0.10>',
          'Call-ID: reg-1',
          `CSeq: ${cseq} REGISTER`,
          'Contact: <sip:alice@10.0.0.5:5090>',
          `Expires: ${expires}`,
          ...extra,
          'Content-Length: 0',
        ])),
        zone: 'public', protocol: 'udp', source: DEVICE, local: { address: '127.0.0.10', port: 5060 },
      });
      return until(() => s.transport.sent.length > before).then(() => s.transport.sent.at(-1)!.message as SipResponse);
    };
    const challenge = await register(1, []);
    expect(challenge.status).toBe(401);
    const offered = challenge.headers.getFields('www-authenticate');
    expect(offered.map((c) => /algorithm=([\w-]+)/.exec(c)?.[1])).toEqual(['SHA-256', 'MD5']);
    const nonce = /nonce="([^"]+)"/.exec(offered[0]!)![1]!;
    const h = (x: string): string => createHash('sha256').update(x).digest('hex');
    const auth = (password: string): string => {
      const response = h(`${h(`alice:test:${password}`)}:${nonce}:00000001:cn:auth:${h('REGISTER:sip:127.0.0.10')}`);
      return `Authorization: Digest username="alice", realm="test", nonce="${nonce}", uri="sip:127.0.0.10", response="${response}", algorithm=SHA-256, qop=auth, nc=00000001, cnonce="cn"`;
    };
    expect((await register(2, [auth('wrong')])).status).toBe(403);
    expect((await register(3, [auth('wrong')], 0)).status).toBe(403);
    expect((await register(4, [auth('secret')], 30)).status).toBe(423);
    const ok = await register(5, [auth('secret')]);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('contact')).toBe('<sip:alice@10.0.0.5:5090>;expires=600');

    await s.fromCore(coreInvite('alice', 'out-5'), CORE);
    await until(() => publicRequests(s, 'INVITE').length === 1);
    expect(publicRequests(s, 'INVITE')[0]).toMatchObject({ uri: 'sip:alice@10.0.0.5:5090', to: '127.0.0.40:5090' });

    expect((await register(6, [auth('secret')], 0)).status).toBe(200);
    await s.fromCore(coreInvite('alice', 'out-6'), CORE);
    await until(() => coreAnswers(s).includes(404));
  });
});

describe('ENUM URIs as next hops', () => {
  const deps = { publicZone: 'public', protocols: new Set(['udp', 'tls'] as const), resolveHost: async (h: string) => (h === 'gw.example' ? '198.51.100.7' : undefined) };

  it('sends sips: and transport=tls over TLS (port 5061 by default), others over UDP, and skips what it cannot reach', async () => {
    expect(await hopForUri('sips:+31@203.0.113.30', deps)).toMatchObject({ target: { protocol: 'tls', endpoint: { address: '203.0.113.30', port: 5061 } }, toHost: '203.0.113.30' });
    expect(await hopForUri('sip:+31@203.0.113.30:5071;transport=TLS', deps)).toMatchObject({ target: { protocol: 'tls', endpoint: { port: 5071 } }, peer: '203.0.113.30:5071' });
    expect(await hopForUri('sip:+31@gw.example', deps)).toMatchObject({ target: { protocol: 'udp', endpoint: { address: '198.51.100.7', port: 5060 } }, requestUri: 'sip:+31@gw.example' });
    expect(await hopForUri('sip:+31@unknown.example', deps)).toBeUndefined();
    expect(await hopForUri('sip:+31@203.0.113.30;transport=tcp', deps)).toBeUndefined();
    expect(await hopForUri('sips:+31@203.0.113.30', { ...deps, protocols: new Set(['udp'] as const) })).toBeUndefined();
    expect(await hopForUri('mailto:x@y', deps)).toBeUndefined();
  });
});
