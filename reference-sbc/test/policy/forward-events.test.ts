import { describe, expect, it } from 'vitest';
import { CallRegistry } from '../../src/dialog/call-registry';
import type { B2buaCall } from '../../src/dialog/b2bua-call';
import { CallEvents, type CallEvent } from '../../src/events';
import { silentLogger } from '../../src/logger';
import { Metrics } from '../../src/metrics';
import { forwardStep } from '../../src/policy/invite/call-forwarder';
import { CONTINUE, type InviteStep } from '../../src/policy/invite/invite-pipeline';
import { accessControlStep, announceStep } from '../../src/policy/invite/invite-steps';
import { SipRouter } from '../../src/policy/dispatch/sip-router';
import { parseMessage } from '../../src/sip/parser';
import { Timers } from '../../src/transaction/timers';
import { TransactionLayer } from '../../src/transaction/transaction-layer';
import { FakeClock } from '../helpers/fake-clock';
import { FakeTransport } from '../helpers/fake-transport';
import { wire } from '../helpers/messages';
import { flush } from '../helpers/stack';

/** An outbound call (core → public) names its legs the other way round in `routed` (CDR fields). */
describe('forward step events', () => {
  it('reports an outbound call with the public leg and destination', async () => {
    const transport = new FakeTransport();
    const timers = new Timers({ t1: 500, t2: 4000, t4: 5000 }, new FakeClock());
    const transactions = new TransactionLayer({ transport, timers, log: silentLogger, metrics: new Metrics(), maxTransactions: 100 });
    const registry = new CallRegistry<B2buaCall>(10);
    const callEvents = new CallEvents();
    const events: CallEvent[] = [];
    callEvents.on((e) => events.push(e));
    const publicRoute: InviteStep = {
      name: 'route-test',
      run: (ctx) => {
        ctx.route = {
          target: { zone: 'public', protocol: 'udp', endpoint: { address: '203.0.113.20', port: 5090 } },
          requestUri: 'sip:+4930123@203.0.113.20:5090',
          toHost: '203.0.113.20:5090',
          peer: '203.0.113.20:5090',
        };
        return CONTINUE;
      },
    };
    const sides = { public: { address: '203.0.113.10', port: 5060 }, core: { address: '10.20.0.10', port: 5060 } } as const;
    const forward = forwardStep({
      transactions, timers, registry, events: callEvents, log: silentLogger, setupTimeoutMs: 180_000,
      sideOf: (zone, protocol) => (zone === 'public' || zone === 'core' ? { zone, protocol, local: sides[zone] } : undefined),
    });
    const router = new SipRouter({
      transactions, registry, log: silentLogger, metrics: new Metrics(), publicZone: 'public',
      steps: { inbound: [], outbound: [accessControlStep([{ host: '10.20.0.21', port: 5060 }]), announceStep(callEvents), publicRoute, forward] },
      onRejected: () => undefined,
    });
    transactions.setUser(router);
    transactions.receive({
      message: parseMessage(wire([
        'INVITE sip:+4930123@10.20.0.10 SIP/2.0',
        'Via: SIP/2.0/UDP 10.20.0.21:5060;branch=z9hG4bK-out-1',
        'Max-Forwards: 70',
        'From: <sip:100@10.20.0.21>;tag=core1',
        'To: <sip:+4930123@10.20.0.10>',
        'Call-ID: core-leg-1',
        'CSeq: 1 INVITE',
        'Content-Length: 0',
      ])),
      zone: 'core', protocol: 'udp', source: { address: '10.20.0.21', port: 5060 }, local: sides.core,
    });
    await flush();
    const started = events.find((e) => e.kind === 'started');
    const routed = events.find((e) => e.kind === 'routed');
    const publicInvite = transport.sent.find((s) => s.target.zone === 'public')?.message;
    expect(started).toMatchObject({ direction: 'outbound', srcNumber: '100', dstNumber: '+4930123' });
    expect(routed).toMatchObject({
      coreCallId: 'core-leg-1',
      publicCallId: publicInvite?.callId(),
      remoteIp: '203.0.113.20',
      remotePort: 5090,
      transport: 'udp',
      peer: '203.0.113.20:5090',
    });
    expect(started?.kind === 'started' && started.publicCallId).toBe(publicInvite?.callId());
    expect(publicInvite?.headers.get('from')).toBe(`<sip:100@203.0.113.10>;${publicInvite?.headers.get('from')?.split(';')[1] ?? ''}`);
  });
});
