import { isIP } from 'node:net';
import type { Logger } from '../../logger';
import type { SipResponse } from '../../sip/message';
import { hostToAddress, parseSipUri, serializeUri, uriTransport, type SipUri } from '../../sip/uri';
import type { Endpoint, Protocol, Target } from '../../transport/types';
import { DnsError } from './dns-naptr';
import type { EnumResolver } from './enum-resolver';
import { CONTINUE, reject, type InviteContext, type InviteStep, type RouteDecision } from '../invite';

/**
 * Outbound routing (core -> public, OUT-01/OUT-02, IN-02): a registered user is called at the
 * contacts its device registered, over the flow it registered on; anything else is a number for
 * ENUM, whose URIs are tried in turn (serial failover: `RouteDecision.next`). No contact and no
 * record: 404, and nothing is sent to the public side. DNS failure: 503.
 */

/** A registered device's contact, as the registrar hands it out for routing. */
export interface ContactRoute {
  /** The Contact URI the device registered: the new leg's Request-URI. */
  uri: string;
  /** The flow the REGISTER came over: responses and requests reach a NATed device only there. */
  protocol: Protocol;
  source: Endpoint;
  connectionId?: string | undefined;
}

export interface ContactDirectory {
  /** Live contacts of `user` (the dialled user part), best first; empty when not registered. */
  contacts(user: string): ContactRoute[];
}

/** Next hops that asked not to be used for a while (503 with Retry-After, RFC 3261 21.5.4). */
export class HopHoldDown {
  private readonly until = new Map<string, number>();
  private readonly now: () => number;
  /** A Retry-After longer than this is cut to it, so one answer cannot park a destination for days. */
  private readonly maxS: number;

  constructor(now: () => number, maxS = 3600) {
    this.now = now;
    this.maxS = maxS;
  }

  hold(peer: string, seconds: number): void {
    this.until.set(peer, this.now() + Math.min(seconds, this.maxS) * 1000);
    if (this.until.size > 10_000) for (const [k, v] of this.until) if (v <= this.now()) this.until.delete(k);
  }

  isHeld(peer: string): boolean {
    const t = this.until.get(peer);
    if (t === undefined) return false;
    if (t > this.now()) return true;
    this.until.delete(peer);
    return false;
  }
}

/**
 * OUT-02: a final 408 or any 5xx moves the call to the next record; a 6xx (global failure) and
 * every 4xx end the search. A 503 with Retry-After also keeps that hop out of later calls' lists.
 */
export function enumRetryOn(response: SipResponse, peer: string, holdDown?: HopHoldDown): boolean {
  const status = response.status;
  if (status === 503 && holdDown) {
    const after = /^\s*(\d+)/.exec(response.headers.get('retry-after') ?? '')?.[1];
    if (after !== undefined && Number(after) > 0) holdDown.hold(peer, Number(after));
  }
  return status === 408 || (status >= 500 && status < 600);
}

export interface OutboundRouterDeps {
  publicZone: string;
  /** Protocols the public zone has a listener for; URIs needing another one are skipped. */
  protocols: ReadonlySet<Protocol>;
  enum?: EnumResolver | undefined;
  registrar?: ContactDirectory | undefined;
  holdDown?: HopHoldDown | undefined;
  /** Per-hop time-out: a public destination silent this long (not even 100 Trying) fails; undefined: the default. */
  hopTimeoutMs?: number | undefined;
  /** Resolves a host name of an ENUM URI to an IPv4 address (undefined: unresolvable, skipped). */
  resolveHost?: ((host: string) => Promise<string | undefined>) | undefined;
  log: Logger;
}

/** One concrete next hop: where to send and what to put in the Request-URI. */
export interface Hop {
  target: Target;
  requestUri: string;
  toHost: string;
  peer: string;
}

