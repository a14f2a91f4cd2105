import { readFileSync } from 'node:fs';
import { AdminServer } from './admin/admin-server';
import { registerBlocklistRoutes } from './admin/blocklist-routes';
import { registerRoutingRoutes } from './admin/routing-routes';
import { createSecurity } from './policy/security';
import type { Config, ZoneName } from './config';
import { ConfigError } from './errors';
import { CallEvents } from './events';
import type { Logger } from './logger';
import { EventLoopDelay, LatencyHistogram, Metrics } from './metrics';
import { createSignalling, type Signalling } from './signalling';
import { Timers, type Clock } from './transaction/timers';
import { TransportLayer } from './transport/transport-layer';
import { TlsListener } from './transport/tls-listener';
import { UdpListener } from './transport/udp-listener';
import { MediaAnchor, g711Check } from './media/index';

export interface SbcOptions {
  log: Logger;
  /** Shared with subscribers (CDR writer, tests); a fresh one when absent. */
  events?: CallEvents;
  clock?: Clock;
}

export interface Sbc {
  readonly events: CallEvents;
  readonly metrics: Metrics;
  readonly registry: Signalling['registry'];
  /** Ends calls, closes sockets and the admin API. Idempotent. */
  close(): Promise<void>;
}

/**
 * The composition root: builds the layers bottom-up, wires each lower layer's callback to the
 * layer above (STYLE.md 1), binds every listener and then the admin API.
 */
export async function startSbc(config: Config, options: SbcOptions): Promise<Sbc> {
  const log = options.log;
  const events = options.events ?? new CallEvents();
  const metrics = new Metrics();
  // Every SIP message of every call waits for this one loop: its delay is the first place latency shows.
  const loopDelay = new EventLoopDelay();
  metrics.histogram('sbc_event_loop_delay_seconds', 'How late the event loop ran its timers, seconds (perf_hooks.monitorEventLoopDelay)', () => loopDelay.snapshot());
  const timers = new Timers(
    { t1: config.timers.t1Ms, t2: config.timers.t2Ms, t4: config.timers.t4Ms },
    options.clock,
    (err) => log.error('timer callback failed', { err }),
  );
  const security = createSecurity(config, { metrics, log: log.child({ layer: 'security' }) });
  const transport = new TransportLayer({ log: log.child({ layer: 'transport' }), metrics, maxMessageBytes: config.limits.maxMessageBytes, gate: security.gate, serverHeader: config.security.serverHeader, limits: config.limits, guardedZones: ['core'] });
  const zones: ZoneName[] = ['public', 'core'];
  const tlsFiles = config.tls ? { cert: readPem(config.tls.cert, 'tls.cert'), key: readPem(config.tls.key, 'tls.key') } : undefined;
  const tlsListeners: TlsListener[] = [];
  for (const zone of zones) {
    const z = config.zones[zone];
    transport.add(new UdpListener(zone, { address: z.address, port: z.udp }));
    if (z.tls !== undefined && tlsFiles) {
      const tls = new TlsListener({
        zone,
        local: { address: z.address, port: z.tls },
        ...tlsFiles,
        maxMessageBytes: config.limits.maxMessageBytes,
        log: log.child({ layer: 'transport' }),
        onFramingError: (zoneName, reason) => transport.reportFramingError(zoneName, reason),
        admit: (source) => transport.admitConnection(zone, source),
      });
      tlsListeners.push(tls);
      transport.add(tls);
    }
  }
  metrics.gauge('sbc_tls_connections', 'Open TLS connections by zone', () => tlsListeners.map((l) => ({ labels: { zone: l.zone }, value: l.connectionCount })));
  // Offer and answer are each one round trip inside a call's setup: slow ones show here, not in the loop.
  const ngRoundTrips = new LatencyHistogram();
  metrics.histogram('sbc_rtpengine_round_trip_seconds', 'Round trip of answered rtpengine ng commands, seconds', () => ngRoundTrips.snapshot());
  const anchor = config.media ? new MediaAnchor({
    rtpengine: config.media.rtpengine,
    onRoundTrip: (_command, seconds) => ngRoundTrips.observe(seconds),
    addresses: { public: config.zones.public.address, core: config.zones.core.address },
    log: log.child({ layer: 'media' }),
  }) : undefined;
  const { transactions, registry, receive, routing } = createSignalling(config, { transport, timers, events, metrics, log, ...(anchor ? { media: { port: anchor, check: g711Check } } : {}) });
  transport.onMessage(receive);

  let ready = false;
  const admin = new AdminServer({
    socket: config.admin.socket,
    host: config.admin.host,
    port: config.admin.port,
    log: log.child({ layer: 'admin' }),
    metrics,
    health: () => ({ ready, details: { calls: registry.size, transactions: transactions.size } }),
  });
  registerBlocklistRoutes(admin, { blocklist: security.gate.blocklist, db: security.db, log: log.child({ layer: 'admin' }) });
  registerRoutingRoutes(admin, { coreServers: routing.coreServers, registrar: routing.registrar, log: log.child({ layer: 'admin' }) });

  try {
    // The database block list is in place before the first packet is read.
    await security.start();
    await transport.listen();
    // Bindings are back from the database before the first call from the core can look for them.
    await routing.start();
    await admin.listen();
  } catch (err) {
    await routing.close();
    await transport.close();
    await admin.close();
    await security.close();
    loopDelay.close();
    throw err;
  }
  ready = true;
  log.info('sbc ready', { zones: zones.map((z) => `${z}=${config.zones[z].address}`) });

  let closed = false;
  return {
    events,
    metrics,
    registry,
    close: async () => {
      if (closed) return;
      closed = true;
      ready = false;
      for (const call of registry.all()) call.terminate('shutdown');
      // Let the BYEs/CANCELs of the terminated calls leave before the sockets close.
      await new Promise((resolve) => setTimeout(resolve, 50));
      transactions.clear();
      await anchor?.close();
      await admin.close();
      await routing.close();
      await transport.close();
      await security.close();
      loopDelay.close();
      log.info('sbc stopped');
    },
  };
}

/** Reads a PEM file named by the config; a missing file is a configuration error (exit 2). */
function readPem(path: string, option: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(`config: ${option}: cannot read ${path}: ${(err as Error).message}`, err);
  }
}
