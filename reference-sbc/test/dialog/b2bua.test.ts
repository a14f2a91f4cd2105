import { beforeEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config';
import { CallEvents, type CallEvent } from '../../src/events';
import { silentLogger } from '../../src/logger';
import { Metrics } from '../../src/metrics';
import { createResponse, type SipMessage, type SipRequest } from '../../src/sip/message';
import { parseMessage } from '../../src/sip/parser';
import { serializeMessage } from '../../src/sip/serializer';
import { createSignalling, type Signalling } from '../../src/signalling';
import { Timers } from '../../src/transaction/timers';
import type { Endpoint, Protocol } from '../../src/transport/types';
import { FakeClock } from '../helpers/fake-clock';
import { FakeTransport } from '../helpers/fake-transport';
import { invite, wire } from '../helpers/messages';

/** The B2BUA driven message by message through a fake transport and a fake clock. */
class StackTransport extends FakeTransport {
  local(zone: string, protocol: Protocol): Endpoint | undefined {
    if (protocol !== 'udp') return undefined;
    return zone === 'public' ? { address: '127.0.0.10', port: 5060 } : { address: '127.0.0.11', port: 5060 };
  }
}

const CALLER = { address: '127.0.0.30', port: 5070 };
const CORE_SERVER = { address: '127.0.0.21', port: 5060 };

function reparse(m: SipMessage): SipMessage {
  return parseMessage(serializeMessage(m));
}

function cancelFor(branch = 'z9hG4bK-test-1', callId = 'call-1@127.0.0.30'): Buffer {
  return wire([
    'CANCEL sip:1234@127.0.0.10:5060 SIP/2.0',
    `Via: SIP/2.0/UDP 127.0.0.30:5070;branch=${branch}`,
    'Max-Forwards: 70',
    'From: "Alice" <sip:alice@127.0.0.30:5070>;tag=a1',
    'To: <sip:1234@127.0.0.10:5060>',
    `Call-ID: ${callId}`,
    'CSeq: 1 CANCEL',
    'Content-Length: 0',
  ]);
}

describe('B2BUA call flows', () => {
  let clock: FakeClock;
  let transport: StackTransport;
  let sig: Signalling;
  let events: CallEvent[];
  let metrics: Metrics;

  const setup = (limits: Record<string, number> = {}): void => {
    clock = new FakeClock();
    transport = new StackTransport();
    events = [];
    metrics = new Metrics();
    const callEvents = new CallEvents();
    callEvents.on((e) => events.push(e));
    const config = validateConfig({
      zones: { public: { address: '127.0.0.10', udp: 5060 }, core: { address: '127.0.0.11', udp: 5060 } },
      coreServers: [{ host: '127.0.0.21', port: 5060 }],
      admin: { socket: '/tmp/unused.sock' },
      limits,
    });
    sig = createSignalling(config, { transport, timers: new Timers({ t1: 500, t2: 4000, t4: 5000 }, clock), events: callEvents, metrics, log: silentLogger });
  };

  beforeEach(() => setup());

  const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  const fromCaller = async (data: Buffer): Promise<void> => {
    sig.receive({ message: parseMessage(data), zone: 'public', protocol: 'udp', source: CALLER, local: { address: '127.0.0.10', port: 5060 } });
    await flush();
  };
  const fromCore = async (m: SipMessage): Promise<void> => {
    sig.receive({ message: reparse(m), zone: 'core', protocol: 'udp', source: CORE_SERVER, local: { address: '127.0.0.11', port: 5060 } });
    await flush();
  };
  const sent = (zone: string): string[] => transport.sent
    .filter((s) => s.target.zone === zone)
    .map(({ message: m }) => (m.kind === 'request' ? m.method : `${m.status} ${m.cseq().method}`));
  const coreRequest = (method: string): SipRequest => {
    const found = transport.sent.filter((s) => s.target.zone === 'core' && s.message.kind === 'request' && s.message.method === method).pop();
    if (!found || found.message.kind !== 'request') throw new Error(`no ${method} sent to the core`);
    return found.message;
  };
  const coreAnswer = (status: number): SipMessage => {
    const res = createResponse(coreRequest('INVITE'), status, undefined, 'coretag');
    if (status < 300) res.headers.append('Contact', '<sip:127.0.0.21:5060>');
    return res;
  };
  const callerAck = (toTag: string): Buffer => wire([
    'ACK sip:127.0.0.10:5060 SIP/2.0',
    'Via: SIP/2.0/UDP 127.0.0.30:5070;branch=z9hG4bK-ack-1',
    'Max-Forwards: 70',
    'From: "Alice" <sip:alice@127.0.0.30:5070>;tag=a1',
    `To: <sip:1234@127.0.0.10:5060>;tag=${toTag}`,
    'Call-ID: call-1@127.0.0.30',
    'CSeq: 1 ACK',
    'Content-Length: 0',
  ]);
  const publicToTag = (): string => {
    const res = transport.sent.find((s) => s.target.zone === 'public' && s.message.kind === 'response' && s.message.status > 100);
    return res?.message.to().params.find((p) => p.name === 'tag')?.value ?? '';
  };
  /** The caller's INVITE answers above 100: status and the To tag the SBC gave its dialog. */
  const callerAnswers = (callId = 'call-1@127.0.0.30'): Array<[number, string | undefined]> => transport.sent
    .filter((s) => s.target.zone === 'public' && s.message.kind === 'response' && s.message.status > 100 && s.message.cseq().method === 'INVITE' && s.message.callId() === callId)
    .map(({ message: m }) => [m.kind === 'response' ? m.status : 0, m.to().params.find((p) => p.name === 'tag')?.value]);
  const refusedTransitions = (): string[] => metrics.render().split('\n').filter((l) => l.startsWith('sbc_call_state_refused_total{'));
  const endedReasons = (): unknown[] => events.filter((e) => e.kind === 'ended').map((e) => e.kind === 'ended' && [e.finalStatus, e.endReason]);

  /** A usable offer: the SBC's SDP validation (issue 11) refuses a stub one before routing. */
  const OFFER = 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';

  it('builds an independent core leg: fresh identifiers, nothing of the caller but users and body', async () => {
    await fromCaller(invite({ body: OFFER }));
    const b = coreRequest('INVITE');
    expect(b.uri).toBe('sip:1234@127.0.0.21:5060');
    expect(b.callId()).not.toBe('call-1@127.0.0.30');
    expect(b.headers.get('via')).toMatch(/^SIP\/2\.0\/UDP 127\.0\.0\.11:5060;branch=z9hG4bK/);
    expect(b.headers.get('from')).toMatch(/^"Alice" <sip:alice@127\.0\.0\.11>;tag=/);
    expect(b.headers.get('contact')).toBe('<sip:127.0.0.11:5060>');
    expect(b.headers.get('max-forwards')).toBe('69');
    expect(serializeMessage(b).toString()).not.toContain('127.0.0.30');
    expect(b.body.toString()).toBe(OFFER);
    expect(sent('public')).toEqual(['100 INVITE']);
  });

  it('absorbs a retransmitted INVITE: one core INVITE, the 100 repeated', async () => {
    await fromCaller(invite());
    await fromCaller(invite());
    expect(sent('core')).toEqual(['INVITE']);
    expect(sent('public')).toEqual(['100 INVITE', '100 INVITE']);
  });

  it('answers, ACKs end to end, absorbs the 2xx retransmission, relays BYE from the core, then forgets everything', async () => {
    await fromCaller(invite());
    await fromCore(coreAnswer(180));
    await fromCore(coreAnswer(200));
    await fromCore(coreAnswer(200));
    expect(sent('public')).toEqual(['100 INVITE', '180 INVITE', '200 INVITE']);
    await fromCaller(callerAck(publicToTag()));
    expect(sent('core')).toEqual(['INVITE', 'ACK']);
    await fromCore(coreAnswer(200));
    expect(sent('core')).toEqual(['INVITE', 'ACK', 'ACK']);
    const bye = coreRequest('ACK');
    const coreBye = parseMessage(wire([
      'BYE sip:127.0.0.11:5060 SIP/2.0',
      'Via: SIP/2.0/UDP 127.0.0.21:5060;branch=z9hG4bK-core-bye',
      'Max-Forwards: 70',
      `From: <sip:1234@127.0.0.21:5060>;tag=coretag`,
      `To: ${bye.headers.get('from') ?? ''}`,
      `Call-ID: ${bye.callId()}`,
      'CSeq: 9 BYE',
      'Content-Length: 0',
    ]));
    await fromCore(coreBye);
    expect(sent('core')).toContain('200 BYE');
    expect(sent('public')).toContain('BYE');
    expect(sig.registry.size).toBe(0);
    expect(endedReasons()).toEqual([[200, 'callee-bye']]);
    clock.advance(120_000);
    expect(sig.transactions.size).toEqual({ servers: 0, clients: 0 });
  });

  it('survives an unusable Contact from the core: in-dialog requests go to the core server it called', async () => {
    await fromCaller(invite());
    const ok = createResponse(coreRequest('INVITE'), 200, undefined, 'coretag');
    ok.headers.append('Contact', '<tel:+4930123>');
    await fromCore(ok);
    await fromCaller(callerAck(publicToTag()));
    const ack = transport.sent.filter((x) => x.target.zone === 'core').pop();
    expect(ack?.message.kind === 'request' && ack.message.method).toBe('ACK');
    expect(ack && 'endpoint' in ack.target ? ack.target.endpoint : undefined).toEqual(CORE_SERVER);
  });

  it('relays a rejection with its reason phrase, unless the phrase names an address', async () => {
    await fromCaller(invite());
    const busy = createResponse(coreRequest('INVITE'), 486, 'Busy Everywhere', 'coretag');
    busy.headers.append('Server', 'core-pbx 10.20.0.21');
    await fromCore(busy);
    const relayed = transport.sent.filter((x) => x.target.zone === 'public').pop()?.message;
    expect(relayed?.kind === 'response' && [relayed.status, relayed.reason]).toEqual([486, 'Busy Everywhere']);
    expect(relayed && serializeMessage(relayed).toString()).not.toContain('10.20.0.21');
    await fromCaller(invite({ branch: 'z9hG4bK-test-2', callId: 'call-2@127.0.0.30' }));
    await fromCore(createResponse(coreRequest('INVITE'), 503, 'Gateway 10.20.0.21 down', 'coretag'));
    const second = transport.sent.filter((x) => x.target.zone === 'public').pop()?.message;
    expect(second?.kind === 'response' && [second.status, second.reason]).toEqual([503, 'Service Unavailable']);
  });

  it('CANCEL/200 race: 487 to the caller, then ACK and BYE to the core that answered anyway', async () => {
    await fromCaller(invite());
    await fromCore(coreAnswer(180));
    await fromCaller(cancelFor());
    expect(sent('public')).toEqual(['100 INVITE', '180 INVITE', '200 CANCEL', '487 INVITE']);
    expect(sent('core')).toEqual(['INVITE', 'CANCEL']);
    await fromCore(coreAnswer(200));
    expect(sent('core')).toEqual(['INVITE', 'CANCEL', 'ACK', 'BYE']);
    expect(sent('public')).not.toContain('200 INVITE');
    expect(sig.registry.size).toBe(0);
    expect(endedReasons()).toEqual([[487, 'cancelled']]);
  });

  it('rejects the caller through one path: one final answer under the tag of its ringing, one end recorded', async () => {
    await fromCaller(invite());
    await fromCore(coreAnswer(180));
    await fromCore(coreAnswer(486));
    const tag = publicToTag();
    expect(tag).not.toBe('');
    expect(callerAnswers()).toEqual([[180, tag], [486, tag]]);
    expect(endedReasons()).toEqual([[486, 'rejected']]);
    // Timer C on a ringing call: 408 to the caller, CANCEL to the core; its late 200 cannot answer again.
    await fromCaller(invite({ branch: 'z9hG4bK-test-2', callId: 'call-2@127.0.0.30' }));
    await fromCore(coreAnswer(180));
    clock.advance(180_000);
    // The 408 is retransmitted to a caller that does not ACK it (RFC 3261 17.2.1); no other final.
    const second = (): number[] => [...new Set(callerAnswers('call-2@127.0.0.30').map(([status]) => status))];
    expect(second()).toEqual([180, 408]);
    expect(sent('core').slice(-1)).toEqual(['CANCEL']);
    await fromCore(coreAnswer(200));
    expect(second()).toEqual([180, 408]);
    expect(endedReasons()).toEqual([[486, 'rejected'], [408, 'timeout']]);
    expect(sig.registry.size).toBe(0);
    expect(refusedTransitions()).toEqual([]);
  });

  it('ends a core leg that answered after the caller left with ACK for its 2xx, then BYE, both in its dialog', async () => {
    await fromCaller(invite());
    await fromCore(coreAnswer(180));
    await fromCaller(cancelFor());
    const inv = coreRequest('INVITE');
    const ok = coreAnswer(200);
    ok.headers.set('Contact', '<sip:1234@127.0.0.21:5062>');
    await fromCore(ok);
    expect(sent('core')).toEqual(['INVITE', 'CANCEL', 'ACK', 'BYE']);
    const ack = coreRequest('ACK');
    const bye = coreRequest('BYE');
    for (const req of [ack, bye]) {
      // RFC 3261 12.2.1.1: in the dialog the 200 made: its Contact, Call-ID, our From tag, the core's To tag.
      expect(req.uri).toBe('sip:1234@127.0.0.21:5062');
      expect(req.callId()).toBe(inv.callId());
      expect(req.headers.get('from')).toBe(inv.headers.get('from'));
      expect(req.to().params.find((p) => p.name === 'tag')?.value).toBe('coretag');
    }
    // RFC 3261 13.2.2.4: the ACK of a 2xx carries the INVITE's CSeq number; the BYE a higher one.
    expect([ack.cseq().seq, ack.cseq().method]).toEqual([inv.cseq().seq, 'ACK']);
    expect(bye.cseq().seq).toBeGreaterThan(inv.cseq().seq);
    expect(ack.headers.get('via')).not.toBe(inv.headers.get('via'));
    expect(callerAnswers().map(([status]) => status)).toEqual([180, 487]);
    expect(refusedTransitions()).toEqual([]);
  });

  it('holds a CANCEL until the core sends a provisional (RFC 3261 9.1)', async () => {
    await fromCaller(invite());
    await fromCaller(cancelFor());
    expect(sent('core')).toEqual(['INVITE']);
    await fromCore(coreAnswer(180));
    expect(sent('core')).toEqual(['INVITE', 'CANCEL']);
    expect(sent('public')).not.toContain('180 INVITE');
    await fromCore(coreAnswer(487));
    expect(sent('core')).toEqual(['INVITE', 'CANCEL', 'ACK']);
    expect(sig.registry.size).toBe(0);
  });

  it('gives up a core leg that never answers its CANCEL, and cleans every transaction', async () => {
    await fromCaller(invite());
    await fromCore(coreAnswer(180));
    await fromCaller(cancelFor());
    expect(sig.registry.size).toBe(1);
    clock.advance(32_000);
    expect(sig.registry.size).toBe(0);
    clock.advance(120_000);
    expect(sig.transactions.size).toEqual({ servers: 0, clients: 0 });
  });

  it('retransmits the 2xx to a caller that never ACKs, then ends both legs', async () => {
    await fromCaller(invite());
    await fromCore(coreAnswer(200));
    clock.advance(500 + 1000 + 2000);
    expect(sent('public').filter((s) => s === '200 INVITE')).toHaveLength(4);
    clock.advance(32_000);
    expect(sent('public')).toContain('BYE');
    expect(sent('core')).toEqual(['INVITE', 'ACK', 'BYE']);
    expect(sig.registry.size).toBe(0);
    expect(endedReasons()).toEqual([[200, 'failed']]);
  });

  it('answers 408 when the core never responds (Timer B) and 503 when the core leg cannot be sent', async () => {
    await fromCaller(invite());
    clock.advance(32_000);
    expect(sent('public')).toContain('408 INVITE');
    expect(endedReasons()).toEqual([[408, 'timeout']]);
    transport.failing = true;
    await fromCaller(invite({ branch: 'z9hG4bK-test-2', callId: 'call-2@127.0.0.30' }));
    await flush();
    expect(endedReasons()).toEqual([[408, 'timeout'], [503, 'failed']]);
  });

  it('refuses new calls with 503 when the call table is full', async () => {
    setup({ maxCalls: 1 });
    await fromCaller(invite());
    await fromCaller(invite({ branch: 'z9hG4bK-test-2', callId: 'call-2@127.0.0.30' }));
    expect(sent('public')).toEqual(['100 INVITE', '100 INVITE', '503 INVITE']);
    expect(sig.registry.size).toBe(1);
  });
});
