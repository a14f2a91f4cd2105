import { Resolver } from 'node:dns/promises';
import type { Config } from '../../config';
import type { Logger } from '../../logger';
import type { Metrics } from '../../metrics';
import type { Clock } from '../../transaction/timers';
import type { Endpoint, Protocol } from '../../transport/types';
import { CoreHealth, type ProbeSender, type ServerHealth } from './core-health';
import { EnumResolver } from './enum-resolver';
import type { CoreServer, InviteStep } from '../invite';
import { NextHopAvailability } from './next-hop-availability';
import { HopHoldDown, outboundRouteStep } from './outbound-router';
import { Registrar, RegistrationStore } from '../registrar';

/**
 * Builds the routing policy from the configuration: ENUM + registered contacts for calls from the
 * core, OPTIONS health checks for the round robin to the core, the registrar for public devices.
 */

/**
 * A core server is used when the health checks see it up and no call attempt failed on it
 * recently (the passive hold-down of NextHopAvailability): the probes find a dead server between
 * calls, the calls find it between probes. A probe answered after the failed call ends that
 * hold-down early: the server answers again, which is fresher news than the failure.
 */
export class CoreAvailability extends NextHopAvailability<CoreServer> {
  private readonly health: CoreHealth<CoreServer> | undefined;
  private readonly time: Clock;
  private readonly failedAt = new Map<CoreServer, number>();

  constructor(holdDownMs: number, clock: Clock, health: CoreHealth<CoreServer> | undefined) {
    super(holdDownMs, clock);
    this.health = health;
    this.time = clock;
  }

  override markDown(hop: CoreServer): void {
    super.markDown(hop);
    this.failedAt.set(hop, this.time.now());
  }

  override isUp(hop: CoreServer): boolean {
    if (this.health && !this.health.isUp(hop)) return false;
    return !this.heldDown(hop);
  }

  /** Whether the hop is held down after a failed call attempt (and no probe answered since). */
  heldDown(hop: CoreServer): boolean {
    if (super.isUp(hop)) return false;
    const alive = this.health?.aliveAt(hop);
    return alive === undefined || alive <= (this.failedAt.get(hop) ?? Infinity);
  }
}

export interface CoreServerView extends ServerHealth {
  /** Skipped for a while because a call attempt failed on it. */
  heldDown: boolean;
  /** In the rotation now (probes up and not held down). */
  inRotation: boolean;
}

export interface Routing {
  availability: CoreAvailability;
  outboundStep: InviteStep;
  registrar: Registrar | undefined;
  /** Core server states for the admin API. */
  coreServers(): CoreServerView[];
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface RoutingDeps {
  sender: ProbeSender;
  /** The SBC's UDP address in the core zone (probe source). */
  coreLocal: Endpoint | undefined;
  /** Protocols the public zone can send with. */
  publicProtocols: ReadonlySet<Protocol>;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
}

function hostPort(text: string, defaultPort: number): { address: string; port: number } {
  const [address = '', port] = text.split(':');
  return { address, port: port === undefined ? defaultPort : Number(port) };
}

export function createRouting(config: Config, deps: RoutingDeps): Routing {
  const { clock, log, metrics } = deps;
  const servers = config.coreServers;
  const hc = config.coreHealth;
  const health = hc.enabled && deps.coreLocal
    ? new CoreHealth<CoreServer>(servers, hc, {
      sender: deps.sender,
      zone: 'core',
      local: deps.coreLocal,
      clock,
      onChange: (s, state) => log.info('core server health changed', { server: `${s.host}:${s.port}`, state }),
    })
    : undefined;
  const availability = new CoreAvailability(config.coreFailover.holdDownMs, clock, health);
  metrics.gauge('sbc_core_servers_in_rotation', 'Core servers the round robin currently uses', () => servers.filter((s) => availability.isUp(s)).length);

  const e = config.enum;
  const dnsServer = e ? hostPort(e.server, 53) : undefined;
  const resolver = e && dnsServer
    ? new EnumResolver({ server: dnsServer, suffix: e.suffix, timeoutMs: e.timeoutMs, attempts: e.attempts, maxCacheS: e.maxCacheS, countryCode: e.countryCode, clock })
    : undefined;
  let resolveHost: ((host: string) => Promise<string | undefined>) | undefined;
  if (dnsServer) {
    const dns = new Resolver({ timeout: e?.timeoutMs ?? 1000, tries: e?.attempts ?? 2 });
    dns.setServers([`${dnsServer.address}:${dnsServer.port}`]);
    resolveHost = async (host) => {
      try {
        return (await dns.resolve4(host))[0];
      } catch {
        return undefined;
      }
    };
  }

  const r = config.registrar;
  const store = r ? new RegistrationStore({ databaseUrl: r.database, log: log.child({ layer: 'registrar' }) }) : undefined;
  const registrar = r && store
    ? new Registrar({ realm: r.realm, users: r.users, defaultExpiresS: r.defaultExpiresS, minExpiresS: r.minExpiresS, maxExpiresS: r.maxExpiresS, nonceTtlS: r.nonceTtlS, publicZone: 'public' }, { store, log: log.child({ layer: 'registrar' }), metrics })
    : undefined;

  const outboundStep = outboundRouteStep({
    publicZone: 'public',
    protocols: deps.publicProtocols,
    enum: resolver,
    registrar,
    resolveHost,
    holdDown: new HopHoldDown(() => clock.now()),
    hopTimeoutMs: e?.hopTimeoutMs,
    log: log.child({ layer: 'routing' }),
  });

  return {
    availability,
    outboundStep,
    registrar,
    coreServers: () => {
      const states = health?.snapshot();
      return servers.map((s, i) => {
        const h: ServerHealth = states?.[i] ?? { host: s.host, port: s.port, state: 'up', failures: 0, successes: 0, lastResult: undefined, lastProbeAt: undefined, changedAt: undefined };
        return { ...h, heldDown: availability.heldDown(s), inRotation: availability.isUp(s) };
      });
    },
    start: async () => {
      await store?.load();
      health?.start();
    },
    close: async () => {
      health?.stop();
      await store?.close();
    },
  };
}
