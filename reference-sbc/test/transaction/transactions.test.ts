import { beforeEach, describe, expect, it } from 'vitest';
import type { SbcError } from '../../src/errors';
import { silentLogger } from '../../src/logger';
import { Metrics } from '../../src/metrics';
import { createResponse, type SipRequest, type SipResponse } from '../../src/sip/message';
import { parseMessage } from '../../src/sip/parser';
import { InviteClientState } from '../../src/transaction/invite-client';
import { InviteServerState } from '../../src/transaction/invite-server';
import { NonInviteClientState } from '../../src/transaction/non-invite-client';
import { Timers } from '../../src/transaction/timers';
import { TransactionLayer, type ServerTransaction } from '../../src/transaction/transaction-layer';
import type { Inbound, Target } from '../../src/transport/types';
import { FakeClock } from '../helpers/fake-clock';
import { FakeTransport } from '../helpers/fake-transport';
import { invite, wire } from '../helpers/messages';

const TARGET: Target = { zone: 'core', protocol: 'udp', endpoint: { address: '127.0.0.21', port: 5060 } };

function inbound(data: Buffer, zone = 'public'): Inbound {
  return { message: parseMessage(data), zone, protocol: 'udp', source: { address: '127.0.0.30', port: 5070 }, local: { address: '127.0.0.10', port: 5060 } };
}

function request(method: string, branch = 'z9hG4bKclient1'): SipRequest {
  const msg = parseMessage(wire([
    `${method} sip:1234@127.0.0.21 SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.11:5060;branch=${branch}`,
    'Max-Forwards: 70',
    'From: <sip:a@127.0.0.11>;tag=f1',
    'To: <sip:1234@127.0.0.21>',
    'Call-ID: tx-test',
    `CSeq: 1 ${method}`,
    'Content-Length: 0',
  ]));
  if (msg.kind !== 'request') throw new Error('not a request');
  return msg;
}

function responseTo(req: SipRequest, status: number): Inbound {
  const res = createResponse(req, status, undefined, status > 100 ? 't1' : undefined);
  return { message: res, zone: 'core', protocol: 'udp', source: TARGET.endpoint, local: { address: '127.0.0.11', port: 5060 } };
}

