/**
 * MediaAnchor against a fake rtpengine: a UDP responder speaking ng (cookie + bencode) that records
 * each command and answers as a test scripts it. Checks what the SBC asks rtpengine for and what it
 * does with the answers, without an rtpengine.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MediaAnchor } from '../src/media/media-anchor';
import { MediaError } from '../src/media/media-error';
import { bdecode, bencode, type NgDict } from '../../test/support/test-rtpengine';

type Command = NgDict;
/** A reply dictionary, or 'drop' to stay silent (a lost datagram). */
type Script = (cmd: Command) => Command | 'drop';

class FakeNg {
  readonly commands: Command[] = [];
  script: Script = () => ({ result: 'ok' });

  private constructor(private readonly socket: Socket) {
    socket.on('message', (msg, rinfo) => {
      const space = msg.indexOf(' ');
      const cookie = msg.subarray(0, space).toString();
      const cmd = bdecode(msg.subarray(space + 1)) as Command;
      this.commands.push(cmd);
      const reply = this.script(cmd);
      if (reply !== 'drop') socket.send(`${cookie} ${bencode(reply)}`, rinfo.port, rinfo.address);
    });
  }

  static async start(): Promise<FakeNg> {
    const socket = createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
    return new FakeNg(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  named(command: string): Command[] {
    return this.commands.filter((c) => c.command === command);
  }

  close(): Promise<void> {
    return new Promise((r) => this.socket.close(() => r()));
  }
}

const PUBLIC = '203.0.113.10';
const CORE = '10.20.0.10';

function sdp(address: string, mline: string, extra: string[] = []): string {
  return ['v=0', `o=someone 9 2 IN IP4 ${address}`, 's=talk', `c=IN IP4 ${address}`, 't=0 0', mline, ...extra, ''].join('\r\n');
}

const CALLER_OFFER = sdp('198.51.100.7', 'm=audio 40000 RTP/SAVP 9 0 8 18 101', [
  'a=rtpmap:9 G722/8000', 'a=rtpmap:18 G729/8000', 'a=rtpmap:101 telephone-event/8000',
  'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz',
]);

/** Answers offers/answers like rtpengine would: the SBC address of the target side in o= and c=. */
function rtpengineLike(cmd: Command): Command {
  if (cmd.command === 'offer') {
    const dir = cmd.direction as string[];
    const to = dir[1] === 'core' ? CORE : PUBLIC;
    const proto = cmd['transport-protocol'] as string;
    const crypto = proto === 'RTP/SAVP'
      ? ['a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:KVamkGuGlQdVQ2kI6Kx5ifNxmNBw905UsP3Fdv92psS8ROAtB50KTeYUP/odLA', 'a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:bPeMT45hMIv6NBf1SA3/B6WTnA8iWe42zQxrJ00X']
      : [];
    // As rtpengine does with `replace: origin, session-connection`: its address everywhere, its port, the
    // requested profile, the offerer's other lines kept.
    const lines = String(cmd.sdp).split('\r\n').filter((l) => l !== '' && !l.startsWith('a=crypto'))
      .map((l) => l.replace(/IN IP4 \S+/, `IN IP4 ${to}`).replace(/^m=audio \d+ \S+/, `m=audio 31000 ${proto}`));
    return { result: 'ok', sdp: [...lines, ...crypto, ''].join('\r\n') };
  }
  if (cmd.command === 'answer') {
    return { result: 'ok', sdp: sdp(PUBLIC, 'm=audio 31002 RTP/SAVP 0', ['a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:bhCztIygw2lpuzpR7NRXfeGqtJ043d22QW9IH6ls']) };
  }
  if (cmd.command === 'list') return { result: 'ok', calls: ['k1', 'k2'] };
  if (cmd.command === 'query') {
    if (cmd['call-id'] !== 'k1') return { result: 'error', 'error-reason': 'Unknown call-id' };
    return { result: 'ok', created: 1795421343, totals: { RTP: { packets: 100, bytes: 17200, errors: 0 }, RTCP: { packets: 2, bytes: 150, errors: 0 } } };
  }
  if (cmd.command === 'ping') return { result: 'pong' };
  return { result: 'ok' };
}

let ng: FakeNg;
let anchor: MediaAnchor;

beforeEach(async () => {
  ng = await FakeNg.start();
  ng.script = rtpengineLike;
  anchor = new MediaAnchor({ rtpengine: { host: '127.0.0.1', port: ng.port }, addresses: { public: PUBLIC, core: CORE }, timeoutMs: 200 });
});

afterEach(async () => {
  await anchor.close();
  await ng.close();
});

describe('MediaAnchor.offer', () => {
  it('sends the core a G.711-only, plain RTP offer from the SBC core address', async () => {
    const out = await anchor.offer('k1', CALLER_OFFER, { from: 'public', to: 'core', toTransport: 'udp', fromTag: 'ft1', callId: 'abc@caller' });
    const [cmd] = ng.named('offer');
    expect(cmd).toMatchObject({
      'call-id': 'k1', 'from-tag': 'ft1', direction: ['pub', 'core'], 'transport-protocol': 'RTP/AVP', DTLS: 'off', ICE: 'remove',
      replace: ['origin', 'session-connection'],
    });
    // rtpengine never even sees the codecs the core must not get.
    expect(String(cmd!.sdp)).toMatch(/m=audio 40000 RTP\/SAVP 0 8 101\r\n/);
    expect(out).toMatch(/m=audio 31000 RTP\/AVP 0 8 101/);
    expect(out).toContain(`o=- 9 2 IN IP4 ${CORE}`);
    expect(out).not.toMatch(/crypto|198\.51|G722|G729/);
    expect(anchor.session('k1')).toEqual({ callKey: 'k1', callId: 'abc@caller', from: 'public', to: 'core', encrypted: true });
  });

  it('refuses an offer without G.711 with 488 and asks rtpengine nothing', async () => {
    const g729 = sdp('198.51.100.7', 'm=audio 40000 RTP/AVP 18', ['a=rtpmap:18 G729/8000']);
    const err = await anchor.offer('k1', g729, { from: 'public', to: 'core', toTransport: 'udp', fromTag: 'ft1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediaError);
    expect(err).toMatchObject({ code: 'media-no-g711', status: 488 });
    expect(ng.commands).toEqual([]);
    expect(anchor.sessionKeys()).toEqual([]);
  });

  it('refuses an unreadable SDP with 488', async () => {
    await expect(anchor.offer('k1', 'garbage', { from: 'public', to: 'core', toTransport: 'udp', fromTag: 'ft1' }))
      .rejects.toMatchObject({ code: 'media-sdp-invalid', status: 488 });
  });

  it('offers SRTP with one suite towards a public TLS leg even when the core offered plain RTP', async () => {
    const coreOffer = sdp('10.20.0.21', 'm=audio 40000 RTP/AVP 0 8');
    const out = await anchor.offer('k2', coreOffer, { from: 'core', to: 'public', toTransport: 'tls', fromTag: 'ct' });
    expect(ng.named('offer')[0]).toMatchObject({ direction: ['core', 'pub'], 'transport-protocol': 'RTP/SAVP', SDES: expect.arrayContaining(['no-AES_256_CM_HMAC_SHA1_80']) });
    expect(out).toMatch(/m=audio 31000 RTP\/SAVP 0 8/);
    expect(out.match(/a=crypto:.*/g)).toEqual(['a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:bPeMT45hMIv6NBf1SA3/B6WTnA8iWe42zQxrJ00X']);
    expect(out).toContain(`o=- 9 2 IN IP4 ${PUBLIC}`);
    expect(anchor.session('k2')?.encrypted).toBe(true);
  });

  it('fails with 500 and releases the call when rtpengine answers with another address', async () => {
    ng.script = (cmd): Command => (cmd.command === 'offer' ? { result: 'ok', sdp: sdp('10.20.0.99', 'm=audio 31000 RTP/AVP 0') } : { result: 'ok' });
    await expect(anchor.offer('k1', CALLER_OFFER, { from: 'public', to: 'core', toTransport: 'udp', fromTag: 'ft1' }))
      .rejects.toMatchObject({ code: 'media-policy-breach', status: 500 });
    expect(ng.named('delete')).toMatchObject([{ 'call-id': 'k1' }]);
    expect(anchor.sessionKeys()).toEqual([]);
  });

  it('maps an rtpengine error to 503 with its reason', async () => {
    ng.script = () => ({ result: 'error', 'error-reason': 'Ran out of ports' });
    await expect(anchor.offer('k1', CALLER_OFFER, { from: 'public', to: 'core', toTransport: 'udp', fromTag: 'ft1' }))
      .rejects.toThrow(/Ran out of ports/);
  });

  it('retries once after a lost datagram, then gives up with 503', async () => {
    let n = 0;
    ng.script = (cmd) => (cmd.command === 'offer' && n++ === 0 ? 'drop' : rtpengineLike(cmd));
    await expect(anchor.offer('k1', CALLER_OFFER, { from: 'public', to: 'core', toTransport: 'udp', fromTag: 'ft1' })).resolves.toContain('RTP/AVP');
    expect(ng.named('offer')).toHaveLength(2);

    ng.script = (cmd) => (cmd.command === 'offer' ? 'drop' : { result: 'ok' });
    await expect(anchor.offer('k3', CALLER_OFFER, { from: 'public', to: 'core', toTransport: 'udp', fromTag: 'ft1' }))
      .rejects.toMatchObject({ code: 'media-rtpengine-timeout', status: 503 });
  });
});

describe('MediaAnchor.answer', () => {
  it('answers the caller from the SBC public address, rejected streams restored', async () => {
    const withVideo = CALLER_OFFER.replace('t=0 0\r\n', 't=0 0\r\nm=video 5000 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n');
    await anchor.offer('k1', withVideo, { from: 'public', to: 'core', toTransport: 'udp', fromTag: 'ft1' });
    const coreAnswer = sdp('10.20.0.21', 'm=audio 40000 RTP/AVP 0', ['s=core-pbx.example.internal']);
    const out = await anchor.answer('k1', coreAnswer, { toTag: 'tt1' });
    expect(ng.named('answer')[0]).toMatchObject({ 'call-id': 'k1', 'from-tag': 'ft1', 'to-tag': 'tt1', replace: ['origin', 'session-connection'] });
    expect(out).toMatch(/m=video 0 RTP\/AVP 96\r\nm=audio 31002 RTP\/SAVP 0\r\n/);
    expect(out).toContain(`o=- 9 2 IN IP4 ${PUBLIC}`);
    expect(out).not.toMatch(/10\.20\.0|core-pbx/);
  });

  it('refuses an answer for a call it never saw an offer for', async () => {
    await expect(anchor.answer('nope', CALLER_OFFER, { toTag: 't' })).rejects.toMatchObject({ code: 'media-unknown-call' });
  });
});

describe('MediaAnchor.delete, list, query, ping', () => {
  it('deletes once, and never throws even when rtpengine is silent', async () => {
    await anchor.offer('k1', CALLER_OFFER, { from: 'public', to: 'core', toTransport: 'udp', fromTag: 'ft1' });
    ng.script = () => 'drop';
    await expect(anchor.delete('k1')).resolves.toBeUndefined();
    await anchor.delete('k1');
    expect(ng.named('delete')).toHaveLength(2); // one command, retried once; the second delete is a no-op
    expect(anchor.sessionKeys()).toEqual([]);
  });

  it('lists rtpengine calls and reads a call counters', async () => {
    expect(await anchor.list()).toEqual(['k1', 'k2']);
    const stats = await anchor.query('k1');
    expect(stats?.rtp).toEqual({ packets: 100, bytes: 17200, errors: 0 });
    expect(stats?.createdAt?.getTime()).toBe(1795421343000);
    expect(await anchor.query('gone')).toBeUndefined();
    expect(await anchor.ping()).toBe(true);
  });

  it('close() deletes the calls still anchored', async () => {
    await anchor.offer('k1', CALLER_OFFER, { from: 'public', to: 'core', toTransport: 'udp', fromTag: 'ft1' });
    await anchor.offer('k2', CALLER_OFFER, { from: 'public', to: 'core', toTransport: 'udp', fromTag: 'ft2' });
    await anchor.close();
    expect(ng.named('delete').map((c) => c['call-id']).sort()).toEqual(['k1', 'k2']);
  });
});
