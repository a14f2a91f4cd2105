import type { Config } from '../../config';
import type { Logger } from '../../logger';
import type { Metrics } from '../../metrics';
import { Blocklist } from './blocklist';
import { BlocklistDb } from './blocklist-db';
import { SecurityGate } from './security-gate';
import { zoneGuardFromConfig } from './zone-guard';

export interface Security {
  gate: SecurityGate;
  /** Undefined when `security.database` is not configured. */
  db: BlocklistDb | undefined;
  /** Loads the database list (never failing) and starts the periodic refresh and expiry sweep. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** How often expired bans are swept out of memory (look-ups already ignore them). */
const SWEEP_MS = 10_000;

/** Builds the block list, zone guard, flood and scanner checks from the configuration (IN-01, GEN-02). */
export function createSecurity(config: Config, deps: { metrics: Metrics; log: Logger; now?: () => number }): Security {
  const s = config.security;
  const log = deps.log;
  const blocklist = new Blocklist(deps.now ? { now: deps.now } : {});
  blocklist.replaceSource('config', s.blocklist.map((address) => ({ address, reason: 'configuration' })));
  const gate = new SecurityGate({
    publicZone: 'public',
    zoneGuard: zoneGuardFromConfig(config),
    blocklist,
    flood: s.flood.enabled ? { ...s.flood, exempt: s.flood.exempt } : undefined,
    scanners: s.scanners.userAgents.length ? { userAgents: s.scanners.userAgents, banS: s.scanners.banS } : undefined,
    metrics: deps.metrics,
    log,
    ...(deps.now ? { now: deps.now } : {}),
  });
  const db = s.database ? new BlocklistDb({ url: s.database.url, refreshMs: s.database.refreshS * 1000, blocklist, log }) : undefined;
  let sweeper: NodeJS.Timeout | undefined;
  return {
    gate,
    db,
    start: async () => {
      await db?.start();
      sweeper = setInterval(() => blocklist.sweep(), SWEEP_MS);
      sweeper.unref();
    },
    close: async () => {
      if (sweeper) clearInterval(sweeper);
      await db?.close();
    },
  };
}
