/**
 * MediaAnchor against a real rtpengine (userspace, loopback): what the policies ask of it must be
 * what this rtpengine version does, and RTP must cross the anchored ports both ways. The "public"
 * interface is 127.0.0.40 and the "core" one 127.0.0.41. Skipped when rtpengine is not installed.
 */
import { randomInt } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaAnchor } from '../src/media/media-anchor';
import { haveRtpengine, startTestRtpengine, type TestRtpengine } from '../../test/support/test-rtpengine';

if (!haveRtpengine) console.warn('media-rtpengine.test.ts: rtpengine is not installed; skipping the integration tests');

const PUB = '127.0.0.40';
const CORE = '127.0.0.41';

function sdp(address: string, mline: string, extra: string[] = []): string {
  return ['v=0', `o=peer 100 1 IN IP4 ${address}`, 's=peer', `c=IN IP4 ${address}`, 't=0 0', mline, ...extra, 'a=sendrecv', ''].join('\r\n');
}

function mediaOf(text: string): { address: string; port: number; proto: string; formats: string[]; crypto: string[] } {
  const m = /^m=audio (\d+) (\S+) ([\d ]+)$/m.exec(text);
  const c = /^c=IN IP4 (\S+)$/m.exec(text);
  if (!m || !c) throw new Error(`no audio stream in\n${text}`);
  return {
    address: c[1]!,
    port: Number(m[1]),
    proto: m[2]!,
    formats: m[3]!.trim().split(' '),
    crypto: [...text.matchAll(/^a=crypto:(.*)$/gm)].map((x) => x[1]!.trim()),
  };
}

async function udp(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  return s;
}

function rtp(seq: number, payloadType = 0): Buffer {
  const b = Buffer.alloc(12 + 160, 0xd5);
  b[0] = 0x80;
  b[1] = payloadType;
  b.writeUInt16BE(seq, 2);
  b.writeUInt32BE(seq * 160, 4);
  b.writeUInt32BE(0x5eed, 8);
  return b;
}

/** Sends `count` packets 5 ms apart and collects what `to` receives, with the sender address. */
async function flow(from: Socket, dest: { address: string; port: number }, to: Socket, count: number): Promise<string[]> {
  const seen: string[] = [];
  const onMessage = (_msg: Buffer, rinfo: { address: string; port: number }): void => {
    seen.push(`${rinfo.address}:${rinfo.port}`);
  };
  to.on('message', onMessage);
  for (let i = 0; i < count; i++) {
    from.send(rtp(1000 + i), dest.port, dest.address);
    await new Promise((r) => setTimeout(r, 5));
  }
  await new Promise((r) => setTimeout(r, 200));
  to.off('message', onMessage);
  return seen;
}

