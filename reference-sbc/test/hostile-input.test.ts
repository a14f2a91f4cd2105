import { describe, expect, it } from 'vitest';
import { storableText } from '../src/cdr/record';
import { CdrAssembler } from '../src/cdr/assembler';
import { silentLogger } from '../src/logger';
import { Metrics } from '../src/metrics';
import { ScannerFilter } from '../src/policy/security/scanner-filter';
import { checkDialogStart } from '../src/policy/dispatch/request-checks';
import { regenerateDisplayName } from '../src/dialog/leg-request';
import { SipParseError } from '../src/errors';
import type { SipRequest } from '../src/sip/message';
import { checkMessageLimits, DEFAULT_MESSAGE_LIMITS } from '../src/sip/message-limits';
import { parseMessage } from '../src/sip/parser';
import { sdpProblem } from '../src/sip/sdp-validation';
import { TransportLayer } from '../src/transport/transport-layer';
import type { Endpoint, Inbound, Listener } from '../src/transport/types';
import { invite, wire } from './helpers/messages';
import { CALLER, Stack } from './helpers/stack';
import { FakeClock } from './helpers/fake-clock';
import { watchMedia } from '../src/policy/invite/media-watch';
import { Timers } from '../src/transaction/timers';

/**
 * Issue 11: hostile input gets a precise answer, never reaches the core, never loses a CDR, never
 * leaves a call open. One block per class, each at the layer where the fix lives.
 */

const SDP = ['v=0', 'o=- 1 1 IN IP4 127.0.0.30', 's=-', 'c=IN IP4 127.0.0.30', 't=0 0', 'm=audio 4000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', ''].join('\r\n');

