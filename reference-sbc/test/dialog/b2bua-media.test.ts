import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config';
import { CallEvents, type CallEvent } from '../../src/events';
import { silentLogger } from '../../src/logger';
import { Metrics } from '../../src/metrics';
import type { MediaPort, MediaZone } from '../../src/policy/invite/media-steps';
import { createResponse, type SipMessage, type SipRequest } from '../../src/sip/message';
import { parseMessage } from '../../src/sip/parser';
import { serializeMessage } from '../../src/sip/serializer';
import { createSignalling } from '../../src/signalling';
import { Timers } from '../../src/transaction/timers';
import type { Endpoint, Protocol } from '../../src/transport/types';
import { FakeClock } from '../helpers/fake-clock';
import { FakeTransport } from '../helpers/fake-transport';
import { invite, wire } from '../helpers/messages';

/** Every SDP crossing the B2BUA goes through the media port (offer/answer), in both directions. */
class StackTransport extends FakeTransport {
  local(zone: string, protocol: Protocol): Endpoint | undefined {
    if (protocol !== 'udp') return undefined;
    return zone === 'public' ? { address: '127.0.0.10', port: 5060 } : { address: '127.0.0.11', port: 5060 };
  }
}

const sdp = (name: string): string => `v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=${name}\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n`;

class FakeMedia implements MediaPort {
  readonly calls: string[] = [];
  offer(key: string, _sdp: string, o: { from: MediaZone; to: MediaZone; toTransport: 'udp' | 'tls'; fromTag: string }): Promise<string> {
    this.calls.push(`offer ${o.from}->${o.to} ${o.fromTag}`);
    return Promise.resolve(sdp(`offer-${o.from}-${o.to}-${o.fromTag}`));
  }
  answer(_key: string, _sdp: string, o: { toTag: string }): Promise<string> {
    this.calls.push(`answer ${o.toTag}`);
    return Promise.resolve(sdp(`answer-${o.toTag}`));
  }
  delete(): Promise<void> {
    this.calls.push('delete');
    return Promise.resolve();
  }
  session(): { encrypted: boolean } {
    return { encrypted: true };
  }
}

const sessionName = (m: SipMessage): string | undefined => /s=([^\r\n]*)/.exec(m.body.toString())?.[1];

