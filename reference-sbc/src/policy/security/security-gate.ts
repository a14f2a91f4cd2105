import type { Logger } from '../../logger';
import type { Metrics } from '../../metrics';
import type { Endpoint } from '../../transport/types';
import { Blocklist, type BlockSource } from './blocklist';
import { cidrSet, type CidrMap } from './cidr';
import { FloodGuard } from './flood-guard';
import { ScannerFilter } from './scanner-filter';
import type { ZoneGuard } from './zone-guard';

/** Why the gate dropped data, as counted in `sbc_sip_dropped_total{reason}`. */
export type DropReason = 'foreign-source' | 'blocked' | 'scanner' | 'flood';

export interface SecurityGateOptions {
  /** The zone the Internet is on: flood and scanner checks apply there only. */
  publicZone: string;
  zoneGuard: ZoneGuard;
  blocklist: Blocklist;
  /** Undefined = no automatic flood bans. */
  flood?: { windowMs: number; maxRequests: number; banS: number; maxSources: number; exempt: readonly string[] } | undefined;
  /** Undefined = scanners are not recognised. `banS` 0 drops their messages without banning them. */
  scanners?: { userAgents: readonly string[]; banS: number } | undefined;
  metrics: Metrics;
  log: Logger;
  now?: () => number;
}

/**
 * The first thing every datagram, stream message and TLS connection meets, before any parsing (IN-01,
 * GEN-02): sources the zone does not accept, block-listed sources, scanners and floods are dropped
 * without an answer. Each check is a map look-up or a counter, so a flood costs the SBC little more
 * than reading the packet. Drops are counted by the transport; bans are logged and counted here.
 */
export class SecurityGate {
  readonly blocklist: Blocklist;
  private readonly o: SecurityGateOptions;
  private readonly flood: FloodGuard | undefined;
  private readonly floodExempt: CidrMap<true>;
  private readonly scanners: ScannerFilter | undefined;
  private readonly now: () => number;

  constructor(options: SecurityGateOptions) {
    this.o = options;
    this.blocklist = options.blocklist;
    this.now = options.now ?? Date.now;
    this.flood = options.flood
      ? new FloodGuard({ windowMs: options.flood.windowMs, maxRequests: options.flood.maxRequests, maxSources: options.flood.maxSources, now: this.now })
      : undefined;
    this.floodExempt = cidrSet(options.flood?.exempt ?? []);
    this.scanners = options.scanners ? new ScannerFilter(options.scanners.userAgents) : undefined;
    options.metrics.counter('sbc_security_bans_total', 'Sources put on the block list automatically, by reason (flood, scan)');
    options.metrics.gauge('sbc_blocklist_entries', 'Live block-list entries by source', () => {
      const counts = new Map<BlockSource, number>();
      for (const e of this.blocklist.list()) counts.set(e.source, (counts.get(e.source) ?? 0) + 1);
      return [...counts].map(([source, value]) => ({ labels: { source }, value }));
    });
    options.metrics.gauge('sbc_flood_tracked_sources', 'Sources whose message rate the flood guard is tracking', () => this.flood?.trackedSources ?? 0);
  }

  /** Checks one message (datagram or framed stream message) before it is parsed. */
  check(zone: string, source: Endpoint, data: Buffer): DropReason | undefined {
    const early = this.checkSource(zone, source);
    if (early) return early;
    if (zone !== this.o.publicZone) return undefined;
    const scanner = this.scanners?.match(data);
    if (scanner !== undefined) {
      const banS = this.o.scanners?.banS ?? 0;
      if (banS > 0) this.ban(source.address, 'scan', banS, `User-Agent matches "${scanner}"`);
      return 'scanner';
    }
    return this.countForFlood(source.address);
  }

  /** Checks a new stream connection (TLS) before its handshake; a connection attempt counts as a message. */
  checkConnection(zone: string, source: Endpoint): DropReason | undefined {
    return this.checkSource(zone, source) ?? (zone === this.o.publicZone ? this.countForFlood(source.address) : undefined);
  }

  private checkSource(zone: string, source: Endpoint): DropReason | undefined {
    if (!this.o.zoneGuard.admits(zone, source.address)) return 'foreign-source';
    if (this.blocklist.blocking(source.address)) return 'blocked';
    return undefined;
  }

  private countForFlood(address: string): DropReason | undefined {
    if (!this.flood || !this.flood.hit(address)) return undefined;
    if (this.floodExempt.contains(address)) {
      this.flood.forget(address);
      return undefined;
    }
    const f = this.o.flood!;
    this.ban(address, 'flood', f.banS, `more than ${f.maxRequests} messages in ${f.windowMs} ms`);
    this.flood.forget(address);
    return 'flood';
  }

  private ban(address: string, source: 'flood' | 'scan', banS: number, reason: string): void {
    this.blocklist.add(source, { address, expiresInMs: banS * 1000, reason });
    this.o.metrics.inc('sbc_security_bans_total', { reason: source });
    this.o.log.warn('source banned', { address, source, banS, reason });
  }
}
