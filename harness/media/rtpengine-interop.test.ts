/**
 * Interoperability with a real SRTP implementation: rtpengine (userspace) bridges an SRTP leg to a
 * plain leg on loopback, so our SRTP must decrypt in rtpengine and rtpengine's must decrypt here.
 * Skipped when rtpengine is not installed.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveRtpengine, ngRequest as ng, startTestRtpengine, type TestRtpengine } from '../../test/support/test-rtpengine';
import { MediaEndpoint } from './media-endpoint';
import { cryptoAttrValue, firstSupportedCrypto, generateCryptoAttr } from './sdes-crypto';

function sdp(port: number, profile: string, crypto?: string): string {
  return [
    'v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
    `m=audio ${port} ${profile} 0`, 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp-mux',
    ...(crypto ? [`a=crypto:${crypto}`] : []), '',
  ].join('\r\n');
}

function mediaOf(sdpText: string): { port: number; profile: string; crypto: string[] } {
  const m = /^m=audio (\d+) (\S+)/m.exec(sdpText);
  if (!m) throw new Error(`no audio in ${sdpText}`);
  return { port: Number(m[1]), profile: m[2]!, crypto: [...sdpText.matchAll(/^a=crypto:(.*)$/gm)].map((x) => x[1]!.trim()) };
}

describe.skipIf(!haveRtpengine)('SRTP interop with rtpengine', () => {
  let rtpengine: TestRtpengine;
  let ngPort: number;

  beforeAll(async () => {
    ngPort = randomInt(42000, 42999);
    rtpengine = await startTestRtpengine({ interfaces: ['127.0.0.1'], ngPort, portMin: 2 * randomInt(21500, 23000), logLevel: 6 });
  }, 15000);

  afterAll(async () => {
    await rtpengine?.stop();
  });

  it('bridges our SRTP (both suites) to plain RTP and back across a sequence wrap, every packet authenticated and intact', async () => {
    for (const suite of ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] as const) {
      const phone = await MediaEndpoint.open({ localIp: '127.0.0.1' });
      const core = await MediaEndpoint.open({ localIp: '127.0.0.1' });
      try {
        const callId = randomUUID();
        const ours = generateCryptoAttr({ suite });
        const offer = await ng(ngPort, {
          command: 'offer', 'call-id': callId, 'from-tag': 'phone', sdp: sdp(phone.localPort, 'RTP/SAVP', cryptoAttrValue(ours)),
          'transport-protocol': 'RTP/AVP', ICE: 'remove',
        });
        expect(offer.result, JSON.stringify(offer)).toBe('ok');
        const towardsCore = mediaOf(offer.sdp as string);
        expect(towardsCore.profile).toBe('RTP/AVP');
        const answer = await ng(ngPort, {
          command: 'answer', 'call-id': callId, 'from-tag': 'phone', 'to-tag': 'core', sdp: sdp(core.localPort, 'RTP/AVP'), ICE: 'remove',
        });
        expect(answer.result, JSON.stringify(answer)).toBe('ok');
        const towardsPhone = mediaOf(answer.sdp as string);
        expect(towardsPhone.profile).toBe('RTP/SAVP');
        const theirs = firstSupportedCrypto(towardsPhone.crypto);
        expect(theirs?.suite).toBe(suite);

        await Promise.all([
          phone.start({ remoteIp: '127.0.0.1', remotePort: towardsPhone.port, payloadType: 0, packets: 50, expectPackets: 50, srtp: { send: ours, recv: theirs! }, initialSequence: 65500 }),
          core.start({ remoteIp: '127.0.0.1', remotePort: towardsCore.port, payloadType: 0, packets: 50, expectPackets: 50, initialSequence: 65510 }),
        ]);
        await Promise.all([phone.waitForReceived(50, 3000), core.waitForReceived(50, 3000)]);
        const atCore = core.stats().received;
        const atPhone = phone.stats().received;
        expect(atCore, rtpengine.log().slice(-3000)).toMatchObject({ accepted: 50, payloadCheckFailures: 0, malformed: 0, streamIds: [phone.stats().sent.streamId] });
        expect(atPhone, rtpengine.log().slice(-3000)).toMatchObject({ authenticated: 50, authFailures: 0, accepted: 50, streamIds: [core.stats().sent.streamId] });
        expect(atCore.lost + atPhone.lost).toBe(0);
        await ng(ngPort, { command: 'delete', 'call-id': callId });
      } finally {
        await Promise.all([phone.close(), core.close()]);
      }
    }
  }, 20000);
});
