/**
 * The media scenarios' calls (IN-03, GEN-04, GEN-09): a public caller (the suite's SIP client) with
 * its own media endpoint, the core servers' media endpoints, and both sides sending at once.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MediaEndpoint, RemoteMediaEndpoint, cryptoAttrValue, firstSupportedCrypto, generateCryptoAttr } from '../../harness/media';
import { SRTP_SUITE, activeAudio, cryptoValues, summarizeStats } from '../../harness/media/offer-checks';
import { SipClient, buildSdp, parseSdp, type ParsedSdp, type SdpMedia } from '../../harness/sip';
import type { TracedMessage } from '../../harness/sipp/messages';
import { CORE_MEDIA_PORT, PUBLIC_CALLER_NUMBER } from '../../harness/sipp/scenario-keys';
import { check } from '../assertions';
import type { SbcWorld } from '../world';
import type { MediaState } from './media';
import { namespaceOf } from '../../topology/hosts';

/**
 * Opens a media endpoint on CORE_MEDIA_PORT of every core server, in the core namespace. Each one is
 * recorded (so the scenario's undo closes it) as soon as it is open, also when another fails to open.
 */
export async function openCoreMedia(world: SbcWorld): Promise<void> {
  const s = world.media;
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
  const s = world.media;
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
      s.caller = await SipClient.connectTls({ remote: { ip: sbc, port }, ca: readFileSync(state.pki.caCert), localIp: ip, user: PUBLIC_CALLER_NUMBER });
    } catch (err) {
      check(false, () => `${s.req}: cannot open TLS to the SBC at ${sbc}:${port}: ${(err as Error).message}`);
    }
    target = `sip:${number}@${sbc}:${port};transport=tls`;
  } else {
    s.caller = await SipClient.udp({ ip, user: PUBLIC_CALLER_NUMBER });
    target = `sip:${number}@${sbc}:${profile.sbc.public.udp}`;
  }
  if (o.srtp) s.ourKey = generateCryptoAttr({ suite: SRTP_SUITE });
  const sdp = buildSdp({
    address: ip, port: s.callerMedia.localPort, codecs: o.codecs, ...(s.ourKey ? { crypto: [cryptoAttrValue(s.ourKey)] } : {}),
  });
  s.call = await s.caller.invite({ to: target, from: `sip:${PUBLIC_CALLER_NUMBER}@${ip}`, sdp });
  world.exchanges.callIds.add(s.call.callId);
  world.exchanges.endpoints.add(`${s.caller.local.ip}:${s.caller.local.port}`);
  try {
    s.final = await s.call.waitFinal(15_000);
  } catch (err) {
    world.notes.push(`no final answer to the INVITE: ${(err as Error).message}`);
  }
  world.notes.push(`caller ${ip} (${o.transport}) offered ${o.codecs.join(', ')}${o.srtp ? ' over RTP/SAVP' : ''}; final: ${s.final ? `${s.final.status} ${s.final.reason}` : 'none'}`);
}

export function callerLadder(s: MediaState): string {
  return s.caller ? s.caller.ladder.toText() : '  (no SIP client)';
}

export function answered(world: SbcWorld): { sdp: ParsedSdp; audio: SdpMedia } {
  const s = world.media;
  check(s.final, () => `${s.req}: the caller got no final answer to its INVITE for ${world.number()}:\n${callerLadder(s)}`);
  check(s.final.status === 200, () => `${s.req}: the caller's INVITE for ${world.number()} was answered ${s.final!.status} ${s.final!.reason}, expected 200 OK`);
  const sdp = parseSdp(s.final.body);
  const audio = sdp.media.find((m) => m.type === 'audio' && m.port !== 0);
  check(audio, () => `${s.req}: the 200 OK the caller received has no active audio stream:\n${s.final!.body}`);
  return { sdp, audio };
}

/** The INVITE the core received for this scenario's number; waits for the core server's trace. */
export async function coreInvite(world: SbcWorld): Promise<{ server: string; invite: TracedMessage }> {
  const s = world.media;
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

/**
 * Both sides send `packets` of PCMU at once, each to where its SDP says; the caller then hangs up.
 * Each side must be pointed at the SBC's own address in its zone: when it is not (media not
 * anchored) nothing is sent, since no packet could cross the zones, and the checks say why.
 */
export async function exchangeMedia(world: SbcWorld, packets: number): Promise<void> {
  const s = world.media;
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
  await s.hangUp(world.notes);
}
