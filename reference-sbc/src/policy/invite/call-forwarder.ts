import type { CallEvents, CallRouted } from '../../events';
import type { Logger } from '../../logger';
import { B2buaCall, type BLegAttempt, type CallHooks } from '../../dialog/b2bua-call';
import type { CallRegistry, LegSide } from '../../dialog/call-registry';
import type { LocalSide } from '../../dialog/dialog';
import { createLegInvite, regenerateDisplayName, type LegParty } from '../../dialog/leg-request';
import { hasControl } from '../../sip/grammar';
import { canonicalName, fieldKey } from '../../sip/headers';
import { checkMessageLimits, type MessageLimits } from '../../sip/message-limits';
import { newCallId, newTag } from '../../sip/ids';
import type { Uri } from '../../sip/uri';
import type { TransactionLayer } from '../../transaction/transaction-layer';
import type { Timer, Timers } from '../../transaction/timers';
import type { Protocol } from '../../transport/types';
import { addressToHost } from '../../sip/uri';
import { CONTINUE, reject, type InviteContext, type InviteStep, type RouteDecision } from './invite-pipeline';
import type { MediaPort, MediaZone } from './media-steps';
import { watchMedia } from './media-watch';

export interface ForwardDeps {
  transactions: TransactionLayer;
  timers: Timers;
  registry: CallRegistry<B2buaCall>;
  events: CallEvents;
  log: Logger;
  /** The SBC's own side in a zone (socket address advertised in Via/Contact). */
  sideOf(zone: string, protocol: Protocol): LocalSide | undefined;
  setupTimeoutMs: number;
  /** Silence (not even 100) from a next hop after which the call moves to the next one. */
  noResponseMs?: number;
  media?: MediaPort;
  /** Bounds of the new leg's INVITE: one over them is refused 400 rather than sent (issue 11 point 1). */
  limits?: MessageLimits;
  /** Display names are regenerated and cut to this many characters (default 64). */
  maxDisplayNameChars?: number;
  /** A call asked for a state change its table refuses (dialog/call-state.ts): counted by the owner. */
  refusedTransition?: CallHooks['refusedTransition'];
  /** Headers of the caller's INVITE carried to the new leg (allow-list, lower-cased or not). */
  forwardHeaders?: readonly string[];
  /** An answered call is ended by the SBC (BYE on both legs) after this long; 0 or absent = never. */
  maxDurationMs?: number;
  /** An answered call whose media relay saw no packet for this long is ended (media-watch.ts); 0 or absent = never. */
  mediaTimeoutMs?: number;
}

/**
 * The last step: builds the new leg's INVITE from the route decision, starts the B2BUA call and
 * wires its lifecycle to the call events (`routed` now, `answered`/`ended` later).
 */
