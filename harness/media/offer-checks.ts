/**
 * What the media requirements ask of an SDP offer or answer and of the media received (IN-03, GEN-09,
 * GEN-04), as plain functions: each returns the problem in words, or undefined when there is none.
 * The steps prefix the requirement ID and fail on a problem.
 */
import { parseSdp, type ParsedSdp, type SdpMedia } from '../sip/sdp';
import type { EndpointStats } from './media-endpoint';
import { cryptoAttrValue, firstSupportedCrypto, type CryptoAttr } from './sdes-crypto';
import type { ReceiveStats } from './stream-analyser';

/** The SRTP suite the suite offers and expects (GEN-09, OUT-03). */
export const SRTP_SUITE = 'AES_CM_128_HMAC_SHA1_80';
/** Highest share of packets a side may lose in a media check (GEN-04, IN-03). */
export const MAX_LOSS = 0.01;

export function activeAudio(sdp: ParsedSdp): SdpMedia[] {
  return sdp.media.filter((m) => m.type === 'audio' && m.port !== 0);
}

export function cryptoValues(m: SdpMedia): string[] {
  return m.attributes.filter((a) => a.toLowerCase().startsWith('crypto:')).map((a) => a.slice('crypto:'.length).trim());
}

/**
 * IN-03: an offer the core received carries G.711 (at least one law) and nothing else but
 * telephone-event. `subject` names the offer: "the INVITE core server 10.20.0.21 received".
 */
export function g711OnlyProblem(body: string, subject: string): string | undefined {
  const sdp = parseSdp(body);
  const audio = activeAudio(sdp);
  if (audio.length === 0) return `${subject} offers no active audio:\n${body}`;
  const offered: string[] = [];
  const extra: string[] = [];
  for (const m of sdp.media.filter((x) => x.port !== 0)) {
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
  if (extra.length > 0) return `${subject} offers ${extra.join(', ')}; only PCMU (0) and PCMA (8) may reach the core (offered: ${offered.join(', ')})`;
  // Dropping one of the two G.711 laws is allowed; offering neither would leave the call without audio.
  const g711 = audio.flatMap((m) => m.payloadTypes.filter((pt) => pt === 0 || pt === 8));
  if (g711.length === 0) return `the caller offered G.711 but ${subject} offers neither law: ${offered.join(', ')}`;
  return undefined;
}

/** GEN-09: an offer the core received is plain RTP/AVP without any SDES key. */
export function plainRtpProblem(body: string, subject: string): string | undefined {
  const audio = activeAudio(parseSdp(body));
  if (audio.length === 0) return `${subject} offers no active audio:\n${body}`;
  const secure = audio.filter((m) => m.profile !== 'RTP/AVP' || m.crypto.length > 0);
  if (secure.length > 0) return `the core leg must be plain RTP/AVP, but ${subject} offers ${secure.map((m) => `${m.profile} with ${m.crypto.length} a=crypto`).join(', ')}`;
  return undefined;
}

/**
 * GEN-09: an SDP answer the caller received is RTP/SAVP with an SRTP_SUITE key that is not the
 * caller's own (`ours`). `what` names the offer answered: "the SRTP offer".
 */
export function srtpAnswerKey(audio: SdpMedia, ours: CryptoAttr | undefined, what: string): { key: CryptoAttr } | { problem: string } {
  if (audio.profile !== 'RTP/SAVP') return { problem: `the SBC answered ${what} with ${audio.profile}; an SRTP offer needs an RTP/SAVP answer` };
  const values = cryptoValues(audio);
  const key = firstSupportedCrypto(values);
  if (!key || key.suite !== SRTP_SUITE) return { problem: `the SBC's answer to ${what} has no usable ${SRTP_SUITE} a=crypto line (it has: ${values.join(' | ') || 'none'})` };
  const ourKey = ours ? cryptoAttrValue(ours).split(' ')[2] : undefined;
  if (ourKey && values.some((v) => v.includes(ourKey))) return { problem: `the SBC answered ${what} with the caller's own key; each direction needs its own key (RFC 4568 6.1)` };
  return { key };
}

/**
 * Loss, integrity and origin of what one side received (`who` names it): intact media, from `from`
 * only, under MAX_LOSS; with `g711Only` no payload type but PCMU and PCMA.
 */
export function receivedProblem(r: ReceiveStats, o: { who: string; from: string; g711Only?: boolean }): string | undefined {
  const seen = `received ${r.received} datagrams, ${r.accepted} intact of ${r.expected} expected, ${r.payloadCheckFailures} failed the payload check, `
    + `${r.malformed} not RTP, from ${r.sources.map((x) => `${x.address}:${x.port}`).join(', ') || 'nobody'}`;
  if (r.accepted === 0) return `${o.who} received no intact media: ${seen}`;
  if (r.payloadCheckFailures > 0 || r.malformed > 0) return `${o.who} received media that is corrupted, transcoded or still encrypted: ${seen}`;
  if (!(r.expected > 0 && r.lost / r.expected < MAX_LOSS)) return `${o.who} lost ${r.lost} of ${r.expected} packets (limit ${MAX_LOSS * 100} %): ${seen}`;
  const foreign = r.sources.filter((x) => x.address !== o.from);
  if (foreign.length > 0) return `${o.who} received media from ${foreign.map((x) => `${x.address}:${x.port}`).join(', ')}; only ${o.from} (the SBC) may send it`;
  if (o.g711Only) {
    const other = r.payloadTypes.filter((pt) => pt !== 0 && pt !== 8);
    if (other.length > 0) return `${o.who} received RTP payload types ${other.join(', ')}; only 0 (PCMU) and 8 (PCMA) may reach the core`;
  }
  return undefined;
}

/** One line of what a media endpoint sent and received, for the scenario's notes. */
export function summarizeStats(st: EndpointStats): string {
  const r = st.received;
  return `sent ${st.sent.packets} (${st.sent.sendErrors} refused by the OS); received ${r.received}, intact ${r.accepted} of ${r.expected}, `
    + `SRTP authenticated ${r.authenticated} / failed ${r.authFailures}, payload check failures ${r.payloadCheckFailures}, `
    + `payload types ${r.payloadTypes.join(',') || '-'}, jitter ${r.jitterMs.toFixed(1)} ms, from ${r.sources.map((x) => `${x.address}:${x.port}`).join(', ') || 'nobody'}`;
}