/** A listener that records what the transport sends and lets the test inject datagrams. */
class FakeListener implements Listener {
  readonly protocol = 'udp' as const;
  readonly local: Endpoint;
  readonly sent: string[] = [];
  readonly to: Endpoint[] = [];
  private handler: ((data: Buffer, source: Endpoint) => void) | undefined;
  constructor(readonly zone: string, address: string) {
    this.local = { address, port: 5060 };
  }
  listen(): Promise<void> {
    return Promise.resolve();
  }
  send(data: Buffer, to: Endpoint): Promise<void> {
    this.sent.push(data.toString('latin1'));
    this.to.push(to);
    return Promise.resolve();
  }
  onData(handler: (data: Buffer, source: Endpoint) => void): void {
    this.handler = handler;
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  inject(data: Buffer): void {
    this.handler?.(data, CALLER);
  }
}

function transportWithLimits(): { layer: TransportLayer; pub: FakeListener; core: FakeListener; delivered: Inbound[] } {
  const layer = new TransportLayer({ log: silentLogger, metrics: new Metrics(), maxMessageBytes: 65535, limits: DEFAULT_MESSAGE_LIMITS, guardedZones: ['core'] });
  const pub = new FakeListener('public', '127.0.0.10');
  const core = new FakeListener('core', '127.0.0.11');
  layer.add(pub);
  layer.add(core);
  const delivered: Inbound[] = [];
  layer.onMessage((i) => delivered.push(i));
  return { layer, pub, core, delivered };
}

async function settle(): Promise<void> {
  await new Promise((r) => setImmediate(r));
}

describe('1. size limits towards the core', () => {
  it('answers an INVITE with a 33 KB display name 400 and hands nothing to the layers above', async () => {
    const { pub, delivered } = transportWithLimits();
    const big = invite({ extra: [] }).toString('latin1').replace('"Alice"', `"${'A'.repeat(33 * 1024)}"`);
    pub.inject(Buffer.from(big, 'latin1'));
    await settle();
    expect(delivered).toHaveLength(0);
    expect(pub.sent[0]).toMatch(/^SIP\/2\.0 400 Header Too Long \(From: \d+ > 1024 bytes\)/);
  });

  it('refuses too many headers, too large a header section, a long Request-URI and a large body', () => {
    const many = parseMessage(invite({ extra: Array.from({ length: 300 }, (_, i) => `X-H${i}: v`) }));
    expect(checkMessageLimits(many, DEFAULT_MESSAGE_LIMITS)?.reason).toMatch(/^Too Many Headers/);
    const section = parseMessage(invite({ extra: Array.from({ length: 10 }, (_, i) => `X-H${i}: ${'v'.repeat(1000)}`) }));
    expect(checkMessageLimits(section, DEFAULT_MESSAGE_LIMITS)?.reason).toMatch(/^Headers Too Large/);
    const uri = parseMessage(Buffer.from(invite().toString('latin1').replace('sip:1234@', `sip:${'1'.repeat(1100)}@`), 'latin1'));
    expect(checkMessageLimits(uri, DEFAULT_MESSAGE_LIMITS)?.status).toBe(414);
    const body = parseMessage(invite({ body: `${SDP}a=x:${'y'.repeat(20000)}\r\n` }));
    expect(checkMessageLimits(body, DEFAULT_MESSAGE_LIMITS)?.status).toBe(413);
    expect(checkMessageLimits(parseMessage(invite({ body: SDP })), DEFAULT_MESSAGE_LIMITS)).toBeUndefined();
  });

  it('never sends a message over the limits into a guarded zone', async () => {
    const { layer, core } = transportWithLimits();
    const req = parseMessage(invite({ extra: [`X-Big: ${'b'.repeat(2000)}`] }));
    await expect(layer.send(req, { zone: 'core', protocol: 'udp', endpoint: { address: '127.0.0.21', port: 5060 } })).rejects.toThrow(/over the limits/);
    expect(core.sent).toHaveLength(0);
  });

  it('regenerates display names: control characters gone, cut, re-quoted', () => {
    expect(regenerateDisplayName(`Eve\r\nVia: x ${'z'.repeat(500)}`, 64)).toBe(`Eve Via: x ${'z'.repeat(53)}`);
    expect(regenerateDisplayName('\x00\x01', 64)).toBeUndefined();
    // Bytes that are not UTF-8 become U+FFFD (as UTF-8 bytes in the latin1 header text); a cut keeps whole characters.
    expect(regenerateDisplayName('\xff\xfeA', 64)).toBe(Buffer.from('\ufffd\ufffdA', 'utf8').toString('latin1'));
    expect(regenerateDisplayName(Buffer.from('ééé', 'utf8').toString('latin1'), 2)).toBe(Buffer.from('éé', 'utf8').toString('latin1'));
  });

  it('carries to the core only allow-listed headers and a bounded, re-quoted display name', async () => {
    const stack = new Stack({ forwardHeaders: ['X-Account'] });
    const name = `Q"uote\\d ${'n'.repeat(200)}`;
    const msg = invite({ extra: ['X-Account: 42', 'X-Secret: leak', 'Subject: hi'] }).toString('latin1').replace('"Alice"', `"${name.replace(/(["\\])/g, '\\$1')}"`);
    await stack.fromCaller(Buffer.from(msg, 'latin1'));
    const out = stack.requestTo('INVITE', '127.0.0.21');
    expect(out.headers.get('x-account')).toBe('42');
    expect(out.headers.has('x-secret')).toBe(false);
    expect(out.headers.has('subject')).toBe(false);
    expect(out.from().displayName).toBe(name.slice(0, 64));
  });
});

describe('2. the caller\'s unusable SDP is 488 before media anchoring', () => {
  const variants: Array<[string, string]> = [
    ['v=1', SDP.replace('v=0', 'v=1')],
    ['bad c=', SDP.replace('c=IN IP4 127.0.0.30', 'c=IN IP4 999.1.1.1')],
    ['m= port', SDP.replace('m=audio 4000', 'm=audio 70000')],
    ['negative clock rate', SDP.replace('PCMU/8000', 'PCMU/-8000')],
    ['zero clock rate', SDP.replace('PCMU/8000', 'PCMU/0')],
    ['no m=', SDP.split('\r\n').filter((l) => !l.startsWith('m=') && !l.startsWith('a=')).join('\r\n')],
    ['no c=', SDP.replace('c=IN IP4 127.0.0.30\r\n', '')],
    ['payload type 300', SDP.replace('RTP/AVP 0', 'RTP/AVP 300')],
  ];
  it.each(variants)('finds the problem in an SDP with %s', (_what, sdp) => {
    expect(sdpProblem(sdp)).toBeDefined();
  });

  it('accepts a normal offer', () => {
    expect(sdpProblem(SDP)).toBeUndefined();
  });

  it('answers the INVITE 488 with a Warning naming the problem, never a 5xx', async () => {
    const stack = new Stack();
    await stack.fromCaller(invite({ body: SDP.replace('PCMU/8000', 'PCMU/-8000') }));
    expect(stack.sent('core')).toHaveLength(0);
    const final = stack.transport.sent.map((s) => s.message).find((m) => m.kind === 'response' && m.status >= 200);
    expect(final?.kind === 'response' ? final.status : 0).toBe(488);
    expect(final?.headers.get('warning')).toMatch(/^399 .*Invalid SDP: invalid a=rtpmap/);
  });
});

describe('3. headers the SBC needs later are validated on arrival', () => {
  it('refuses a Contact with unbalanced angle brackets and a Via with port 0 with 400', async () => {
    const { pub, delivered } = transportWithLimits();
    pub.inject(Buffer.from(invite().toString('latin1').replace('Contact: <sip:alice@127.0.0.30:5070>', 'Contact: <sip:alice@127.0.0.30:5070'), 'latin1'));
    pub.inject(Buffer.from(invite().toString('latin1').replace('Max-Forwards', 'Via: SIP/2.0/UDP 127.0.0.31:0;branch=z9hG4bKx\r\nMax-Forwards'), 'latin1'));
    pub.inject(Buffer.from(invite().toString('latin1').replace('Max-Forwards', 'Record-Route: <sip:rr@127.0.0.31\r\nMax-Forwards'), 'latin1'));
    await settle();
    expect(delivered).toHaveLength(0);
    expect(pub.sent.map((s) => s.split(' ')[1])).toEqual(['400', '400', '400']);
  });

  it('accepts a REGISTER with Contact: *', () => {
    const reg = invite().toString('latin1').replace(/INVITE/g, 'REGISTER').replace('Contact: <sip:alice@127.0.0.30:5070>', 'Contact: *');
    expect(() => parseMessage(Buffer.from(reg, 'latin1'))).not.toThrow();
  });
});

describe('4. no CDR lost to NUL or control bytes', () => {
  it('refuses a Call-ID with a NUL byte on arrival', () => {
    expect(() => parseMessage(invite({ callId: 'a\x00b@h' }))).toThrow(SipParseError);
  });

  it('stores control characters escaped, distinctly from the escape text itself', () => {
    expect(storableText('12\x0034')).toBe('12\\x0034');
    expect(storableText('12\\x0034')).toBe('12\\\\x0034');
    expect(storableText('+31201234567')).toBe('+31201234567');
  });

  it('the assembler escapes numbers decoded from %00 in a URI', () => {
    const cdr = new CdrAssembler(silentLogger);
    cdr.accept({ kind: 'started', key: 'k', publicCallId: 'c@h', direction: 'inbound', attemptAt: new Date(), srcNumber: 'a\x00b', dstNumber: '1\x7f', remoteIp: '127.0.0.30', remotePort: 5070, transport: 'udp' });
    const record = cdr.accept({ kind: 'ended', key: 'k', endAt: new Date(), finalStatus: 486, endReason: 'rejected' });
    expect(record?.srcNumber).toBe('a\\x00b');
    expect(record?.dstNumber).toBe('1\\x7f');
  });
});

describe('5. every call ends', () => {
  it('refuses a dialog-creating INVITE whose CSeq leaves no room for its BYE', () => {
    const high = parseMessage(Buffer.from(invite().toString('latin1').replace('CSeq: 1 INVITE', `CSeq: ${2 ** 31 - 1} INVITE`), 'latin1')) as SipRequest;
    expect(checkDialogStart(high, 65536)?.status).toBe(400);
    expect(checkDialogStart(parseMessage(invite()) as SipRequest, 65536)).toBeUndefined();
  });

  it('ends an answered call after the maximum call duration with a BYE on both legs', async () => {
    const stack = new Stack({ calls: { maxDurationS: 60 } });
    await stack.fromCaller(invite({ body: SDP }));
    const out = stack.requestTo('INVITE', '127.0.0.21');
    await stack.fromCore(stack.answer(out, 200), { address: '127.0.0.21', port: 5060 });
    const ok = stack.transport.sent.map((s) => s.message).find((m) => m.kind === 'response' && m.status === 200);
    const toTag = ok?.to().params.find((p) => p.name === 'tag')?.value ?? '';
    await stack.fromCaller(wire([
      'ACK sip:1234@127.0.0.10:5060 SIP/2.0', 'Via: SIP/2.0/UDP 127.0.0.30:5070;branch=z9hG4bK-ack-1', 'Max-Forwards: 70',
      'From: "Alice" <sip:alice@127.0.0.30:5070>;tag=a1', `To: <sip:1234@127.0.0.10:5060>;tag=${toTag}`, 'Call-ID: call-1@127.0.0.30', 'CSeq: 1 ACK', 'Content-Length: 0',
    ]));
    stack.clock.advance(59_000);
    expect(stack.sent('core').filter((s) => s.what === 'BYE')).toHaveLength(0);
    stack.clock.advance(2_000);
    // Unanswered here, so each BYE is retransmitted: at least one on each leg.
    expect(stack.sent('core').filter((s) => s.what === 'BYE').length).toBeGreaterThan(0);
    expect(stack.sent('public').filter((s) => s.what === 'BYE').length).toBeGreaterThan(0);
    expect(stack.events.at(-1)).toMatchObject({ kind: 'ended', endReason: 'max-duration' });
  });
});

describe('5. media inactivity ends a call', () => {
  const watch = (counts: Array<number | undefined | Error>): { clock: FakeClock; ended: string[] } => {
    const clock = new FakeClock();
    const ended: string[] = [];
    let i = 0;
    watchMedia({
      timers: new Timers({ t1: 500, t2: 4000, t4: 5000 }, clock), intervalMs: 30_000, log: silentLogger,
      packets: () => {
        const c = counts[Math.min(i++, counts.length - 1)];
        return c instanceof Error ? Promise.reject(c) : Promise.resolve(c);
      },
      onInactive: (why) => ended.push(why),
    });
    return { clock, ended };
  };
  const tick = async (clock: FakeClock): Promise<void> => {
    clock.advance(30_000);
    await settle();
  };

  it('keeps a call whose packets keep flowing, ends it when they stop', async () => {
    const { clock, ended } = watch([10, 20, 20]);
    await tick(clock);
    await tick(clock);
    expect(ended).toEqual([]);
    await tick(clock);
    expect(ended).toEqual(['no media for 30000 ms']);
  });

  it('ends a call the relay no longer knows, but not one it could not ask about', async () => {
    const gone = watch([undefined]);
    await tick(gone.clock);
    expect(gone.ended).toEqual(['the media relay no longer knows the call']);
    const down = watch([new Error('rtpengine timeout'), 5, 9]);
    await tick(down.clock);
    await tick(down.clock);
    await tick(down.clock);
    expect(down.ended).toEqual([]);
  });
});

describe('6. filters work on the unfolded value', () => {
  it('recognises a scanner whose User-Agent value is on a continuation line', () => {
    const filter = new ScannerFilter();
    expect(filter.match(invite({ extra: ['User-Agent:', '   friendly-scanner'] }))).toBe('friendly-scanner');
    expect(filter.match(invite({ extra: ['User-Agent: Polycom', 'User-Agent: sipvicious'] }))).toBe('sipvicious');
    expect(filter.match(invite({ extra: ['User-Agent: Linphone', ' 5.0'] }))).toBeUndefined();
  });
});

describe('7. a 400 wherever the top Via is readable', () => {
  const cases: Array<[string, (s: string) => string]> = [
    ['whitespace in the request line', (s) => s.replace('INVITE sip:1234@127.0.0.10:5060 SIP/2.0', 'INVITE  sip:1234@127.0.0.10:5060  SIP/2.0')],
    ['no From', (s) => s.replace(/From: [^\r]*\r\n/, '')],
    ['a method that is a token but not letters', (s) => s.replace(/INVITE/g, 'INV1TE-X').replace('CSeq: 1 INV1TE-X', 'CSeq: 1 INVITE')],
    ['a broken second Via', (s) => s.replace('Max-Forwards', 'Via: SIP/2.0/UDP\r\nMax-Forwards')],
    ['a header line without colon', (s) => s.replace('Max-Forwards: 70', 'Max-Forwards 70')],
    ['a top Via with port 0', (s) => s.replace('127.0.0.30:5070;branch', '127.0.0.30:0;branch')],
  ];
  it.each(cases)('answers %s with 400 to the source', async (_what, mutate) => {
    const { pub, delivered } = transportWithLimits();
    pub.inject(Buffer.from(mutate(invite().toString('latin1')), 'latin1'));
    await settle();
    expect(delivered).toHaveLength(0);
    expect(pub.sent).toHaveLength(1);
    expect(pub.sent[0]).toMatch(/^SIP\/2\.0 400 /);
    expect(pub.sent[0]).toMatch(/received=127\.0\.0\.30;rport=5070/);
    expect(pub.to).toEqual([CALLER]);
  });

  it('still drops what has no readable top Via, and never answers an ACK', async () => {
    const { pub } = transportWithLimits();
    pub.inject(Buffer.from(invite().toString('latin1').replace(/Via: [^\r]*/, 'Via: garbage'), 'latin1'));
    pub.inject(Buffer.from(invite().toString('latin1').replace(/INVITE/g, 'ACK').replace(/From: [^\r]*\r\n/, ''), 'latin1'));
    await settle();
    expect(pub.sent).toHaveLength(0);
  });
});