/** Turns a routing URI into a next hop in the public zone, or undefined when it cannot be used. */
export async function hopForUri(uriText: string, deps: Pick<OutboundRouterDeps, 'publicZone' | 'protocols' | 'resolveHost'>): Promise<Hop | undefined> {
  let uri: SipUri;
  try {
    uri = parseSipUri(uriText);
  } catch {
    return undefined;
  }
  const transport = uriTransport(uri);
  if (transport !== 'udp' && transport !== 'tls') return undefined;
  const protocol: Protocol = transport;
  if (!deps.protocols.has(protocol)) return undefined;
  const port = uri.port ?? (protocol === 'tls' ? 5061 : 5060);
  let address = hostToAddress(uri.host);
  if (isIP(address) === 0) {
    const resolved = await deps.resolveHost?.(address);
    if (resolved === undefined) return undefined;
    address = resolved;
  }
  const hostPort = `${uri.host}:${port}`;
  return {
    target: { zone: deps.publicZone, protocol, endpoint: { address, port } },
    requestUri: serializeUri(uri),
    toHost: uri.port === undefined ? uri.host : hostPort,
    peer: `${address}:${port}`,
  };
}

/** Chains hops into route decisions: each failure moves to the next hop not held down. */
export function chainHops(hops: readonly Hop[], o: { holdDown?: HopHoldDown | undefined; hopTimeoutMs?: number | undefined } = {}): RouteDecision | undefined {
  const { holdDown, hopTimeoutMs } = o;
  const usable = hops.filter((h) => !holdDown?.isHeld(h.peer));
  // Every hop held down: try them anyway rather than fail a call on advice that may be stale.
  const list = usable.length > 0 ? usable : hops;
  const at = (i: number): RouteDecision | undefined => {
    const hop = list[i];
    return hop === undefined ? undefined : { ...hop, next: () => at(i + 1), retryOn: (res) => enumRetryOn(res, hop.peer, holdDown), noResponseMs: hopTimeoutMs };
  };
  return at(0);
}

function contactHop(c: ContactRoute, publicZone: string): Hop | undefined {
  let uri: SipUri;
  try {
    uri = parseSipUri(c.uri);
  } catch {
    return undefined;
  }
  // UDP: the address the REGISTER came from (the device may sit behind NAT). TLS: the registered
  // connection while it lasts; if it is gone, a new one to the Contact's own host and port.
  const endpoint = c.protocol === 'udp' ? c.source : { address: hostToAddress(uri.host), port: uri.port ?? 5061 };
  const target: Target = { zone: publicZone, protocol: c.protocol, endpoint, ...(c.connectionId === undefined ? {} : { connectionId: c.connectionId }) };
  return {
    target,
    requestUri: c.uri,
    toHost: uri.port === undefined ? uri.host : `${uri.host}:${uri.port}`,
    peer: `${endpoint.address}:${endpoint.port}`,
  };
}

export function outboundRouteStep(deps: OutboundRouterDeps): InviteStep {
  return {
    name: 'route-outbound',
    run: async (ctx: InviteContext) => {
      const dialled = ctx.dialled;
      if (dialled === undefined || dialled === '') return reject(404);
      const contacts = deps.registrar?.contacts(dialled) ?? [];
      const registered = contacts.flatMap((c) => contactHop(c, deps.publicZone) ?? []);
      if (registered.length > 0) {
        ctx.route = chainHops(registered, { hopTimeoutMs: deps.hopTimeoutMs });
        deps.log.debug('outbound call to a registered user', { call: ctx.key, contacts: registered.length });
        return CONTINUE;
      }
      const resolver = deps.enum;
      const e164 = resolver?.normalise(dialled);
      if (!resolver || e164 === undefined) return reject(404);
      let targets;
      try {
        targets = await resolver.resolve(e164);
      } catch (err) {
        deps.log.warn('ENUM look-up failed', { call: ctx.key, number: e164, err: err instanceof Error ? err.message : String(err) });
        return reject(err instanceof DnsError ? 503 : 500);
      }
      const hops: Hop[] = [];
      for (const t of targets) {
        const hop = await hopForUri(t.uri, deps);
        if (hop) hops.push(hop);
        else deps.log.info('ENUM URI not usable, skipped', { call: ctx.key, uri: t.uri });
      }
      const route = chainHops(hops, { holdDown: deps.holdDown, hopTimeoutMs: deps.hopTimeoutMs });
      if (!route) return reject(404);
      ctx.route = route;
      deps.log.info('ENUM routed', { call: ctx.key, number: e164, hops: hops.length });
      return CONTINUE;
    },
  };
}
