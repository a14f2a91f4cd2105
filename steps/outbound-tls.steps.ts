/**
 * OUT-03: a call from the core to a public device whose ENUM record names TLS (or a sips: URI) leaves
 * the SBC over TLS with SRTP offered. The device is the suite's SIP client listening for TLS.
 */
import { readFileSync } from 'node:fs';
import { Given, Then, When } from '@cucumber/cucumber';
import { SRTP_SUITE } from '../harness/media/offer-checks';
import { SipClient, buildSdp, sdesCrypto } from '../harness/sip';
import { setEnumRecords } from '../topology/services/knot';
import { check, describeRun } from './assertions';
import { coreCall } from './routing-world';
import type { SbcWorld } from './world';

Given('a public device accepts calls over TLS', async function (this: SbcWorld) {
  const s = this.media;
  const { state } = this.ctx;
  const ip = this.publicEndpoint().ip;
  s.deviceAddress = ip;
  s.device = await SipClient.listenTls({ ip, port: 5061, cert: readFileSync(state.pki.peerCert), key: readFileSync(state.pki.peerKey), ca: readFileSync(state.pki.caCert) });
  s.device.onInvite(async (call) => {
    s.deviceCalls.push(call);
    const offer = call.offer?.media.find((m) => m.type === 'audio');
    const chosen = offer?.crypto.find((c) => c.suite === SRTP_SUITE);
    const sdp = buildSdp({ address: ip, port: 42000, codecs: ['PCMU'], ...(chosen ? { crypto: [sdesCrypto(chosen.tag)] } : {}) });
    await call.answer(sdp);
  });
});

Given(/^the ENUM record of a new number points at that device (over TLS|with a sips: URI)$/, async function (this: SbcWorld, form: string) {
  const s = this.media;
  const number = this.newNumber();
  // Both forms mean TLS (RFC 3261 19.1.2, 26.2): a sips: URI carries no transport parameter.
  const uri = form === 'over TLS' ? `sip:${number}@${s.deviceAddress}:5061;transport=tls` : `sips:${number}@${s.deviceAddress}:5061`;
  await setEnumRecords(this.ctx.state.enumDns, [{ number, order: 10, preference: 10, uri }]);
});

When('a core server calls that number over UDP offering plain RTP', async function (this: SbcWorld) {
  await coreCall(this, 'core-caller', this.number(), { answered: true });
});

Then('the device received an INVITE over TLS offering RTP\\/SAVP with an AES_CM_128_HMAC_SHA1_80 key', function (this: SbcWorld) {
  const s = this.media;
  const call = s.deviceCalls[0];
  check(call, () => `${this.ids}: the public TLS device got no INVITE for ${this.number()}; the core caller saw:\n${describeRun(this.result('core-caller'))}`);
  const audio = call.offer?.media.find((m) => m.type === 'audio' && m.port !== 0);
  check(audio, () => `${this.ids}: the INVITE the device received offers no active audio:\n${call.invite.body}`);
  check(audio.profile === 'RTP/SAVP', () => `${this.ids}: the SBC offered ${audio.profile} on the TLS leg though SRTP is due by default; expected RTP/SAVP`);
  check(audio.crypto.some((c) => c.suite === SRTP_SUITE), () => `${this.ids}: the SBC's offer on the TLS leg has no ${SRTP_SUITE} a=crypto (has: ${audio.crypto.map((c) => c.suite).join(', ') || 'none'})`);
});
