/**
 * Mid-dialog offers (IN-03, GEN-03, GEN-09): a confirmed call's caller sends a re-INVITE with a new
 * offer. The policy that applied to the first offer (G.711 only towards the core, media anchored,
 * SRTP terminated at the SBC) must apply to this one too. Judged by the re-INVITE the core server
 * received and the answer the caller received.
 */
import { Given, Then, When } from '@cucumber/cucumber';
import { cryptoAttrValue, generateCryptoAttr } from '../harness/media';
import { SRTP_SUITE } from '../harness/media/offer-checks';
import { buildSdp, parseSdp, type SipResponse } from '../harness/sip';
import type { TracedMessage } from '../harness/sipp/messages';
import { check } from './assertions';
import { checkG711Only, checkPlainRtp, checkSrtpAnswer } from './media.steps';
import { callerLadder } from './support/media-call';
import type { SbcWorld } from './world';


Given('the core servers answer calls and take re-INVITEs', async function (this: SbcWorld) {
  await this.coreBehaviour('answer-reinvite');
});

When(/^the caller sends a re-INVITE offering (.+?)( with a new AES_CM_128_HMAC_SHA1_80 key)?$/, async function (this: SbcWorld, list: string, srtp: string | undefined) {
  const s = this.media;
  check(s.call?.state === 'confirmed' && s.callerMedia, () => `${this.ids}: the caller's call for ${this.number()} is not up (${s.final ? `${s.final.status} ${s.final.reason}` : 'no final answer'}), so no re-INVITE can be sent:\n${callerLadder(s)}`);
  const codecs = list === 'RTP/SAVP' ? ['PCMU', 'PCMA', 'telephone-event'] : list.split(/,\s*|\s+and\s+/).map((c) => c.trim());
  // The same session, a new version of it (RFC 3264 8): o= keeps its session id, the version goes up.
  const sessionId = /^o=\S+ (\d+)/m.exec(s.call.invite.body)?.[1];
  if (srtp) s.ourKey = generateCryptoAttr({ suite: SRTP_SUITE });
  const sdp = buildSdp({
    address: s.caller!.local.ip, port: s.callerMedia.localPort, codecs, sessionVersion: 2,
    ...(sessionId ? { sessionId } : {}), ...(srtp && s.ourKey ? { crypto: [cryptoAttrValue(s.ourKey)] } : {}),
  });
  try {
    s.reinviteAnswer = await s.call.request('INVITE', { body: sdp, timeoutMs: 10_000 });
  } catch (err) {
    this.notes.push(`re-INVITE: ${(err as Error).message}`);
  }
});

When('the caller hangs up', async function (this: SbcWorld) {
  await this.media.hangUp(this.notes);
});

function reinviteAnswer(world: SbcWorld): SipResponse {
  const res = world.media.reinviteAnswer;
  check(res, () => `${world.ids}: the caller's re-INVITE got no final answer:\n${callerLadder(world.media)}`);
  check(res.status === 200, () => `${world.ids}: the caller's re-INVITE (a valid offer in a confirmed call) was answered ${res.status} ${res.reason}; expected 200 OK`);
  return res;
}

Then('the caller\'s re-INVITE was answered 200', function (this: SbcWorld) {
  reinviteAnswer(this);
});

Then('the caller\'s re-INVITE was answered 200 with RTP\\/SAVP and an AES_CM_128_HMAC_SHA1_80 key of the SBC\'s own', function (this: SbcWorld) {
  const audio = parseSdp(reinviteAnswer(this).body).media.find((m) => m.type === 'audio' && m.port !== 0);
  check(audio, () => `${this.ids}: the 200 OK to the caller's re-INVITE has no active audio stream`);
  checkSrtpAnswer(this, audio, "the re-INVITE's SRTP offer");
});

/** The re-INVITE (the second INVITE of the dialog) the core received for this scenario's number. */
async function coreReinvite(world: SbcWorld): Promise<{ server: string; reinvite: TracedMessage }> {
  const number = world.number();
  for (let i = 0; i < 30; i++) {
    for (const receipt of world.ctx.core.receivedFor(number)) {
      const invites = receipt.messages.filter((m) => m.direction === 'received' && m.method === 'INVITE');
      if (invites.length >= 2) return { server: receipt.server, reinvite: invites[1]! };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  check(false, () => `${world.ids}: no core server received the caller's re-INVITE for ${number}; the caller saw:\n${callerLadder(world.media)}`);
}

Then('the re-INVITE the core server received offers G.711 and no other codec', async function (this: SbcWorld) {
  const { server, reinvite } = await coreReinvite(this);
  checkG711Only(this, server, reinvite.body, 'the re-INVITE');
});

Then('the re-INVITE the core server received offers plain RTP\\/AVP without any key', async function (this: SbcWorld) {
  const { server, reinvite } = await coreReinvite(this);
  checkPlainRtp(this, server, reinvite.body, 'the re-INVITE');
});
