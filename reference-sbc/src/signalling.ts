import type { Config } from './config';
import type { B2buaCall } from './dialog/b2bua-call';
import { CallRegistry } from './dialog/call-registry';
import type { LocalSide } from './dialog/dialog';
import type { CallEvents } from './events';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import { accessControlStep, announceStep, codecCheckStep, forwardStep, mediaOfferStep, roundRobinRouteStep, sdpValidationStep, type MediaPort, type OfferCheck } from './policy/invite';
import { createRouting, RoundRobin, type Routing } from './policy/routing';
import { SipRouter } from './policy/dispatch';
import type { Timers } from './transaction/timers';
import { TransactionLayer } from './transaction/transaction-layer';
import type { TransactionTransport } from './transaction/types';
import type { Endpoint, Inbound, Protocol } from './transport/types';

/** Timer C: how long the SBC waits for a final answer on the new leg before giving up. */
const SETUP_TIMEOUT_MS = 180_000;

/** The transport as the signalling stack sees it: send, answer, and the local address per zone. */
export interface SignallingTransport extends TransactionTransport {
  local(zone: string, protocol: Protocol): Endpoint | undefined;
}

export interface Signalling {
  transactions: TransactionLayer;
  registry: CallRegistry<B2buaCall>;
  /** Entry point for every message the transport delivers. */
  receive(inbound: Inbound): void;
  /** Registrar, ENUM and core health: started and closed with the SBC, shown on the admin API. */
  routing: Routing;
}

/**
 * Builds the transaction, dialog and policy layers on top of a transport (real sockets in
 * production, a fake in tests) and wires them together.
 */
export function createSignalling(config: Config, deps: { transport: SignallingTransport; timers: Timers; events: CallEvents; metrics: Metrics; log: Logger; media?: { port: MediaPort; check: OfferCheck } }): Signalling {
  const { transport, timers, events, metrics, log } = deps;
  const transactions = new TransactionLayer({ transport, timers, log: log.child({ layer: 'transaction' }), metrics, maxTransactions: config.limits.maxTransactions });
  const registry = new CallRegistry<B2buaCall>(config.limits.maxCalls);
  metrics.gauge('sbc_active_calls', 'Calls (B2BUA dialog pairs) in progress', () => registry.size);
  metrics.gauge('sbc_active_dialogs', 'SIP dialogs in progress (two per call)', () => registry.size * 2);
  const sideOf = (zone: string, protocol: Protocol): LocalSide | undefined => {
    const local = transport.local(zone, protocol);
    return local ? { zone, protocol, local } : undefined;
  };
  const media = deps.media;
  metrics.counter('sbc_call_state_refused_total', 'Call state changes the call\'s transition table refused (not applied), by from and to');
  const forward = forwardStep({
    transactions, timers, registry, events, log: log.child({ layer: 'call' }), sideOf,
    setupTimeoutMs: SETUP_TIMEOUT_MS,
    noResponseMs: config.coreFailover.noResponseMs,
    ...(media ? { media: media.port } : {}),
    limits: config.limits,
    maxDisplayNameChars: config.limits.maxDisplayNameChars,
    forwardHeaders: config.forwardHeaders,
    maxDurationMs: config.calls.maxDurationS * 1000,
    mediaTimeoutMs: config.calls.mediaTimeoutS * 1000,
    refusedTransition: (from, to) => metrics.inc('sbc_call_state_refused_total', { from, to }),
  });
  const routing = createRouting(config, {
    sender: transactions,
    coreLocal: transport.local('core', 'udp'),
    publicProtocols: new Set((['udp', 'tls'] as const).filter((p) => transport.local('public', p) !== undefined)),
    clock: timers.clock,
    log,
    metrics,
  });
  const availability = routing.availability;
  metrics.gauge('sbc_core_servers_down', 'Core servers currently skipped after failing a call attempt', () => availability.downCount(config.coreServers));
  const warnHost = config.zones.public.address;
  const offer = media ? [mediaOfferStep(media.port, warnHost)] : [];
  const access = accessControlStep(config.coreServers);
  const announce = announceStep(events);
  const sdpCheck = sdpValidationStep(warnHost);
  const router = new SipRouter({
    transactions,
    registry,
    log: log.child({ layer: 'policy' }),
    metrics,
    publicZone: 'public',
    cseqHeadroom: config.calls.cseqHeadroom,
    ...(routing.registrar ? { registrar: routing.registrar } : {}),
    steps: {
      inbound: [access, announce, sdpCheck, ...(media ? [codecCheckStep(media.check, warnHost)] : []), roundRobinRouteStep(new RoundRobin(config.coreServers), 'core', availability), ...offer, forward],
      outbound: [access, announce, sdpCheck, routing.outboundStep, ...offer, forward],
    },
    onRejected: (ctx, status, endReason) => {
      void media?.port.delete(ctx.key);
      events.emit({ kind: 'ended', key: ctx.key, endAt: new Date(), finalStatus: status, endReason });
    },
  });
  transactions.setUser(router);
  return { transactions, registry, receive: (inbound) => transactions.receive(inbound), routing };
}