describe.skipIf(!haveRtpengine)('MediaAnchor with a real rtpengine', () => {
  let rtpengine: TestRtpengine;
  let anchor: MediaAnchor;

  beforeAll(async () => {
    const ngPort = randomInt(20000, 29000);
    rtpengine = await startTestRtpengine({ interfaces: [`pub/${PUB}`, `core/${CORE}`], ngPort, portMin: randomInt(30000, 38000) });
    anchor = new MediaAnchor({ rtpengine: { host: '127.0.0.1', port: ngPort }, addresses: { public: PUB, core: CORE }, timeoutMs: 300 });
    if (!(await anchor.ping())) throw new Error(`rtpengine does not answer the anchor's ng ping: ${rtpengine.log()}`);
  }, 20000);

  afterAll(async () => {
    await anchor?.close();
    await rtpengine?.stop();
  });

  it('carries a UDP call: G.711 only to the core, RTP both ways through the anchored ports, nothing left after delete', async () => {
    const caller = await udp();
    const core = await udp();
    try {
      const callerOffer = sdp('127.0.0.1', `m=audio ${caller.address().port} RTP/AVP 9 0 8 111 18 101`, [
        'a=rtpmap:9 G722/8000', 'a=rtpmap:111 opus/48000/2', 'a=rtpmap:18 G729/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16',
      ]);
      const toCore = await anchor.offer('it-udp', callerOffer, { from: 'public', to: 'core', toTransport: 'udp', fromTag: 'caller-tag', callId: 'c1@test' });
      const coreSide = mediaOf(toCore);
      expect(coreSide).toMatchObject({ address: CORE, proto: 'RTP/AVP', formats: ['0', '8', '101'], crypto: [] });
      expect(toCore).toMatch(new RegExp(`^o=- 100 1 IN IP4 ${CORE.replace(/\./g, '\\.')}$`, 'm'));

      const coreAnswer = sdp('127.0.0.1', `m=audio ${core.address().port} RTP/AVP 0`);
      const toCaller = await anchor.answer('it-udp', coreAnswer, { toTag: 'core-tag' });
      const publicSide = mediaOf(toCaller);
      expect(publicSide).toMatchObject({ address: PUB, proto: 'RTP/AVP', formats: ['0'] });
      expect(toCaller).not.toContain('127.0.0.1');

      const atCore = await flow(caller, publicSide, core, 20);
      expect(atCore.length).toBeGreaterThanOrEqual(19);
      expect(new Set(atCore)).toEqual(new Set([`${CORE}:${coreSide.port}`]));
      const atCaller = await flow(core, coreSide, caller, 20);
      expect(atCaller.length).toBeGreaterThanOrEqual(19);
      expect(new Set(atCaller)).toEqual(new Set([`${PUB}:${publicSide.port}`]));

      const stats = await anchor.query('it-udp');
      expect(stats?.rtp.packets).toBeGreaterThanOrEqual(38);
      expect(await anchor.list()).toContain('it-udp');
      await anchor.delete('it-udp');
      expect(await anchor.list()).not.toContain('it-udp');
      expect(await anchor.query('it-udp')).toBeUndefined();
    } finally {
      caller.close();
      core.close();
    }
  });

  it('terminates an SRTP offer from a TLS caller: plain RTP/AVP to the core, SDES AES_CM_128_HMAC_SHA1_80 back', async () => {
    const key = 'inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz';
    const callerOffer = sdp('127.0.0.1', 'm=audio 41000 RTP/SAVP 0 8', [`a=crypto:1 AES_CM_128_HMAC_SHA1_80 ${key}`]);
    const toCore = await anchor.offer('it-srtp', callerOffer, { from: 'public', to: 'core', toTransport: 'udp', fromTag: 'a' });
    expect(mediaOf(toCore)).toMatchObject({ address: CORE, proto: 'RTP/AVP', crypto: [] });
    expect(toCore).not.toMatch(/fingerprint|setup:/);
    const toCaller = await anchor.answer('it-srtp', sdp('127.0.0.1', 'm=audio 41100 RTP/AVP 0'), { toTag: 'b' });
    const pub = mediaOf(toCaller);
    expect(pub).toMatchObject({ address: PUB, proto: 'RTP/SAVP', formats: ['0'] });
    expect(pub.crypto).toHaveLength(1);
    expect(pub.crypto[0]).toMatch(/^1 AES_CM_128_HMAC_SHA1_80 inline:\S+$/);
    expect(pub.crypto[0]).not.toContain(key);
    expect(anchor.session('it-srtp')?.encrypted).toBe(true);
    await anchor.delete('it-srtp');
  });

  it('offers SRTP with one suite and no DTLS on a public TLS leg when the core offered plain RTP (OUT-03)', async () => {
    const coreOffer = sdp('127.0.0.1', 'm=audio 41200 RTP/AVP 0 8 101', ['a=rtpmap:101 telephone-event/8000']);
    const toPublic = await anchor.offer('it-out', coreOffer, { from: 'core', to: 'public', toTransport: 'tls', fromTag: 'c' });
    const pub = mediaOf(toPublic);
    expect(pub).toMatchObject({ address: PUB, proto: 'RTP/SAVP', formats: ['0', '8', '101'] });
    expect(pub.crypto.map((c) => c.split(' ')[1])).toEqual(['AES_CM_128_HMAC_SHA1_80']);
    expect(toPublic).not.toMatch(/fingerprint|setup:|127\.0\.0\.1/);

    const toUdp = await anchor.offer('it-out-udp', coreOffer, { from: 'core', to: 'public', toTransport: 'udp', fromTag: 'c' });
    expect(mediaOf(toUdp)).toMatchObject({ proto: 'RTP/AVP', crypto: [] });
    await anchor.delete('it-out');
    await anchor.delete('it-out-udp');
    expect((await anchor.list()).filter((k) => k.startsWith('it-'))).toEqual([]);
  });
});