describe('B2BUA with media anchoring', () => {
  it('rewrites offers and answers of the call, re-INVITEs both ways and UPDATE; strips SDP elsewhere', async () => {
    const clock = new FakeClock();
    const transport = new StackTransport();
    const media = new FakeMedia();
    const events: CallEvent[] = [];
    const callEvents = new CallEvents();
    callEvents.on((e) => events.push(e));
    const config = validateConfig({
      zones: { public: { address: '127.0.0.10', udp: 5060 }, core: { address: '127.0.0.11', udp: 5060 } },
      coreServers: [{ host: '127.0.0.21', port: 5060 }],
      admin: { socket: '/tmp/unused.sock' },
    });
    const sig = createSignalling(config, {
      transport, timers: new Timers({ t1: 500, t2: 4000, t4: 5000 }, clock), events: callEvents, metrics: new Metrics(), log: silentLogger,
      media: { port: media, check: () => ({ ok: true }) },
    });
    const flush = async (): Promise<void> => { for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r)); };
    const fromCaller = async (data: Buffer): Promise<void> => {
      sig.receive({ message: parseMessage(data), zone: 'public', protocol: 'udp', source: { address: '127.0.0.30', port: 5070 }, local: { address: '127.0.0.10', port: 5060 } });
      await flush();
    };
    const fromCallerMessage = async (m: SipMessage): Promise<void> => {
      sig.receive({ message: parseMessage(serializeMessage(m)), zone: 'public', protocol: 'udp', source: { address: '127.0.0.30', port: 5070 }, local: { address: '127.0.0.10', port: 5060 } });
      await flush();
    };
    const fromCore = async (m: SipMessage): Promise<void> => {
      sig.receive({ message: parseMessage(serializeMessage(m)), zone: 'core', protocol: 'udp', source: { address: '127.0.0.21', port: 5060 }, local: { address: '127.0.0.11', port: 5060 } });
      await flush();
    };
    const last = (zone: string, what: string): SipMessage => {
      const found = transport.sent.filter((s) => s.target.zone === zone && (s.message.kind === 'request' ? s.message.method : String(s.message.status)) === what).pop();
      if (!found) throw new Error(`nothing like ${what} sent to ${zone}`);
      return found.message;
    };
    const withSdp = <T extends SipMessage>(m: T, name: string): T => {
      m.headers.set('Content-Type', 'application/sdp');
      m.body = Buffer.from(sdp(name));
      return m;
    };

    await fromCaller(invite({ body: sdp('caller') }));
    const bInvite = last('core', 'INVITE') as SipRequest;
    expect(sessionName(bInvite)).toBe('offer-public-core-a1');
    const ok = withSdp(createResponse(bInvite, 200, undefined, 'coretag'), 'core');
    ok.headers.append('Contact', '<sip:127.0.0.21:5060>');
    await fromCore(ok);
    expect(sessionName(last('public', '200'))).toBe('answer-coretag');
    expect(events.find((e) => e.kind === 'answered')).toMatchObject({ mediaEncrypted: true });
    const aTag = last('public', '200').to().params.find((p) => p.name === 'tag')?.value ?? '';
    const inDialog = (method: string, seq: number, body?: string): Buffer => wire([
      `${method} sip:127.0.0.10:5060 SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.30:5070;branch=z9hG4bK-${method}-${seq}`,
      'Max-Forwards: 70',
      'From: "Alice" <sip:alice@127.0.0.30:5070>;tag=a1',
      `To: <sip:1234@127.0.0.10:5060>;tag=${aTag}`,
      'Call-ID: call-1@127.0.0.30',
      `CSeq: ${seq} ${method}`,
      'Contact: <sip:alice@127.0.0.30:5070>',
      ...(body === undefined ? [] : ['Content-Type: application/sdp']),
      `Content-Length: ${body === undefined ? 0 : Buffer.byteLength(body)}`,
    ], body ?? '');
    await fromCaller(inDialog('ACK', 1));

    // re-INVITE from the caller.
    await fromCaller(inDialog('INVITE', 2, sdp('caller-2')));
    const reinvite = last('core', 'INVITE') as SipRequest;
    expect(sessionName(reinvite)).toBe('offer-public-core-a1');
    const reOk = withSdp(createResponse(reinvite, 200), 'core-2');
    reOk.headers.append('Contact', '<sip:127.0.0.21:5060>');
    await fromCore(reOk);
    expect(sessionName(last('public', '200'))).toBe('answer-coretag');
    await fromCaller(inDialog('ACK', 2));
    expect(last('core', 'ACK').cseq().seq).toBe(reinvite.cseq().seq);

    // re-INVITE from the core.
    const coreReinvite = withSdp(parseMessage(wire([
      'INVITE sip:127.0.0.11:5060 SIP/2.0',
      'Via: SIP/2.0/UDP 127.0.0.21:5060;branch=z9hG4bK-core-reinvite',
      'Max-Forwards: 70',
      'From: <sip:1234@127.0.0.21:5060>;tag=coretag',
      `To: ${bInvite.headers.get('from') ?? ''}`,
      `Call-ID: ${bInvite.callId()}`,
      'CSeq: 7 INVITE',
      'Contact: <sip:127.0.0.21:5060>',
      'Content-Length: 0',
    ])) as SipRequest, 'core-3');
    await fromCore(coreReinvite);
    const toCaller = last('public', 'INVITE') as SipRequest;
    expect(sessionName(toCaller)).toBe('offer-core-public-coretag');
    const callerOk = withSdp(createResponse(toCaller, 200), 'caller-3');
    callerOk.headers.append('Contact', '<sip:alice@127.0.0.30:5070>');
    await fromCallerMessage(callerOk);
    const coreOk = last('core', '200');
    expect(coreOk.cseq().method).toBe('INVITE');
    expect(sessionName(coreOk)).toBe('answer-a1');
    await fromCore(parseMessage(wire([
      'ACK sip:127.0.0.11:5060 SIP/2.0',
      'Via: SIP/2.0/UDP 127.0.0.21:5060;branch=z9hG4bK-core-reinvite-ack',
      'Max-Forwards: 70',
      'From: <sip:1234@127.0.0.21:5060>;tag=coretag',
      `To: ${bInvite.headers.get('from') ?? ''}`,
      `Call-ID: ${bInvite.callId()}`,
      'CSeq: 7 ACK',
      'Content-Length: 0',
    ])));
    expect(last('public', 'ACK').cseq().seq).toBe(toCaller.cseq().seq);

    // An SDP in an OPTIONS answer would show the caller the core's addresses: not carried.
    await fromCaller(inDialog('OPTIONS', 3));
    await fromCore(withSdp(createResponse(last('core', 'OPTIONS') as SipRequest, 200), 'core-capabilities'));
    const optionsOk = last('public', '200');
    expect(optionsOk.cseq().method).toBe('OPTIONS');
    expect(optionsOk.body.length).toBe(0);

    // UPDATE with an offer: rewritten both ways.
    await fromCaller(inDialog('UPDATE', 4, sdp('caller-4')));
    const update = last('core', 'UPDATE') as SipRequest;
    expect(sessionName(update)).toBe('offer-public-core-a1');
    await fromCore(withSdp(createResponse(update, 200), 'core-4'));
    expect(sessionName(last('public', '200'))).toBe('answer-coretag');

    await fromCaller(inDialog('BYE', 5));
    expect(media.calls.at(-1)).toBe('delete');
    expect(sig.registry.size).toBe(0);
  });
});
