import { SbcError } from '../../errors';
import { sdpProblem } from '../../sip/sdp-validation';
import { CONTINUE, type InviteContext, type InviteStep, type StepResult } from './invite-pipeline';

export type MediaZone = 'public' | 'core';

/** What the policy layer needs of media anchoring (media/MediaAnchor matches it). */
export interface MediaPort {
  offer(callKey: string, sdp: string, o: { from: MediaZone; to: MediaZone; toTransport: 'udp' | 'tls'; fromTag: string; callId?: string }): Promise<string>;
  answer(callKey: string, sdp: string, o: { toTag: string }): Promise<string>;
  delete(callKey: string): Promise<void>;
  session(callKey: string): { encrypted: boolean } | undefined;
  /** RTP and RTCP packets relayed for the call, undefined when the relay does not know it (media inactivity). */
  packets?(callKey: string): Promise<number | undefined>;
}

export type OfferCheck = (sdp: string, warnHost?: string) =>
  | { ok: true }
  | { ok: false; status: number; reason: string; warning: string; detail: string };

function sdpOf(ctx: InviteContext): string | undefined {
  const type = ctx.request.headers.get('content-type') ?? '';
  if (ctx.request.body.length === 0 || !/^application\/sdp/i.test(type.trim())) return undefined;
  return ctx.request.body.toString('utf8');
}

function warning(status: number, warnHost: string): Array<[string, string]> {
  return status === 488 ? [['Warning', `305 ${warnHost} "Incompatible media format"`]] : [];
}

/**
 * The caller's own SDP checked before anything routes or anchors it (issue 11 point 2): an unusable
 * one is the caller's fault, 488 with a 399 Warning naming the problem, never a 5xx from the media
 * relay. Runs with or without media anchoring: an SDP the SBC carries unchanged must be usable too.
 */
export function sdpValidationStep(warnHost: string): InviteStep {
  return {
    name: 'sdp-validation',
    run: (ctx): StepResult => {
      const sdp = sdpOf(ctx);
      const problem = sdp === undefined ? undefined : sdpProblem(sdp);
      if (problem === undefined) return CONTINUE;
      return { action: 'reject', status: 488, reason: 'Not Acceptable Here', headers: [['Warning', `399 ${warnHost} "Invalid SDP: ${problem}"`]] };
    },
  };
}

/** IN-03: an offer without G.711 is answered 488 before anything is routed to the core. */
export function codecCheckStep(check: OfferCheck, warnHost: string): InviteStep {
  return {
    name: 'codec-check',
    run: (ctx): StepResult => {
      // A body we cannot read as SDP is a media type we do not support (RFC 3261 8.2.3): 415 naming the
      // one we accept. No body at all is an INVITE without an offer, which this SBC does not take: 488.
      if (ctx.request.body.length > 0 && sdpOf(ctx) === undefined) {
        return { action: 'reject', status: 415, reason: 'Unsupported Media Type', headers: [['Accept', 'application/sdp']] };
      }
      const sdp = sdpOf(ctx);
      if (sdp === undefined) return { action: 'reject', status: 488, reason: 'Not Acceptable Here', headers: warning(488, warnHost) };
      const v = check(sdp, warnHost);
      return v.ok ? CONTINUE : { action: 'reject', status: v.status, reason: v.reason, headers: [['Warning', v.warning]] };
    },
  };
}

/** Anchors the offer in rtpengine; forward then sends `ctx.offerSdp` instead of the caller's SDP. */
export function mediaOfferStep(media: MediaPort, warnHost: string): InviteStep {
  return {
    name: 'media-offer',
    run: async (ctx): Promise<StepResult> => {
      const sdp = sdpOf(ctx);
      if (sdp === undefined || !ctx.route) return { action: 'reject', status: 488, reason: 'Not Acceptable Here', headers: warning(488, warnHost) };
      try {
        ctx.offerSdp = await media.offer(ctx.key, sdp, {
          from: ctx.inbound.zone as MediaZone,
          to: ctx.route.target.zone as MediaZone,
          toTransport: ctx.route.target.protocol,
          fromTag: ctx.request.from().params.find((p) => p.name.toLowerCase() === 'tag')?.value ?? '',
          callId: ctx.request.callId(),
        });
        return CONTINUE;
      } catch (err) {
        const status = err instanceof SbcError && err.status !== undefined ? err.status : 500;
        return { action: 'reject', status, headers: warning(status, warnHost) };
      }
    },
  };
}