export function forwardStep(deps: ForwardDeps): InviteStep {
  return {
    name: 'forward',
    run: (ctx) => {
      const route = ctx.route;
      const media = deps.media;
      if (!route) return reject(500, 'Server Internal Error');
      if (deps.registry.full) return reject(503);
      const aSide = deps.sideOf(ctx.inbound.zone, ctx.inbound.protocol);
      const first = attemptFor(ctx, route, ctx.newCallId);
      if (!aSide || !first) return reject(503);
      // Checked on the INVITE as built: what the caller sent passed the arrival limits, but the new
      // leg's own host, tags and Via add bytes; the caller's fault is still a 400, never a 5xx.
      const breach = deps.limits ? checkMessageLimits(first.invite, deps.limits) : undefined;
      if (breach) return reject(400, breach.reason);
      const bSide = first.side;
      let current = route;
      const nextAttempt = (): BLegAttempt | undefined => {
        for (let next = current.next?.(); next; next = next.next?.()) {
          const attempt = attemptFor(ctx, next, newCallId());
          if (!attempt) continue;
          current = next;
          deps.events.emit(routedEvent(ctx, attempt, next));
          return attempt;
        }
        return undefined;
      };
      let maxDuration: Timer | undefined;
      let mediaWatch: { stop(): void } | undefined;
      const call = new B2buaCall({
        key: ctx.key,
        aTx: ctx.tx,
        aSide,
        aTag: newTag(),
        bInvite: first.invite,
        bSide,
        bTarget: first.target,
        bNoResponseMs: first.noResponseMs,
        nextAttempt,
        retryOn: (res) => current.retryOn?.(res),
      }, {
        transactions: deps.transactions,
        timers: deps.timers,
        log: deps.log,
        setupTimeoutMs: deps.setupTimeoutMs,
        ...(deps.noResponseMs === undefined ? {} : { noResponseMs: deps.noResponseMs }),
        hooks: {
          legsChanged: () => deps.registry.refresh(call),
          ...(deps.refusedTransition ? { refusedTransition: deps.refusedTransition } : {}),
          answered: () => {
            deps.events.emit({ kind: 'answered', key: ctx.key, answerAt: new Date(), mediaEncrypted: deps.media?.session(ctx.key)?.encrypted ?? false });
            // Every call ends (issue 11 point 5): a peer that never sends a valid BYE cannot keep it open.
            if (deps.maxDurationMs) maxDuration = deps.timers.start(deps.maxDurationMs, () => call.terminate('max-duration'));
            const packets = media?.packets?.bind(media);
            if (packets && deps.mediaTimeoutMs) {
              mediaWatch = watchMedia({
                timers: deps.timers, intervalMs: deps.mediaTimeoutMs, log: deps.log,
                packets: () => packets(ctx.key),
                onInactive: (why) => {
                  deps.log.info('call ended for media inactivity', { call: ctx.key, why });
                  call.terminate('media-timeout');
                },
              });
            }
          },
          ended: (finalStatus, endReason) => deps.events.emit({ kind: 'ended', key: ctx.key, endAt: new Date(), finalStatus, endReason }),
          released: () => {
            maxDuration?.cancel();
            mediaWatch?.stop();
            deps.registry.remove(call);
            void deps.media?.delete(ctx.key);
          },
          ...(media ? {
            sdp: {
              offer: (sdp: string, fromSide: LegSide, fromTag: string) => {
                const [from, to] = fromSide === 'a' ? [aSide, bSide] : [bSide, aSide];
                return media.offer(ctx.key, sdp, { from: from.zone as MediaZone, to: to.zone as MediaZone, toTransport: to.protocol, fromTag });
              },
              answer: (sdp: string, toTag: string) => media.answer(ctx.key, sdp, { toTag }),
            },
          } : {}),
        },
      });
      deps.registry.add(call);
      call.start();
      deps.events.emit(routedEvent(ctx, first, route));
      deps.log.info('call routed', { call: ctx.key, direction: ctx.direction, peer: route.peer, dialled: ctx.dialled });
      return CONTINUE;
    },
  };

  /** The B-leg INVITE for one route: only users, display names and the (anchored) offer cross. */
  function attemptFor(ctx: InviteContext, route: RouteDecision, callId: string): BLegAttempt | undefined {
    const side = deps.sideOf(route.target.zone, route.target.protocol);
    if (!side) return undefined;
    const from = ctx.request.from();
    const to = ctx.request.to();
    const nameMax = deps.maxDisplayNameChars ?? 64;
    const invite = createLegInvite({
      requestUri: route.requestUri,
      from: party(from.uri, regenerateDisplayName(from.displayName, nameMax), addressToHost(side.local.address)),
      to: { ...party(to.uri, regenerateDisplayName(to.displayName, nameMax), route.toHost), user: userForUri(route.requestUri) },
      extraHeaders: allowListed(ctx, deps.forwardHeaders ?? []),
      side,
      maxForwards: ctx.maxForwards,
      body: ctx.offerSdp !== undefined ? Buffer.from(ctx.offerSdp) : ctx.request.body,
      contentType: ctx.offerSdp !== undefined ? 'application/sdp' : ctx.request.headers.get('content-type'),
      callId,
    });
    return { invite, target: route.target, side, noResponseMs: route.noResponseMs };
  }
}

/**
 * `routed` names the legs by zone: inbound, the new leg is the core leg; outbound, the caller's leg
 * is the core leg and the new one the public leg, whose peer is the public destination (CDR remote IP).
 */
function routedEvent(ctx: InviteContext, attempt: BLegAttempt, route: RouteDecision): CallRouted {
  if (ctx.direction === 'inbound') return { kind: 'routed', key: ctx.key, coreCallId: attempt.invite.callId(), peer: route.peer };
  return {
    kind: 'routed',
    key: ctx.key,
    coreCallId: ctx.request.callId(),
    peer: route.peer,
    publicCallId: attempt.invite.callId(),
    remoteIp: route.target.endpoint.address,
    remotePort: route.target.endpoint.port,
    transport: route.target.protocol,
  };
}

function party(uri: Uri, displayName: string | undefined, host: string): LegParty {
  let user: string | undefined;
  if (uri.kind === 'sip') user = uri.user;
  else if (uri.scheme === 'tel') user = uri.rest.split(';')[0];
  return { user, displayName, host };
}

/** The caller's headers named in the allow-list, in their order; names are the caller's spelling. */
function allowListed(ctx: InviteContext, allowed: readonly string[]): Array<[string, string]> {
  if (allowed.length === 0) return [];
  const names = new Set(allowed.map((n) => canonicalName(n)));
  return ctx.request.headers.fields
    .filter((f) => names.has(fieldKey(f)) && !hasControl(f.value))
    .map((f) => [f.name, f.value]);
}

function userForUri(requestUri: string): string | undefined {
  const m = /^sips?:([^@]+)@/.exec(requestUri);
  return m?.[1];
}
