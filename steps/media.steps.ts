import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { After, Before, Given, Then, When } from '@cucumber/cucumber';
import {
  MediaEndpoint, RemoteMediaEndpoint, cryptoAttrValue, firstSupportedCrypto, generateCryptoAttr,
  type CryptoAttr, type EndpointStats, type ReceiveStats,
} from '../harness/media';
import { SipClient, buildSdp, parseSdp, sdesCrypto, type IncomingCall, type OutgoingCall, type ParsedSdp, type SdpMedia, type SipResponse } from '../harness/sip';
import type { TracedMessage } from '../harness/sipp/messages';
import { namespaceOf } from '../topology/hosts';
import { setEnumRecords } from '../topology/services/knot';
import { check, describeRun, ladder } from './assertions';
import { coreCall } from './routing-world';
import type { SbcWorld } from './world';

/** Where scenarios/uas-answer-media.xml tells the SBC to send the core leg's media, on every core server. */
const CORE_MEDIA_PORT = 41000;
const MAX_LOSS = 0.01;
const CALLER_NUMBER = '+31201110000';
const SRTP_SUITE = 'AES_CM_128_HMAC_SHA1_80';

/** What one media scenario holds on to: the SIP legs, the media endpoints and what they measured. */
export interface MediaScenario {
  /** The requirement the scenario proves (its @XXX-nn tag), for failure messages. */
  req: string;
  caller?: SipClient;
  call?: OutgoingCall;
  final?: SipResponse;
  callerMedia?: MediaEndpoint;
  ourKey?: CryptoAttr;
  sbcKey?: CryptoAttr;
  coreMedia: Map<string, RemoteMediaEndpoint>;
  coreServer?: string;
  callerStats?: EndpointStats;
  coreStats?: EndpointStats;
  /** Why no media was sent: the SDP pointed a side at an address other than the SBC's (media not anchored). */
  unanchored?: string;
  device?: SipClient;
  deviceAddress?: string;
  deviceCalls: IncomingCall[];
}

const scenarios = new WeakMap<SbcWorld, MediaScenario>();

export function media(world: SbcWorld): MediaScenario {
  let s = scenarios.get(world);
  if (!s) {
    s = { req: 'MEDIA', coreMedia: new Map(), deviceCalls: [] };
    scenarios.set(world, s);
  }
  return s;
}

Before(function (this: SbcWorld, { pickle }) {
  const tag = pickle.tags.map((t) => t.name.slice(1)).find((t) => /^[A-Z]+-\d+$/.test(t));
  if (tag) media(this).req = tag;
});

/** How long the undo waits for the BYE's answer: well inside the hook's own time-out, so the closes below always run. */
const HANG_UP_WAIT_MS = 8_000;

After({ timeout: 20_000 }, async function (this: SbcWorld) {
  const s = scenarios.get(this);
  if (!s) return;
  try {
    await Promise.race([hangUp(this), new Promise((r) => setTimeout(r, HANG_UP_WAIT_MS))]);
    if (s.caller) await s.caller.writeLadder(join(this.evidenceDir, 'caller-sip.txt')).catch(() => undefined);
    if (s.device) await s.device.writeLadder(join(this.evidenceDir, 'device-sip.txt')).catch(() => undefined);
  } finally {
    // Every socket and media agent goes, whatever happened above: a leaked one fails later scenarios (EADDRINUSE).
    await Promise.all([
      s.caller?.close(),
      s.device?.close(),
      s.callerMedia?.close(),
      ...[...s.coreMedia.values()].map((ep) => ep.close()),
    ].map((p) => p?.catch(() => undefined)));
  }
});

// ---------------------------------------------------------------- world additions

/**
 * Opens a media endpoint on CORE_MEDIA_PORT of every core server, in the core namespace. Each one is
 * recorded (so the After hook closes it) as soon as it is open, also when another fails to open.
 */
