import { SipParseError } from '../errors';
import { filterFormats, getAttributes, parseSdp, type MediaDescription, type SessionDescription } from '../sip/sdp';

/**
 * Codec policy towards the core (IN-03): the core receives offers carrying only G.711 µ-law (PT 0)
 * and A-law (PT 8), plus telephone-event/8000 (RFC 4733) when the caller offered it.
 *
 * Why telephone-event stays: it carries no audio (key presses as named events), the core's IVRs and
 * voicemail need DTMF, and without it a caller's digits would be lost since the SBC never transcodes
 * (in-band DTMF does not survive most codecs). Only the 8 kHz variant is kept, the one that can
 * accompany G.711. Everything else (G.722, opus, G.729, CN, video, ...) is removed here, before
 * rtpengine sees the offer, so one pure, tested function decides what reaches the core whatever
 * rtpengine version runs; the SBC re-checks rtpengine's output (sdp-guard.ts).
 */

/** The answer to an offer with no G.711 (RFC 3261 21.4.26), with a Warning (RFC 3261 20.43, code 305). */
export type G711Verdict =
  | { ok: true }
  | { ok: false; status: 488; reason: string; warning: string; detail: string };

/** A media section removed from the offer towards the core, to be answered port 0 on the caller's side. */
export interface DroppedMedia {
  /** Its position among the caller's m= lines. */
  index: number;
  media: string;
  proto: string;
  /** One format of the caller's offer: an answer's rejected m= line must list at least one (RFC 3264 6). */
  format: string;
}

const G711 = new Map([
  ['0', 'pcmu'],
  ['8', 'pcma'],
]);

/** rtpmap encodings by payload type: `{ '101': 'telephone-event/8000' }`, lower case. */
function encodings(media: MediaDescription): Map<string, string> {
  const out = new Map<string, string>();
  for (const v of getAttributes(media.lines, 'rtpmap')) {
    const m = /^(\S+)\s+([^/\s]+)\/(\d+)/.exec(v);
    if (m && m[1] !== undefined) out.set(m[1], `${m[2]!.toLowerCase()}/${m[3]}`);
  }
  return out;
}

/** PT 0 and 8 are G.711 unless an rtpmap says otherwise; a dynamic PT is never taken for G.711. */
function isG711(format: string, rtpmap: Map<string, string>): boolean {
  const name = G711.get(format);
  if (name === undefined) return false;
  const mapped = rtpmap.get(format);
  return mapped === undefined || mapped === `${name}/8000`;
}

function isActiveAudio(media: MediaDescription): boolean {
  return media.media === 'audio' && media.port !== 0;
}

/** The G.711 formats (`'0'`, `'8'`) an m= line offers. */
export function g711Formats(media: MediaDescription): string[] {
  const rtpmap = encodings(media);
  return media.formats.filter((f) => isG711(f, rtpmap));
}

/**
 * The 488 check for an INVITE from the public side, before it is routed: an offer must have an active
 * audio stream with PCMU or PCMA. Pure; `warnHost` names the SBC in the Warning header.
 */
export function g711Check(sdp: string, warnHost = 'sbc'): G711Verdict {
  let parsed: SessionDescription;
  try {
    parsed = parseSdp(sdp);
  } catch (err) {
    const detail = err instanceof SipParseError ? err.message : 'unreadable SDP';
    return refuse(warnHost, `SDP offer is not valid: ${detail}`);
  }
  if (parsed.media.some((m) => isActiveAudio(m) && g711Formats(m).length > 0)) return { ok: true };
  const offered = parsed.media.filter(isActiveAudio).flatMap((m) => describeFormats(m));
  return refuse(warnHost, `no G.711 (PCMU/0, PCMA/8) in the offer (offered: ${offered.join(', ') || 'no active audio'})`);
}

function refuse(warnHost: string, detail: string): G711Verdict {
  return { ok: false, status: 488, reason: 'Not Acceptable Here', warning: `305 ${warnHost} "Incompatible media format"`, detail };
}

function describeFormats(media: MediaDescription): string[] {
  const rtpmap = encodings(media);
  return media.formats.map((f) => (rtpmap.has(f) ? `${f} ${rtpmap.get(f)}` : f));
}

/**
 * Rewrites an offer bound for the core in place: each active audio stream keeps its G.711 formats
 * (and telephone-event/8000 when G.711 is left), every other stream is removed and returned, so the
 * answer to the caller can reject it (restoreDroppedMedia). Throws when no audio stream is left:
 * callers run g711Check first, this is the last line of defence.
 */
export function restrictToG711(sdp: SessionDescription): DroppedMedia[] {
  const dropped: DroppedMedia[] = [];
  const kept: MediaDescription[] = [];
  sdp.media.forEach((media, index) => {
    if (isActiveAudio(media)) {
      const rtpmap = encodings(media);
      const g711 = media.formats.some((f) => isG711(f, rtpmap));
      if (g711) {
        filterFormats(media, (f) => isG711(f, rtpmap) || rtpmap.get(f) === 'telephone-event/8000');
        kept.push(media);
        return;
      }
    }
    dropped.push({ index, media: media.media, proto: media.proto, format: media.formats[0] ?? '0' });
  });
  if (kept.length === 0) throw new SipParseError('no audio stream with G.711 left for the core');
  sdp.media = kept;
  return dropped;
}

/** Puts the streams restrictToG711 removed back into an answer, each rejected with port 0 (RFC 3264 6). */
export function restoreDroppedMedia(answer: SessionDescription, dropped: readonly DroppedMedia[]): void {
  for (const d of [...dropped].sort((a, b) => a.index - b.index)) {
    const rejected: MediaDescription = { media: d.media, port: 0, portCount: undefined, proto: d.proto, formats: [d.format], lines: [] };
    answer.media.splice(Math.min(d.index, answer.media.length), 0, rejected);
  }
}

/** What an offer to the core carries beyond policy: `['audio 9 G722/8000', 'video']`; empty when compliant. */
export function codecViolations(sdp: SessionDescription): string[] {
  const out: string[] = [];
  for (const media of sdp.media) {
    if (media.port === 0) continue;
    if (media.media !== 'audio') {
      out.push(media.media);
      continue;
    }
    const rtpmap = encodings(media);
    for (const f of media.formats) {
      if (isG711(f, rtpmap) || rtpmap.get(f) === 'telephone-event/8000') continue;
      out.push(`audio ${f}${rtpmap.has(f) ? ` ${rtpmap.get(f)}` : ''}`);
    }
  }
  return out;
}
