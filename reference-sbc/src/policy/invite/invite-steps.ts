import type { CallEvents } from '../../events';
import { uriUser } from '../../sip/uri';
import type { Protocol } from '../../transport/types';
import { CONTINUE, reject, type InviteContext, type InviteStep, type RouteDecision } from './invite-pipeline';
import type { NextHopAvailability, RoundRobin } from '../routing';

export interface CoreServer {
  readonly host: string;
  readonly port: number;
}

/**
 * Access control: a public INVITE is allowed (the block list comes later); a core-side INVITE must
 * come from a configured core server, so nothing on the core network can dial out through us.
 */
export function accessControlStep(coreServers: readonly CoreServer[]): InviteStep {
  const allowed = new Set(coreServers.map((s) => s.host));
  return {
    name: 'access-control',
    run: (ctx) => (ctx.direction === 'outbound' && !allowed.has(ctx.inbound.source.address) ? reject(403) : CONTINUE),
  };
}

/** Announces the attempt (`started`): from here on every outcome ends in an `ended` event. */
export function announceStep(events: CallEvents): InviteStep {
  return {
    name: 'announce',
    run: (ctx) => {
      events.emit({
        kind: 'started',
        key: ctx.key,
        publicCallId: ctx.direction === 'inbound' ? ctx.request.callId() : ctx.newCallId,
        direction: ctx.direction,
        attemptAt: new Date(),
        srcNumber: ctx.caller ?? '',
        dstNumber: ctx.dialled ?? '',
        remoteIp: ctx.inbound.source.address,
        remotePort: ctx.inbound.source.port,
        transport: ctx.inbound.protocol,
      });
      ctx.announced = true;
      return CONTINUE;
    },
  };
}

/**
 * Inbound routing (IN-04): the next available core server in round robin, Request-URI
 * `sip:<dialled>@<server>`; when that server fails the attempt, the next one not tried yet.
 * If every server is held down, one is tried anyway: the hold-down may be stale.
 */
export function roundRobinRouteStep(servers: RoundRobin<CoreServer>, coreZone: string, availability: NextHopAvailability<CoreServer>, protocol: Protocol = 'udp'): InviteStep {
  return {
    name: 'route-round-robin',
    run: (ctx) => {
      if (ctx.dialled === undefined) return reject(404);
      const user = dialledUserRaw(ctx);
      const tried = new Set<CoreServer>();
      const decide = (): RouteDecision | undefined => {
        const server = servers.pick((s) => !tried.has(s) && availability.isUp(s)) ?? (tried.size === 0 ? servers.pick() : undefined);
        if (!server) return undefined;
        tried.add(server);
        const hostPort = `${server.host}:${server.port}`;
        return {
          target: { zone: coreZone, protocol, endpoint: { address: server.host, port: server.port } },
          requestUri: `sip:${user}@${hostPort}`,
          toHost: hostPort,
          peer: hostPort,
          next: () => {
            availability.markDown(server);
            return decide();
          },
        };
      };
      const route = decide();
      if (!route) return reject(503);
      ctx.route = route;
      return CONTINUE;
    },
  };
}

/** The dialled user as written in the Request-URI (escapes kept), for the new Request-URI. */
function dialledUserRaw(ctx: InviteContext): string {
  const uri = ctx.request.requestUri();
  if (uri.kind === 'sip' && uri.user !== undefined) return uri.user;
  if (uri.kind === 'absolute' && uri.scheme === 'tel') return uri.rest.split(';')[0] ?? '';
  const to = ctx.request.to().uri;
  return to.kind === 'sip' && to.user !== undefined ? to.user : (ctx.dialled ?? '');
}

/** The decoded user of a URI (sip user or tel number), as events and CDRs record numbers. */
export function numberOf(uri: Parameters<typeof uriUser>[0]): string | undefined {
  if (uri.kind === 'absolute') return uri.scheme === 'tel' ? uri.rest.split(';')[0] : undefined;
  return uriUser(uri);
}
