import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { MediaEndpoint } from './media-endpoint';
import { RtpReceiver, RtpSender } from './rtp-stream';
import { generateCryptoAttr } from './sdes-crypto';

const open: Array<{ close(): Promise<void> }> = [];

async function endpoint(rtcp: 'none' | 'mux' | 'separate' = 'none'): Promise<MediaEndpoint> {
  const ep = await MediaEndpoint.open({ localIp: '127.0.0.1', rtcp });
  open.push(ep);
  return ep;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

/** Lets the last datagrams of a run arrive. */
async function settle(a: MediaEndpoint, b: MediaEndpoint, packets: number): Promise<void> {
  await Promise.all([a.waitForReceived(packets, 2000), b.waitForReceived(packets, 2000)]);
}

describe('MediaEndpoint on loopback', () => {
  it('exchanges 50 plain packets each way with no loss, RTCP muxed', async () => {
    const a = await endpoint('mux');
    const b = await endpoint('mux');
    const [sentA, sentB] = await Promise.all([
      a.start({ remoteIp: '127.0.0.1', remotePort: b.localPort, payloadType: 0, packets: 50, expectPackets: 50, rtcpIntervalMs: 500 }),
      b.start({ remoteIp: '127.0.0.1', remotePort: a.localPort, payloadType: 8, packets: 50, expectPackets: 50, rtcpIntervalMs: 500 }),
    ]);
    await settle(a, b, 50);
    expect(sentA.packets).toBe(50);
    expect(sentB.octets).toBe(50 * 172);
    for (const [rx, tx, pt] of [[a, b, 8], [b, a, 0]] as const) {
      const r = rx.stats().received;
      expect(r).toMatchObject({
        received: 50, accepted: 50, expected: 50, lost: 0, duplicates: 0, authenticated: 0, authFailures: 0,
        payloadCheckFailures: 0, malformed: 0, payloadTypes: [pt],
      });
      expect(r.streamIds).toEqual([tx.stats().sent.streamId]);
      expect(r.ssrcs).toEqual([tx.stats().sent.ssrc]);
      expect(r.sources).toEqual([{ address: '127.0.0.1', port: tx.localPort, packets: 50 + r.rtcp.received }]);
      expect(r.rtcp).toEqual({ received: 1, authenticated: 0, authFailures: 0 }); // at 500 ms of a 1 s stream
      expect(tx.stats().sent.rtcpPackets).toBe(1);
      expect(r.jitterMs).toBeLessThan(20);
      expect(r.lastArrivalMs! - r.firstArrivalMs!).toBeGreaterThan(49 * 20 - 100);
    }
  });

  it('exchanges 50 SRTP packets each way, all authenticated, with SRTCP', async () => {
    const a = await endpoint('separate');
    const b = await endpoint('separate');
    expect(b.rtcpPort).toBe(b.localPort + 1);
    expect(b.localPort % 2).toBe(0);
    const keyA = generateCryptoAttr();
    const keyB = generateCryptoAttr({ suite: 'AES_CM_128_HMAC_SHA1_32' });
    await Promise.all([
      a.start({ remoteIp: '127.0.0.1', remotePort: b.localPort, payloadType: 0, packets: 50, srtp: { send: keyA, recv: keyB }, rtcpIntervalMs: 200 }),
      b.start({ remoteIp: '127.0.0.1', remotePort: a.localPort, payloadType: 0, packets: 50, srtp: { send: keyB, recv: keyA }, rtcpIntervalMs: 200 }),
    ]);
    await settle(a, b, 50);
    for (const ep of [a, b]) {
      const r = ep.stats().received;
      expect(r.rtcp.received).toBeGreaterThanOrEqual(3);
      expect(r.rtcp.authenticated).toBe(r.rtcp.received);
      expect(ep.stats().sent.rtcpPackets).toBeGreaterThanOrEqual(3);
    }
    const rb = b.stats().received;
    expect(rb).toMatchObject({ received: 50, authenticated: 50, authFailures: 0, accepted: 50, lost: 0 });
    expect(rb.sources.map((s) => s.port).sort()).toEqual([a.localPort, a.localPort + 1]);
    expect(a.stats().sent.octets).toBe(50 * (172 + 10));
    expect(b.stats().sent.octets).toBe(50 * (172 + 4));
    expect(a.stats().received).toMatchObject({ received: 50, authenticated: 50, accepted: 50, lost: 0 });
  });

  it('counts auth failures, not crashes, when the key is wrong', async () => {
    const a = await endpoint();
    const b = await endpoint();
    const key = generateCryptoAttr();
    b.expect({ srtp: generateCryptoAttr() });
    await a.start({ remoteIp: '127.0.0.1', remotePort: b.localPort, payloadType: 0, packets: 20, srtp: { send: key, recv: key } });
    await b.waitForReceived(20, 2000);
    expect(b.stats().received).toMatchObject({ received: 20, authenticated: 0, authFailures: 20, accepted: 0, malformed: 0 });
    expect(() => b.start({ remoteIp: '127.0.0.1', remotePort: a.localPort, payloadType: 0, packets: 1, srtp: { recv: key } }))
      .toThrow(/bad-option/);
  });

  it('counts plain RTP as auth failures where SRTP is due, and SRTP as payload failures where RTP is due', async () => {
    const a = await endpoint();
    const b = await endpoint();
    const c = await endpoint();
    b.expect({ srtp: generateCryptoAttr() });
    c.expect({});
    await Promise.all([
      a.start({ remoteIp: '127.0.0.1', remotePort: b.localPort, payloadType: 0, packets: 5 }),
      c.start({ remoteIp: '127.0.0.1', remotePort: a.localPort, payloadType: 0, packets: 0 }),
    ]);
    const sender = await RtpSender.open({ localIp: '127.0.0.1' });
    open.push(sender);
    await sender.start({ remoteIp: '127.0.0.1', remotePort: c.localPort, payloadType: 0, packets: 5, srtp: generateCryptoAttr() });
    await Promise.all([b.waitForReceived(5, 2000), c.waitForReceived(5, 2000)]);
    expect(b.stats().received).toMatchObject({ received: 5, authFailures: 5, accepted: 0 });
    expect(c.stats().received).toMatchObject({ received: 5, payloadCheckFailures: 5, accepted: 0 });
  });

  it('refuses bad options synchronously', async () => {
    const a = await endpoint();
    const base = { remoteIp: '127.0.0.1', remotePort: 5000, payloadType: 0 };
    for (const bad of [{ remotePort: 0 }, { remoteIp: 'example.com' }, { payloadType: 128 }, { ptimeMs: 1 }, { packets: -1 }, { rtcpIntervalMs: 100 }]) {
      expect(() => a.start({ ...base, ...bad })).toThrow(/bad-option/);
    }
    await expect(MediaEndpoint.open({ localIp: '127.0.0.1', localPort: a.localPort })).rejects.toMatchObject({ code: 'socket-error' });
  });

  it('buffers media that arrives before start and survives garbage', async () => {
    const rx = await endpoint();
    const raw = createSocket('udp4');
    await new Promise<void>((r) => raw.bind(0, '127.0.0.1', r));
    for (const junk of [Buffer.alloc(0), Buffer.from('INVITE sip:x SIP/2.0'), Buffer.alloc(12, 0x80), Buffer.alloc(300, 0xff)]) {
      raw.send(junk, rx.localPort, '127.0.0.1');
    }
    const tx = await RtpSender.open({ localIp: '127.0.0.1' });
    open.push(tx);
    await tx.start({ remoteIp: '127.0.0.1', remotePort: rx.localPort, payloadType: 8, packets: 10, ptimeMs: 10 });
    await rx.waitForReceived(14, 2000);
    rx.expect({ expectedPackets: 12 });
    expect(rx.stats().received).toMatchObject({ received: 14, accepted: 10, expected: 12, lost: 2 });
    expect(rx.stats().received.malformed + rx.stats().received.payloadCheckFailures).toBe(4);
    raw.close();
  });

  it('stops a stream sent until stopped, and a receiver counts loss, duplicates and reordering', async () => {
    const rx = await RtpReceiver.open({ localIp: '127.0.0.1' });
    open.push(rx);
    const tx = await endpoint();
    const done = tx.start({ remoteIp: '127.0.0.1', remotePort: rx.localPort, payloadType: 0 });
    await rx.waitForReceived(5, 2000);
    tx.stop();
    const summary = await done;
    await new Promise((r) => setTimeout(r, 50));
    expect(summary.packets).toBeGreaterThanOrEqual(5);
    expect(rx.stats()).toMatchObject({ received: summary.packets, lost: 0 });
  });
});