describe('transactions (RFC 3261 17) with a fake clock and transport', () => {
  let clock: FakeClock;
  let transport: FakeTransport;
  let layer: TransactionLayer;
  let received: Array<{ request: SipRequest; tx: ServerTransaction | undefined }>;
  let responses: SipResponse[];
  let failures: SbcError[];
  const handlers = {
    onResponse: (r: SipResponse) => responses.push(r),
    onFailure: (e: SbcError) => failures.push(e),
  };

  beforeEach(() => {
    clock = new FakeClock();
    transport = new FakeTransport();
    layer = new TransactionLayer({ transport, timers: new Timers({ t1: 500, t2: 4000, t4: 5000 }, clock), log: silentLogger, metrics: new Metrics(), maxTransactions: 100 });
    received = [];
    responses = [];
    failures = [];
    layer.setUser({
      onRequest: (req, tx) => received.push({ request: req, tx }),
      onStrayResponse: () => undefined,
    });
  });

  it('INVITE client: Timer A doubles, Timer B times out with 408', () => {
    const tx = layer.sendRequest(request('INVITE'), TARGET, handlers);
    clock.advance(500);
    clock.advance(1000);
    clock.advance(2000);
    expect(transport.summary()).toEqual(['INVITE', 'INVITE', 'INVITE', 'INVITE']);
    clock.advance(32000);
    expect(failures.map((f) => f.status)).toEqual([408]);
    expect(tx.state).toBe(InviteClientState.Terminated);
    expect(layer.size.clients).toBe(0);
  });

  it('INVITE client: a provisional stops retransmission; a non-2xx is ACKed hop by hop once per copy', () => {
    const req = request('INVITE');
    const tx = layer.sendRequest(req, TARGET, handlers);
    layer.receive(responseTo(req, 180));
    clock.advance(10000);
    expect(transport.summary()).toEqual(['INVITE']);
    layer.receive(responseTo(req, 486));
    layer.receive(responseTo(req, 486));
    expect(responses.map((r) => r.status)).toEqual([180, 486]);
    expect(transport.summary()).toEqual(['INVITE', 'ACK', 'ACK']);
    const ack = transport.sent[1]?.message;
    expect(ack?.kind === 'request' && ack.headers.get('to')).toContain('tag=t1');
    expect(ack?.kind === 'request' && ack.topVia().params.find((p) => p.name === 'branch')?.value).toBe('z9hG4bKclient1');
    clock.advance(32000);
    expect(tx.state).toBe(InviteClientState.Terminated);
  });

  it('INVITE client: 2xx goes to Accepted and its retransmissions still reach the TU (RFC 6026)', () => {
    const req = request('INVITE');
    const tx = layer.sendRequest(req, TARGET, handlers);
    layer.receive(responseTo(req, 200));
    layer.receive(responseTo(req, 200));
    expect(tx.state).toBe(InviteClientState.Accepted);
    expect(responses.map((r) => r.status)).toEqual([200, 200]);
    expect(transport.summary()).toEqual(['INVITE']);
    clock.advance(32000);
    expect(tx.state).toBe(InviteClientState.Terminated);
  });

  it('non-INVITE client: Timer E caps at T2, Timer F gives 408', () => {
    const tx = layer.sendRequest(request('BYE'), TARGET, handlers);
    for (const step of [500, 1000, 2000, 4000, 4000]) clock.advance(step);
    expect(transport.summary()).toEqual(['BYE', 'BYE', 'BYE', 'BYE', 'BYE', 'BYE']);
    clock.advance(32000);
    expect(failures.map((f) => f.status)).toEqual([408]);
    expect(tx.state).toBe(NonInviteClientState.Terminated);
  });

  it('non-INVITE client: final response passed once, retransmissions absorbed, Timer K ends it', () => {
    const req = request('BYE');
    const tx = layer.sendRequest(req, TARGET, handlers);
    layer.receive(responseTo(req, 200));
    layer.receive(responseTo(req, 200));
    expect(responses).toHaveLength(1);
    clock.advance(5000);
    expect(tx.state).toBe(NonInviteClientState.Terminated);
  });

  it('client transport failure is a 503 to the TU', async () => {
    transport.failing = true;
    layer.sendRequest(request('INVITE'), TARGET, handlers);
    await Promise.resolve();
    await Promise.resolve();
    expect(failures.map((f) => f.status)).toEqual([503]);
    expect(layer.size.clients).toBe(0);
  });

  it('INVITE server: retransmissions absorbed, Timer G retransmits the final, ACK confirms, Timer I ends', () => {
    layer.receive(inbound(invite()));
    layer.receive(inbound(invite()));
    expect(received).toHaveLength(1);
    const tx = received[0]?.tx;
    if (!tx) throw new Error('no transaction');
    tx.respond(createResponse(tx.request, 100));
    layer.receive(inbound(invite()));
    expect(transport.summary()).toEqual(['100', '100']);
    tx.respond(createResponse(tx.request, 486, undefined, 'x'));
    clock.advance(500);
    clock.advance(1000);
    expect(transport.summary()).toEqual(['100', '100', '486', '486', '486']);
    const ack = wire([
      'ACK sip:1234@127.0.0.10:5060 SIP/2.0',
      'Via: SIP/2.0/UDP 127.0.0.30:5070;branch=z9hG4bK-test-1',
      'From: "Alice" <sip:alice@127.0.0.30:5070>;tag=a1',
      'To: <sip:1234@127.0.0.10:5060>;tag=x',
      'Call-ID: call-1@127.0.0.30',
      'CSeq: 1 ACK',
      'Content-Length: 0',
    ]);
    layer.receive(inbound(ack));
    expect(tx.state).toBe(InviteServerState.Confirmed);
    expect(received).toHaveLength(1);
    clock.advance(60000);
    expect(transport.summary()).toHaveLength(5);
    expect(tx.state).toBe(InviteServerState.Terminated);
    expect(layer.size.servers).toBe(0);
  });

  it('INVITE server: Timer H ends a Completed transaction that never sees an ACK', () => {
    layer.receive(inbound(invite()));
    const tx = received[0]?.tx;
    if (!tx) throw new Error('no transaction');
    tx.respond(createResponse(tx.request, 404, undefined, 'x'));
    clock.advance(32000);
    expect(tx.state).toBe(InviteServerState.Terminated);
    // G: 500, 1000, 2000, 4000 x6 ... all within 32 s.
    expect(transport.summary().filter((s) => s === '404').length).toBeGreaterThan(5);
  });

  it('INVITE server: a 2xx moves to Accepted, INVITE retransmissions are absorbed, ACK for 2xx goes to the TU', () => {
    layer.receive(inbound(invite()));
    const tx = received[0]?.tx;
    if (!tx) throw new Error('no transaction');
    tx.respond(createResponse(tx.request, 200, undefined, 'x'));
    layer.receive(inbound(invite()));
    expect(transport.summary()).toEqual(['200']);
    expect(tx.state).toBe(InviteServerState.Accepted);
    const ack2xx = wire([
      'ACK sip:1234@127.0.0.10:5060 SIP/2.0',
      'Via: SIP/2.0/UDP 127.0.0.30:5070;branch=z9hG4bK-other-branch',
      'From: "Alice" <sip:alice@127.0.0.30:5070>;tag=a1',
      'To: <sip:1234@127.0.0.10:5060>;tag=x',
      'Call-ID: call-1@127.0.0.30',
      'CSeq: 1 ACK',
      'Content-Length: 0',
    ]);
    layer.receive(inbound(ack2xx));
    expect(received.map((r) => [r.request.method, r.tx === undefined])).toEqual([['INVITE', false], ['ACK', true]]);
  });

  it('non-INVITE server: a retransmission after the final gets the final again; Timer J ends it', () => {
    const options = wire([
      'OPTIONS sip:sbc@127.0.0.10 SIP/2.0',
      'Via: SIP/2.0/UDP 127.0.0.30:5070;branch=z9hG4bKopt',
      'From: <sip:a@127.0.0.30>;tag=1',
      'To: <sip:sbc@127.0.0.10>',
      'Call-ID: opt-1',
      'CSeq: 1 OPTIONS',
      'Content-Length: 0',
    ]);
    layer.receive(inbound(options));
    layer.receive(inbound(options));
    expect(transport.summary()).toEqual([]);
    const tx = received[0]?.tx;
    if (!tx) throw new Error('no transaction');
    tx.respond(createResponse(tx.request, 200, undefined, 'x'));
    layer.receive(inbound(options));
    expect(transport.summary()).toEqual(['200', '200']);
    clock.advance(32000);
    expect(layer.size.servers).toBe(0);
  });

  it('a bare magic cookie is no transaction identifier (RFC 4475 3.2.1): two such requests are two transactions', () => {
    const options = (callId: string, cseq: number) =>
      wire([
        'OPTIONS sip:sbc@127.0.0.10 SIP/2.0',
        'Via: SIP/2.0/UDP 127.0.0.30:5070;branch=z9hG4bK',
        'From: <sip:a@127.0.0.30>;tag=1',
        'To: <sip:sbc@127.0.0.10>',
        `Call-ID: ${callId}`,
        `CSeq: ${cseq} OPTIONS`,
        'Content-Length: 0',
      ]);
    layer.receive(inbound(options('bare-1', 1)));
    layer.receive(inbound(options('bare-2', 7)));
    expect(received.map((r) => r.request.callId())).toEqual(['bare-1', 'bare-2']);
    // ...while a real retransmission of one of them is still absorbed.
    layer.receive(inbound(options('bare-1', 1)));
    expect(received).toHaveLength(2);
  });

  it('matches a CANCEL to its INVITE server transaction (RFC 3261 9.2)', () => {
    layer.receive(inbound(invite()));
    const cancel = parseMessage(wire([
      'CANCEL sip:1234@127.0.0.10:5060 SIP/2.0',
      'Via: SIP/2.0/UDP 127.0.0.30:5070;branch=z9hG4bK-test-1',
      'From: "Alice" <sip:alice@127.0.0.30:5070>;tag=a1',
      'To: <sip:1234@127.0.0.10:5060>',
      'Call-ID: call-1@127.0.0.30',
      'CSeq: 1 CANCEL',
      'Content-Length: 0',
    ]));
    if (cancel.kind !== 'request') throw new Error('not a request');
    expect(layer.findInviteForCancel(cancel)).toBe(received[0]?.tx);
  });
});
