import { describe, expect, it } from 'vitest';
import { invite } from '../helpers/messages';
import { Stack } from '../helpers/stack';

/** IN-04: a core server that fails a call attempt is skipped, and the call moves on. */
const A = { address: '127.0.0.21', port: 5060 };
const B = { address: '127.0.0.22', port: 5060 };
const servers = { coreServers: [{ host: A.address, port: 5060 }, { host: B.address, port: 5060 }] };

describe('core server failover', () => {
  it('moves a call to the next server when the first stays silent, and skips it until the hold-down ends', async () => {
    const s = new Stack(servers);
    await s.fromCaller(invite());
    expect(s.sent('core').map((x) => x.to)).toEqual([A.address]);
    s.clock.advance(2000);
    const toB = s.requestTo('INVITE', B.address);
    expect(toB.callId()).not.toBe(s.requestTo('INVITE', A.address).callId());
    // The silent server wakes up late: its attempt is cancelled, never relayed.
    await s.fromCore(s.answer(s.requestTo('INVITE', A.address), 180), A);
    expect(s.sent('core').filter((x) => x.what === 'CANCEL').map((x) => x.to)).toEqual([A.address]);
    expect(s.sent('public').map((x) => x.what)).toEqual(['100 INVITE']);
    await s.fromCore(s.answer(toB, 200), B);
    expect(s.sent('public').map((x) => x.what)).toEqual(['100 INVITE', '200 INVITE']);
    const routed = s.events.filter((e) => e.kind === 'routed').map((e) => e.kind === 'routed' && e.peer);
    expect(routed).toEqual(['127.0.0.21:5060', '127.0.0.22:5060']);

    // Round robin now only has B; after the hold-down A is back.
    await s.fromCaller(invite({ branch: 'z9hG4bK-2', callId: 'call-2@127.0.0.30' }));
    await s.fromCaller(invite({ branch: 'z9hG4bK-3', callId: 'call-3@127.0.0.30' }));
    // One entry per INVITE transaction (retransmissions by Timer A left out).
    const invites = (): string[] => [...new Map(s.transport.sent
      .filter((x) => x.message.kind === 'request' && x.message.method === 'INVITE' && 'endpoint' in x.target)
      .map((x) => [x.message.callId(), 'endpoint' in x.target ? x.target.endpoint.address : ''])).values()];
    expect(invites()).toEqual([A.address, B.address, B.address, B.address]);
    s.clock.advance(30_000);
    await s.fromCaller(invite({ branch: 'z9hG4bK-4', callId: 'call-4@127.0.0.30' }));
    expect(invites().at(-1)).toBe(A.address);
  });

  it('retries on the next server at once after a 503 or a send failure, but not after a provisional', async () => {
    const s = new Stack(servers);
    await s.fromCaller(invite());
    await s.fromCore(s.answer(s.requestTo('INVITE', A.address), 503), A);
    expect(s.sent('core').map((x) => `${x.what}>${x.to}`)).toEqual([`INVITE>${A.address}`, `ACK>${A.address}`, `INVITE>${B.address}`]);
    await s.fromCore(s.answer(s.requestTo('INVITE', B.address), 180), B);
    await s.fromCore(s.answer(s.requestTo('INVITE', B.address), 503), B);
    expect(s.sent('public').map((x) => x.what)).toEqual(['100 INVITE', '180 INVITE', '503 INVITE']);
  });

  it('gives the caller the last answer when every server failed', async () => {
    const s = new Stack(servers);
    await s.fromCaller(invite());
    await s.fromCore(s.answer(s.requestTo('INVITE', A.address), 503), A);
    await s.fromCore(s.answer(s.requestTo('INVITE', B.address), 503), B);
    expect(s.sent('public').map((x) => x.what)).toEqual(['100 INVITE', '503 INVITE']);
    expect(s.sig.registry.size).toBe(0);
    expect(s.events.filter((e) => e.kind === 'ended').map((e) => e.kind === 'ended' && e.finalStatus)).toEqual([503]);
  });

  it('lets a late 2xx of an abandoned attempt be ACKed and hung up', async () => {
    const s = new Stack(servers);
    await s.fromCaller(invite());
    s.clock.advance(2000);
    await s.fromCore(s.answer(s.requestTo('INVITE', A.address), 200), A);
    expect(s.sent('core').filter((x) => x.to === A.address && x.what !== 'INVITE').map((x) => x.what)).toEqual(['ACK', 'BYE']);
    expect(s.sent('public').map((x) => x.what)).toEqual(['100 INVITE']);
  });
});
