import { cidrSet, enclosingCidr, type Cidr, type CidrMap } from './cidr';

/**
 * Which source addresses each zone's sockets accept (GEN-02). The SBC host joins both networks and,
 * like any Linux host (the weak host model), accepts a packet for its core address on its public
 * interface. Without this guard a public host that routes the core network through the SBC's public
 * address reaches the core socket and gets answers from it. So the core zone reads only what comes
 * from the core, and the public zone never reads what claims to come from the core (spoofed).
 */
export interface ZoneRule {
  /** When set, only these sources are read. */
  allowed?: CidrMap<true>;
  /** These sources are never read. */
  denied?: CidrMap<true>;
}

export class ZoneGuard {
  private readonly rules: ReadonlyMap<string, ZoneRule>;

  constructor(rules: Record<string, ZoneRule>) {
    this.rules = new Map(Object.entries(rules));
  }

  /** True when `zone` may read a packet from `address`. */
  admits(zone: string, address: string): boolean {
    const rule = this.rules.get(zone);
    if (!rule) return true;
    if (rule.denied?.contains(address)) return false;
    return rule.allowed === undefined || rule.allowed.contains(address);
  }
}

export interface ZoneGuardConfig {
  zones: {
    public: { readonly address: string; readonly allowedSources?: readonly string[] | undefined; readonly deniedSources?: readonly string[] | undefined };
    core: { readonly address: string; readonly allowedSources?: readonly string[] | undefined; readonly deniedSources?: readonly string[] | undefined };
  };
  coreServers: readonly { readonly host: string }[];
}

/**
 * The rules from the configuration, with these defaults (README, "Security"):
 *   core   allowed = every core server + the /24 of the SBC's core address; denied = none
 *   public allowed = any;  denied = the core servers and the SBC's own core address
 * The public default is deliberately narrow (an SBC on a lab network may have callers in the same
 * /24 as its core address); set `zones.public.deniedSources` to the real core networks.
 */
export function zoneGuardFromConfig(config: ZoneGuardConfig): ZoneGuard {
  const coreHosts = config.coreServers.map((s) => `${s.host}/32`);
  const coreAllowed: (string | Cidr)[] = config.zones.core.allowedSources
    ? [...config.zones.core.allowedSources]
    : [...coreHosts, enclosingCidr(config.zones.core.address, 24)];
  const publicDenied = config.zones.public.deniedSources
    ? [...config.zones.public.deniedSources]
    : [...coreHosts, `${config.zones.core.address}/32`];
  return new ZoneGuard({
    core: {
      allowed: cidrSet(coreAllowed),
      ...(config.zones.core.deniedSources ? { denied: cidrSet(config.zones.core.deniedSources) } : {}),
    },
    public: {
      ...(config.zones.public.allowedSources ? { allowed: cidrSet(config.zones.public.allowedSources) } : {}),
      denied: cidrSet(publicDenied),
    },
  });
}
