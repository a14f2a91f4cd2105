/**
 * Media through the SBC (IN-03, GEN-04, GEN-09): what the core server and the caller were offered and
 * answered, and the media each received. The calls are placed by support/media-call.ts; the rules are
 * harness/media/offer-checks.ts.
 */
import { Given, Then, When } from '@cucumber/cucumber';
import type { ReceiveStats } from '../harness/media';
import { g711OnlyProblem, plainRtpProblem, receivedProblem, srtpAnswerKey } from '../harness/media/offer-checks';
import type { CryptoAttr } from '../harness/media';
import type { SdpMedia } from '../harness/sip';
import { check, ladder } from './assertions';
import { answered, callerLadder, coreInvite, dial, exchangeMedia, openCoreMedia } from './support/media-call';
import type { SbcWorld } from './world';

/** Loss, integrity and origin of what one side received; `who` names it in messages. */
function checkReceived(world: SbcWorld, r: ReceiveStats | undefined, o: { who: string; from: string; g711Only?: boolean }): void {
  const s = world.media;
  check(r, () => `${s.req}: ${o.who} measured nothing (media was never exchanged)`);
  if (s.unanchored) check(false, () => `${s.req}: ${o.who} received no media: ${s.unanchored}`);
  const problem = receivedProblem(r, o);
  check(!problem, () => `${s.req}: ${problem}`);
}

Given('the core servers answer calls with a media endpoint', async function (this: SbcWorld) {
  await this.coreBehaviour('answer-media');
  await openCoreMedia(this);
});

When(/^a public caller dials a new number over (UDP|TLS) offering (only )?(.+?)( with an AES_CM_128_HMAC_SHA1_80 key)?$/, async function (
  this: SbcWorld, transport: string, _only: string | undefined, list: string, srtp: string | undefined,
) {
  const codecs = list === 'RTP/SAVP' ? ['PCMU', 'PCMA', 'telephone-event'] : list.split(/,\s*|\s+and\s+/).map((c) => c.trim());
  await dial(this, { transport: transport.toLowerCase() as 'udp' | 'tls', codecs, srtp: Boolean(srtp) });
});

When('the caller and the core server each send {int} packets of PCMU', async function (this: SbcWorld, packets: number) {
  await exchangeMedia(this, packets);
});

Then('the caller saw the call answered', function (this: SbcWorld) {
  answered(this);
});

/** IN-03: an offer the core received carries G.711 (at least one law) and nothing else but telephone-event. */
export function checkG711Only(world: SbcWorld, server: string, body: string, what: string): void {
  const problem = g711OnlyProblem(body, `${what} core server ${server} received`);
  check(!problem, () => `${world.ids}: ${problem}`);
}

/** GEN-09: an offer the core received is plain RTP/AVP without any SDES key. */
export function checkPlainRtp(world: SbcWorld, server: string, body: string, what: string): void {
  const problem = plainRtpProblem(body, `${what} core server ${server} received`);
  check(!problem, () => `${world.ids}: ${problem}`);
}

/** GEN-09: an SDP answer the caller received is RTP/SAVP with a key of the SBC's own. */
export function checkSrtpAnswer(world: SbcWorld, audio: SdpMedia, what: string): CryptoAttr {
  const r = srtpAnswerKey(audio, world.media.ourKey, what);
  check('key' in r, () => `${world.ids}: ${'problem' in r ? r.problem : ''}`);
  return r.key;
}

Then('the INVITE the core server received offers G.711 and no other codec', async function (this: SbcWorld) {
  const { server, invite } = await coreInvite(this);
  checkG711Only(this, server, invite.body, 'the INVITE');
  this.media.coreServer = server;
});

Then('the caller\'s INVITE was answered {int}', function (this: SbcWorld, status: number) {
  const s = this.media;
  check(s.final, () => `${s.req}: the caller got no final answer to its INVITE for ${this.number()}; expected ${status}:\n${callerLadder(s)}`);
  check(s.final.status === status, () => `${s.req}: the caller's INVITE for ${this.number()} was answered ${s.final!.status} ${s.final!.reason}; expected ${status}`);
});

Then('no core server received an INVITE for that number', async function (this: SbcWorld) {
  const s = this.media;
  await new Promise((r) => setTimeout(r, 500));
  const receipts = this.ctx.core.receivedFor(this.number());
  check(receipts.length === 0, () => `${s.req}: the INVITE for ${this.number()} reached core server ${receipts.map((r) => r.server).join(', ')} though it had to be refused first:\n${receipts.map((r) => ladder(r.messages)).join('\n')}`);
});

Then('the core server received the caller\'s media intact, as plain G.711, only from the SBC\'s core address', function (this: SbcWorld) {
  const s = this.media;
  checkReceived(this, s.coreStats?.received, { who: `core server ${s.coreServer ?? '?'}`, from: this.ctx.profile.sbc.core.address, g711Only: true });
  check(s.coreStats!.received.authenticated === 0, () => `${s.req}: the core leg carried SRTP; it must be plain RTP`);
});

Then('the caller received the core server\'s media intact, only from the SBC\'s public address', function (this: SbcWorld) {
  checkReceived(this, this.media.callerStats?.received, { who: 'the caller', from: this.sbcPublic });
});

Then('the caller saw the call answered with RTP\\/SAVP and an AES_CM_128_HMAC_SHA1_80 key of the SBC\'s own', function (this: SbcWorld) {
  checkSrtpAnswer(this, answered(this).audio, 'the SRTP offer');
});

Then('the INVITE the core server received offers plain RTP\\/AVP without any key', async function (this: SbcWorld) {
  const { server, invite } = await coreInvite(this);
  checkPlainRtp(this, server, invite.body, 'the INVITE');
});

Then('the caller received SRTP that authenticates and decrypts with the SBC\'s key, intact, only from the SBC\'s public address', function (this: SbcWorld) {
  const s = this.media;
  if (s.unanchored) check(false, () => `${this.ids}: the caller received no media: ${s.unanchored}`);
  check(s.sbcKey, () => `${this.ids}: the SBC gave the caller no SRTP key it could use, so its media cannot be checked`);
  const r = s.callerStats?.received;
  check(r && r.authFailures === 0, () => `${this.ids}: ${r?.authFailures} of the caller's ${r?.received} packets failed SRTP authentication with the SBC's key`);
  check(r.authenticated > 0 && r.authenticated >= r.accepted, () => `${this.ids}: the caller's media did not all authenticate as SRTP (authenticated ${r.authenticated}, intact ${r.accepted})`);
  checkReceived(this, r, { who: 'the caller', from: this.sbcPublic });
});