async function openCoreMedia(world: SbcWorld): Promise<void> {
  const s = media(world);
  const { state } = world.ctx;
  const results = await Promise.allSettled(state.addresses.coreServers.map(async (address) => {
    const ep = await RemoteMediaEndpoint.open({
      localIp: address, localPort: CORE_MEDIA_PORT, netns: namespaceOf(state, address), logFile: join(world.evidenceDir, `core-media-${address}.log`),
    });
    s.coreMedia.set(address, ep);
  }));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

export interface DialOptions {
  transport: 'udp' | 'tls';
  codecs: string[];
  srtp?: boolean;
}

/** A public caller (the suite's SIP client) dials a new number with its own media endpoint ready. */
export async function dial(world: SbcWorld, o: DialOptions): Promise<void> {
  const s = media(world);
  const { profile, state } = world.ctx;
  const ip = world.publicEndpoint().ip;
  const number = world.newNumber();
  s.callerMedia = await MediaEndpoint.open({ localIp: ip });
  const sbc = world.sbcPublic;
  let target: string;
  if (o.transport === 'tls') {
    const port = profile.sbc.public.tls;
    check(port !== undefined, () => `${s.req}: the SUT profile names no public TLS port; a TLS call cannot be placed`);
    try {
      s.caller = await SipClient.connectTls({ remote: { ip: sbc, port }, ca: readFileSync(state.pki.caCert), localIp: ip, user: CALLER_NUMBER });
    } catch (err) {
      check(false, () => `${s.req}: cannot open TLS to the SBC at ${sbc}:${port}: ${(err as Error).message}`);
    }
    target = `sip:${number}@${sbc}:${port};transport=tls`;
  } else {
    s.caller = await SipClient.udp({ ip, user: CALLER_NUMBER });
    target = `sip:${number}@${sbc}:${profile.sbc.public.udp}`;
  }
  if (o.srtp) s.ourKey = generateCryptoAttr({ suite: SRTP_SUITE });
  const sdp = buildSdp({
    address: ip, port: s.callerMedia.localPort, codecs: o.codecs, ...(s.ourKey ? { crypto: [cryptoAttrValue(s.ourKey)] } : {}),
  });
  s.call = await s.caller.invite({ to: target, from: `sip:${CALLER_NUMBER}@${ip}`, sdp });
  world.exchanges.callIds.add(s.call.callId);
  world.exchanges.endpoints.add(`${s.caller.local.ip}:${s.caller.local.port}`);
  try {
    s.final = await s.call.waitFinal(15_000);
  } catch (err) {
    world.notes.push(`no final answer to the INVITE: ${(err as Error).message}`);
  }
  world.notes.push(`caller ${ip} (${o.transport}) offered ${o.codecs.join(', ')}${o.srtp ? ' over RTP/SAVP' : ''}; final: ${s.final ? `${s.final.status} ${s.final.reason}` : 'none'}`);
}

export function callerLadder(s: MediaScenario): string {
  return s.caller ? s.caller.ladder.toText() : '  (no SIP client)';
}

export function answered(world: SbcWorld): { sdp: ParsedSdp; audio: SdpMedia } {
  const s = media(world);
  check(s.final, () => `${s.req}: the caller got no final answer to its INVITE for ${world.number()}:\n${callerLadder(s)}`);
  check(s.final.status === 200, () => `${s.req}: the caller's INVITE for ${world.number()} was answered ${s.final!.status} ${s.final!.reason}, expected 200 OK`);
  const sdp = parseSdp(s.final.body);
  const audio = sdp.media.find((m) => m.type === 'audio' && m.port !== 0);
  check(audio, () => `${s.req}: the 200 OK the caller received has no active audio stream:\n${s.final!.body}`);
  return { sdp, audio };
}

/** The INVITE the core received for this scenario's number; waits for the core server's trace. */
export async function coreInvite(world: SbcWorld): Promise<{ server: string; invite: TracedMessage }> {
  const s = media(world);
  const number = world.number();
  for (let i = 0; i < 20; i++) {
    const receipts = world.ctx.core.receivedFor(number);
    const invite = receipts[0]?.messages.find((m) => m.direction === 'received' && m.method === 'INVITE');
    if (invite) {
      check(receipts.length === 1, () => `${s.req}: ${receipts.length} core servers received an INVITE for ${number}; expected one`);
      s.coreServer = receipts[0]!.server;
      return { server: receipts[0]!.server, invite };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  check(false, () => `${s.req}: no core server received an INVITE for ${number}; the caller saw:\n${callerLadder(s)}`);
}

function activeAudio(sdp: ParsedSdp): SdpMedia[] {
  return sdp.media.filter((m) => m.type === 'audio' && m.port !== 0);
}

function cryptoValues(m: SdpMedia): string[] {
  return m.attributes.filter((a) => a.toLowerCase().startsWith('crypto:')).map((a) => a.slice('crypto:'.length).trim());
}

/**
 * Both sides send `packets` of PCMU at once, each to where its SDP says; the caller then hangs up.
 * Each side must be pointed at the SBC's own address in its zone: when it is not (media not
 * anchored) nothing is sent, since no packet could cross the zones, and the checks say why.
 */
async function exchangeMedia(world: SbcWorld, packets: number): Promise<void> {
  const s = media(world);
  const { audio } = answered(world);
  const { server, invite } = await coreInvite(world);
  const coreOffer = activeAudio(parseSdp(invite.body))[0];
  check(coreOffer?.address, () => `${s.req}: the INVITE core server ${server} received has no active audio stream:\n${invite.body}`);
  const coreEp = s.coreMedia.get(server);
  check(coreEp, () => `${s.req}: no media endpoint runs on core server ${server}`);
  const sbcCore = world.ctx.profile.sbc.core.address;
  const wrong = [
    audio.address !== world.sbcPublic ? `the 200 OK points the caller at ${audio.address}:${audio.port}, not at the SBC's public address ${world.sbcPublic}` : '',
    coreOffer.address !== sbcCore ? `the INVITE points core server ${server} at ${coreOffer.address}:${coreOffer.port}, not at the SBC's core address ${sbcCore}` : '',
  ].filter((w) => w !== '');
  if (wrong.length > 0) {
    s.unanchored = `media is not anchored at the SBC: ${wrong.join('; ')}`;
    world.notes.push(s.unanchored);
  } else {
    if (s.ourKey) s.sbcKey = firstSupportedCrypto(cryptoValues(audio));
    const srtp = s.ourKey ? { send: s.ourKey, ...(s.sbcKey ? { recv: s.sbcKey } : {}) } : undefined;
    await Promise.all([
      s.callerMedia!.start({ remoteIp: audio.address!, remotePort: audio.port, payloadType: 0, packets, expectPackets: packets, ...(srtp ? { srtp } : {}) }),
      coreEp.start({ remoteIp: coreOffer.address, remotePort: coreOffer.port, payloadType: 0, packets, expectPackets: packets }),
    ]);
    await Promise.all([s.callerMedia!.waitForReceived(packets, 2000), coreEp.waitForReceived(packets, 2000)]);
  }
  s.callerStats = s.callerMedia!.stats();
  s.coreStats = await coreEp.stats();
  world.notes.push(`caller media to ${audio.address}:${audio.port}: ${summarizeStats(s.callerStats)}`);
  world.notes.push(`core ${server} media to ${coreOffer.address}:${coreOffer.port}: ${summarizeStats(s.coreStats)}`);
  await hangUp(world);
}

function summarizeStats(st: EndpointStats): string {
  const r = st.received;
  return `sent ${st.sent.packets} (${st.sent.sendErrors} refused by the OS); received ${r.received}, intact ${r.accepted} of ${r.expected}, `
    + `SRTP authenticated ${r.authenticated} / failed ${r.authFailures}, payload check failures ${r.payloadCheckFailures}, `
    + `payload types ${r.payloadTypes.join(',') || '-'}, jitter ${r.jitterMs.toFixed(1)} ms, from ${r.sources.map((x) => `${x.address}:${x.port}`).join(', ') || 'nobody'}`;
}

/** BYE from the caller if its call is still up (also after a failed check, so no call is left hanging). */
export async function hangUp(world: SbcWorld): Promise<void> {
  const s = media(world);
  if (s.call?.state !== 'confirmed') return;
  await s.call.bye().catch((err: unknown) => world.notes.push(`BYE failed: ${(err as Error).message}`));
}

/** Loss, integrity and origin of what one side received; `who` names it in messages. */
function checkReceived(world: SbcWorld, r: ReceiveStats | undefined, o: { who: string; from: string; g711Only?: boolean }): void {
  const s = media(world);
  check(r, () => `${s.req}: ${o.who} measured nothing (media was never exchanged)`);
  if (s.unanchored) check(false, () => `${s.req}: ${o.who} received no media: ${s.unanchored}`);
  const seen = () => `received ${r.received} datagrams, ${r.accepted} intact of ${r.expected} expected, ${r.payloadCheckFailures} failed the payload check, `
    + `${r.malformed} not RTP, from ${r.sources.map((x) => `${x.address}:${x.port}`).join(', ') || 'nobody'}`;
  check(r.accepted > 0, () => `${s.req}: ${o.who} received no intact media: ${seen()}`);
  check(r.payloadCheckFailures === 0 && r.malformed === 0, () => `${s.req}: ${o.who} received media that is corrupted, transcoded or still encrypted: ${seen()}`);
  check(r.expected > 0 && r.lost / r.expected < MAX_LOSS, () => `${s.req}: ${o.who} lost ${r.lost} of ${r.expected} packets (limit ${MAX_LOSS * 100} %): ${seen()}`);
  const foreign = r.sources.filter((x) => x.address !== o.from);
  check(foreign.length === 0, () => `${s.req}: ${o.who} received media from ${foreign.map((x) => `${x.address}:${x.port}`).join(', ')}; only ${o.from} (the SBC) may send it`);
  if (o.g711Only) {
    const other = r.payloadTypes.filter((pt) => pt !== 0 && pt !== 8);
    check(other.length === 0, () => `${s.req}: ${o.who} received RTP payload types ${other.join(', ')}; only 0 (PCMU) and 8 (PCMA) may reach the core`);
  }
}

// ---------------------------------------------------------------- steps

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
  const audio = activeAudio(parseSdp(body));
  check(audio.length > 0, () => `${world.ids}: ${what} core server ${server} received offers no active audio:\n${body}`);
  const offered: string[] = [];
  const extra: string[] = [];
  for (const m of parseSdp(body).media.filter((x) => x.port !== 0)) {
    for (const pt of m.formats.map(Number)) {
      const map = m.rtpmap[pt];
      const name = map ? `${map.name}/${map.rate}` : `PT ${pt}`;
      offered.push(`${m.type} ${pt} ${name}`);
      const g711 = m.type === 'audio' && (pt === 0 || pt === 8) && (!map || /^PCM[UA]\/8000$/i.test(name));
      // telephone-event (RFC 4733) carries key presses, not audio: an SBC may keep it for DTMF.
      const dtmf = m.type === 'audio' && /^telephone-event\/8000$/i.test(name);
      if (!g711 && !dtmf) extra.push(`${m.type} ${pt} ${name}`);
    }
  }
  check(extra.length === 0, () => `${world.ids}: ${what} core server ${server} received offers ${extra.join(', ')}; only PCMU (0) and PCMA (8) may reach the core (offered: ${offered.join(', ')})`);
  // Dropping one of the two G.711 laws is allowed; offering neither would leave the call without audio.
  const g711 = audio.flatMap((m) => m.payloadTypes.filter((pt) => pt === 0 || pt === 8));
  check(g711.length > 0, () => `${world.ids}: the caller offered G.711 but ${what} core server ${server} received offers neither law: ${offered.join(', ')}`);
}

/** GEN-09: an offer the core received is plain RTP/AVP without any SDES key. */
export function checkPlainRtp(world: SbcWorld, server: string, body: string, what: string): void {
  const audio = activeAudio(parseSdp(body));
  check(audio.length > 0, () => `${world.ids}: ${what} core server ${server} received offers no active audio:\n${body}`);
  const secure = audio.filter((m) => m.profile !== 'RTP/AVP' || m.crypto.length > 0);
  check(secure.length === 0, () => `${world.ids}: the core leg must be plain RTP/AVP, but ${what} core server ${server} received offers ${secure.map((m) => `${m.profile} with ${m.crypto.length} a=crypto`).join(', ')}`);
}

/** GEN-09: an SDP answer the caller received is RTP/SAVP with an SRTP_SUITE key that is not the caller's own. */
export function checkSrtpAnswer(world: SbcWorld, audio: SdpMedia, what: string): CryptoAttr {
  const s = media(world);
  check(audio.profile === 'RTP/SAVP', () => `${world.ids}: the SBC answered ${what} with ${audio.profile}; an SRTP offer needs an RTP/SAVP answer`);
  const values = cryptoValues(audio);
  const key = firstSupportedCrypto(values);
  check(key && key.suite === SRTP_SUITE, () => `${world.ids}: the SBC's answer to ${what} has no usable ${SRTP_SUITE} a=crypto line (it has: ${values.join(' | ') || 'none'})`);
  check(!values.some((v) => s.ourKey && v.includes(cryptoAttrValue(s.ourKey).split(' ')[2]!)), () => `${world.ids}: the SBC answered ${what} with the caller's own key; each direction needs its own key (RFC 4568 6.1)`);
  return key;
}

Then('the INVITE the core server received offers G.711 and no other codec', async function (this: SbcWorld) {
  const { server, invite } = await coreInvite(this);
  checkG711Only(this, server, invite.body, 'the INVITE');
  media(this).coreServer = server;
});

Then('the caller\'s INVITE was answered {int}', function (this: SbcWorld, status: number) {
  const s = media(this);
  check(s.final, () => `${s.req}: the caller got no final answer to its INVITE for ${this.number()}; expected ${status}:\n${callerLadder(s)}`);
  check(s.final.status === status, () => `${s.req}: the caller's INVITE for ${this.number()} was answered ${s.final!.status} ${s.final!.reason}; expected ${status}`);
});

Then('no core server received an INVITE for that number', async function (this: SbcWorld) {
  const s = media(this);
  await new Promise((r) => setTimeout(r, 500));
  const receipts = this.ctx.core.receivedFor(this.number());
  check(receipts.length === 0, () => `${s.req}: the INVITE for ${this.number()} reached core server ${receipts.map((r) => r.server).join(', ')} though it had to be refused first:\n${receipts.map((r) => ladder(r.messages)).join('\n')}`);
});

Then('the core server received the caller\'s media intact, as plain G.711, only from the SBC\'s core address', function (this: SbcWorld) {
  const s = media(this);
  checkReceived(this, s.coreStats?.received, { who: `core server ${s.coreServer ?? '?'}`, from: this.ctx.profile.sbc.core.address, g711Only: true });
  check(s.coreStats!.received.authenticated === 0, () => `${s.req}: the core leg carried SRTP; it must be plain RTP`);
});

Then('the caller received the core server\'s media intact, only from the SBC\'s public address', function (this: SbcWorld) {
  checkReceived(this, media(this).callerStats?.received, { who: 'the caller', from: this.sbcPublic });
});

Then('the caller saw the call answered with RTP\\/SAVP and an AES_CM_128_HMAC_SHA1_80 key of the SBC\'s own', function (this: SbcWorld) {
  checkSrtpAnswer(this, answered(this).audio, 'the SRTP offer');
});

Then('the INVITE the core server received offers plain RTP\\/AVP without any key', async function (this: SbcWorld) {
  const { server, invite } = await coreInvite(this);
  checkPlainRtp(this, server, invite.body, 'the INVITE');
});

Then('the caller received SRTP that authenticates and decrypts with the SBC\'s key, intact, only from the SBC\'s public address', function (this: SbcWorld) {
  const s = media(this);
  if (s.unanchored) check(false, () => `${this.ids}: the caller received no media: ${s.unanchored}`);
  check(s.sbcKey, () => `${this.ids}: the SBC gave the caller no SRTP key it could use, so its media cannot be checked`);
  const r = s.callerStats?.received;
  check(r && r.authFailures === 0, () => `${this.ids}: ${r?.authFailures} of the caller's ${r?.received} packets failed SRTP authentication with the SBC's key`);
  check(r.authenticated > 0 && r.authenticated >= r.accepted, () => `${this.ids}: the caller's media did not all authenticate as SRTP (authenticated ${r.authenticated}, intact ${r.accepted})`);
  checkReceived(this, r, { who: 'the caller', from: this.sbcPublic });
});

// ---------------------------------------------------------------- OUT-03: outbound over TLS

Given('a public device accepts calls over TLS', async function (this: SbcWorld) {
  const s = media(this);
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
  const s = media(this);
  const number = this.newNumber();
  // Both forms mean TLS (RFC 3261 19.1.2, 26.2): a sips: URI carries no transport parameter.
  const uri = form === 'over TLS' ? `sip:${number}@${s.deviceAddress}:5061;transport=tls` : `sips:${number}@${s.deviceAddress}:5061`;
  await setEnumRecords(this.ctx.state.enumDns, [{ number, order: 10, preference: 10, uri }]);
});

When('a core server calls that number over UDP offering plain RTP', async function (this: SbcWorld) {
  await coreCall(this, 'core-caller', this.number(), { answered: true });
});

Then('the device received an INVITE over TLS offering RTP\\/SAVP with an AES_CM_128_HMAC_SHA1_80 key', function (this: SbcWorld) {
  const s = media(this);
  const call = s.deviceCalls[0];
  check(call, () => `${this.ids}: the public TLS device got no INVITE for ${this.number()}; the core caller saw:\n${describeRun(this.result('core-caller'))}`);
  const audio = call.offer?.media.find((m) => m.type === 'audio' && m.port !== 0);
  check(audio, () => `${this.ids}: the INVITE the device received offers no active audio:\n${call.invite.body}`);
  check(audio.profile === 'RTP/SAVP', () => `${this.ids}: the SBC offered ${audio.profile} on the TLS leg though SRTP is due by default; expected RTP/SAVP`);
  check(audio.crypto.some((c) => c.suite === SRTP_SUITE), () => `${this.ids}: the SBC's offer on the TLS leg has no ${SRTP_SUITE} a=crypto (has: ${audio.crypto.map((c) => c.suite).join(', ') || 'none'})`);
});
