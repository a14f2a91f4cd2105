import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SipClient } from './client';
import { getHeader, topViaOf } from './message';
import type { SipRequest } from './message';
import { buildSdp, parseSdp } from './sdp';
import { makeTestPki } from './test-pki';
import type { TestPki } from './test-pki';

const timers = { t1Ms: 50, t2Ms: 400, t4Ms: 200 };
const offer = buildSdp({ address: '127.0.0.1', port: 40000, codecs: ['PCMU', 'PCMA'] });
const answer = buildSdp({ address: '127.0.0.1', port: 50000, codecs: ['PCMA'] });

let pki: TestPki;
beforeAll(async () => {
  pki = await makeTestPki();
});
afterAll(async () => {
  await pki.cleanup();
});

interface Pair {
  uac: SipClient;
  uas: SipClient;
  target: string;
}

const open: SipClient[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

async function pair(kind: 'udp' | 'tls'): Promise<Pair> {
  let uas: SipClient;
  let uac: SipClient;
  if (kind === 'udp') {
    uas = await SipClient.udp({ ip: '127.0.0.1', timers, user: 'callee' });
    uac = await SipClient.udp({ ip: '127.0.0.1', timers, user: 'caller' });
  } else {
    uas = await SipClient.listenTls({ ip: '127.0.0.1', port: 0, cert: pki.cert, key: pki.key, timers, user: 'callee' });
    uac = await SipClient.connectTls({ remote: uas.local, ca: pki.ca, timers, user: 'caller' });
  }
  open.push(uac, uas);
  const scheme = kind === 'tls' ? ';transport=tls' : '';
  return { uac, uas, target: `sip:+4930123@127.0.0.1:${uas.local.port}${scheme}` };
}

describe.each(['udp', 'tls'] as const)('SipClient over %s', (kind) => {
  it('completes INVITE / 180 / 200 / ACK / BYE', async () => {
    const { uac, uas, target } = await pair(kind);
    uas.onInvite(async (call) => {
      expect(call.offer?.media[0]?.payloadTypes).toEqual([0, 8]);
      await call.ringing();
      await call.answer(answer);
    });
    const call = await uac.invite({ to: target, sdp: offer, headers: { 'X-Scenario': 'basic' } });
    const final = await call.waitFinal(3000);
    expect(final.status).toBe(200);
    expect(call.provisional.map((r) => r.status)).toEqual([100, 180]);
    expect(parseSdp(final.body).media[0]?.port).toBe(50000);
    expect(call.state).toBe('confirmed');

    // §13.2.2.4: ACK for a 2xx is a new transaction with the INVITE's CSeq number, to the Contact.
    const ack = (await uas.waitReceived({ method: 'ACK' }, 2000)) as SipRequest;
    expect(getHeader(ack, 'cseq')).toBe('1 ACK');
    expect(topViaOf(ack)?.branch).not.toBe(topViaOf(call.invite)?.branch);
    expect(ack.uri).toContain('callee@127.0.0.1');
    expect(getHeader(ack, 'to')).toBe(getHeader(final, 'to'));
    expect(topViaOf(call.invite)?.transport).toBe(kind.toUpperCase());
    expect(uas.received({ method: 'INVITE' })[0]?.headers).toContainEqual({ name: 'X-Scenario', value: 'basic' });

    const bye = await call.bye({ timeoutMs: 2000 });
    expect(bye.status).toBe(200);
    const received = uas.received({ method: 'BYE' })[0];
    expect(received && getHeader(received, 'cseq')).toBe('2 BYE');
    expect(uac.ladder.entries.map((e) => `${e.direction} ${e.message?.kind === 'request' ? e.message.method : e.message?.status}`)).toEqual([
      'sent INVITE', 'received 100', 'received 180', 'received 200', 'sent ACK', 'sent BYE', 'received 200',
    ]);
  });

  it('lets the callee hang up', async () => {
    const { uac, uas, target } = await pair(kind);
    const call = await uac.invite({ to: target, sdp: offer });
    const incoming = await uas.waitInvite(2000);
    await incoming.answer(answer);
    await incoming.waitAck(2000);
    const response = await incoming.bye({ timeoutMs: 2000 });
    expect(response.status).toBe(200);
    const bye = await call.waitBye(1000);
    expect(bye.request.method).toBe('BYE');
    expect(call.state).toBe('terminated');
  });

  it('answers a callee re-INVITE with the current SDP, ACKs it, and keeps CSeq per side', async () => {
    const { uac, uas, target } = await pair(kind);
    const call = await uac.invite({ to: target, sdp: offer });
    const incoming = await uas.waitInvite(2000);
    await incoming.answer(answer);
    await incoming.waitAck(2000);
    const reinvite = await incoming.request('INVITE', { body: answer, timeoutMs: 2000 });
    expect(reinvite.status).toBe(200);
    expect(reinvite.body).toBe(offer);
    expect(uac.sent({ method: 'ACK' })).toHaveLength(1);
    expect(uas.sent({ method: 'ACK' })).toHaveLength(1);
    expect(getHeader(uas.sent({ method: 'ACK' })[0]!, 'cseq')).toBe('1 ACK');
    const info = await call.request('INFO', { body: 'Signal=5\r\n', contentType: 'application/dtmf-relay', timeoutMs: 2000 });
    expect(info.status).toBe(200);
    expect(getHeader(uas.received({ method: 'INFO' })[0]!, 'cseq')).toBe('2 INFO');
    expect((await call.bye({ timeoutMs: 2000 })).status).toBe(200);
    expect(getHeader(uas.received({ method: 'BYE' })[0]!, 'cseq')).toBe('3 BYE');
  });

  it('cancels a ringing call: 200 to CANCEL, 487 to INVITE, ACK', async () => {
    const { uac, uas, target } = await pair(kind);
    const call = await uac.invite({ to: target, sdp: offer });
    const incoming = await uas.waitInvite(2000);
    await incoming.ringing();
    const cancelResponse = await call.cancel({ timeoutMs: 2000 });
    expect(cancelResponse.status).toBe(200);
    expect((await call.waitFinal(2000)).status).toBe(487);
    const cancel = await incoming.waitCancel(1000);
    // §9.1: CANCEL reuses the INVITE's top Via (branch), Call-ID, From, To and CSeq number.
    expect(topViaOf(cancel)?.branch).toBe(topViaOf(call.invite)?.branch);
    expect(getHeader(cancel, 'cseq')).toBe('1 CANCEL');
    expect(getHeader(cancel, 'to')).toBe(getHeader(call.invite, 'to'));
    const ack = await incoming.waitAck(2000);
    expect(topViaOf(ack)?.branch).toBe(topViaOf(call.invite)?.branch);
    expect(incoming.state).toBe('cancelled');
    expect(call.state).toBe('rejected');
  });

  it('rejects with 486 and the caller ACKs in the transaction', async () => {
    const { uac, uas, target } = await pair(kind);
    uas.onInvite((call) => call.reject(486).then(() => undefined));
    const call = await uac.invite({ to: target, sdp: offer });
    const final = await call.waitFinal(2000);
    expect(final.status).toBe(486);
    const ack = (await uas.waitReceived({ method: 'ACK' }, 2000)) as SipRequest;
    // §17.1.1.3: same branch and Request-URI as the INVITE, To with the response's tag.
    expect(topViaOf(ack)?.branch).toBe(topViaOf(call.invite)?.branch);
    expect(ack.uri).toBe(call.invite.uri);
    expect(getHeader(ack, 'to')).toBe(getHeader(final, 'to'));
    await expect(call.ack()).rejects.toMatchObject({ code: 'SIP_STATE' });
    // Over UDP the 486 must stop once the ACK is in: only one 486 reaches the caller.
    await new Promise((r) => setTimeout(r, 300));
    expect(uac.received({ status: 486 })).toHaveLength(1);
  });

  it('answers OPTIONS with 200 and records a ladder file', async () => {
    const { uac, target } = await pair(kind);
    const response = await uac.options(target, { timeoutMs: 2000 });
    expect(response.status).toBe(200);
    expect(getHeader(response, 'allow')).toContain('INVITE');
    const path = join(tmpdir(), `sip-ladder-${process.pid}-${kind}.txt`);
    await uac.writeLadder(path);
    const text = await readFile(path, 'utf8');
    await rm(path);
    expect(text).toMatch(new RegExp(`${kind.toUpperCase()} sent 127\\.0\\.0\\.1:\\d+ -> 127\\.0\\.0\\.1:\\d+\\nOPTIONS sip:`));
    expect(text).toContain('SIP/2.0 200 OK');
  });
});

describe('SipClient over TLS only', () => {
  it('negotiates TLS 1.2 or newer and checks the certificate', async () => {
    const { uac } = await pair('tls');
    expect(['TLSv1.2', 'TLSv1.3']).toContain(uac.tlsInfo?.protocol);
    expect(uac.tlsInfo?.authorized).toBe(true);
  });

  it('refuses a server whose certificate another CA signed', async () => {
    const other = await makeTestPki();
    try {
      const uas = await SipClient.listenTls({ ip: '127.0.0.1', port: 0, cert: pki.cert, key: pki.key });
      open.push(uas);
      await expect(SipClient.connectTls({ remote: uas.local, ca: other.ca })).rejects.toMatchObject({ code: 'SIP_TRANSPORT' });
      const lax = await SipClient.connectTls({ remote: uas.local, rejectUnauthorized: false });
      open.push(lax);
      expect(lax.tlsInfo?.authorized).toBe(false);
    } finally {
      await other.cleanup();
    }
  });
});
