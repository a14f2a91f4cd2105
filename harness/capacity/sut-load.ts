import { join } from 'node:path';
import { g711Wav } from '../media/g711-wav';
import { substitute, type SutProfile } from '../sut/profile';
import type { CapacityOptions } from './controller';
import { LoadGenerator, type Endpoint } from './load-generator';
import { MediaProber } from './media-prober';
import { SutMetricsReader } from './sut-metrics';

/**
 * The load of a capacity run against one SUT, wired from the topology's facts: the SIPp callers on
 * the public hosts, the SIPp UAS on the core servers (echoing media), the media probes, and
 * the SUT's own metrics. Used by `capacity` (bin/capacity-run.ts) and the @capacity feature alike.
 */
export interface CapacityTopology {
  namespaces: { pub: string; core: string; sbc: string };
  addresses: { publicHosts: string[]; coreServers: string[] };
  /** The topology's placeholder values (the SUT profile's metrics URL uses them). */
  vars: Record<string, string>;
}

/** The number every capacity call dials; inbound calls are routed round robin whatever the number. */
export const DIALLED = '+31209990000';
const CALLER_PORT = 5062;
export const ANSWER_TIMEOUT_MS = 10000;
/** The generator ceiling's SIPp UAS listen on the callers' own addresses, on this port. */
const GENERATOR_UAS_PORT = 5090;
/** Callers of the generator ceiling share this many UAS (SIPp pairs: caller i to UAS i mod 4). */
const GENERATOR_UAS = 4;
/** Where every answering SIPp echoes RTP (`-rtp_echo -mp`), and where its SDP answer points the media. */
const ECHO_PORT = 41000;

/** The answering side's scenario and echo: with media (load RTP or probes), each answer points at the SIPp echo. */
function answering(repoRoot: string, options: CapacityOptions): { coreScenario: string; coreMediaEchoPort?: number } {
  if (options.media !== 'rtp' && options.mediaProbes === 0) return { coreScenario: join(repoRoot, 'scenarios', 'uas-answer.xml') };
  return { coreScenario: join(repoRoot, 'scenarios', 'uas-answer-media.xml'), coreMediaEchoPort: ECHO_PORT };
}

/**
 * The callers' source addresses: 203.0.113.20 first (the carrier trunk of earlier runs), then every
 * public host but the probes' (.21) and the old generator UAS's (.22).
 */
function callerPool(t: CapacityTopology, max: number): Endpoint[] {
  const hosts = t.addresses.publicHosts;
  return [hosts[0]!, ...hosts.slice(3)].slice(0, max).map((address) => ({ netns: t.namespaces.pub, address, port: CALLER_PORT }));
}

/** The callers' scenario, and with RTP the G.711 file it streams. */
function callerMedia(repoRoot: string, media: CapacityOptions['media']): { callerScenario: string; callerFiles?: { name: string; data: Buffer }[] } {
  if (media !== 'rtp') return { callerScenario: join(repoRoot, 'scenarios', 'uac-capacity-call.xml') };
  return { callerScenario: join(repoRoot, 'scenarios', 'uac-capacity-call-rtp.xml'), callerFiles: [{ name: 'g711-tone.wav', data: g711Wav({ codec: 'PCMU', seconds: 10 }) }] };
}

/**
 * The generator on its own: the same callers (as many, from the same addresses) and scenario, straight
 * to SIPp UAS in the public zone, no SBC between them.
 */
export function generatorOnly(t: CapacityTopology, o: { repoRoot: string; options: CapacityOptions; dir: string }): { generator: LoadGenerator; uas: number } {
  const callers = callerPool(t, o.options.callers.maxCallers);
  const uas: Endpoint[] = callers.slice(0, GENERATOR_UAS).map((c) => ({ ...c, port: GENERATOR_UAS_PORT }));
  const generator = new LoadGenerator({
    callers,
    perCallerCps: o.options.callers.perCallerCps,
    targets: uas.map((u) => `${u.address}:${u.port}`),
    coreServers: uas,
    service: DIALLED,
    from: '+3120555',
    ...callerMedia(o.repoRoot, o.options.media),
    // The same answer and echo as behind a SUT, so the ceiling includes what the far end costs.
    ...answering(o.repoRoot, { ...o.options, mediaProbes: 0 }),
    dir: o.dir,
    answerTimeoutMs: ANSWER_TIMEOUT_MS,
    zones: [{ name: 'public', netns: t.namespaces.pub }],
  });
  return { generator, uas: uas.length };
}

/** The load against a SUT: callers to its public address, core servers behind it, probes when asked. */
export function sutLoad(t: CapacityTopology, o: { repoRoot: string; profile: SutProfile; options: CapacityOptions; dir: string }): { generator: LoadGenerator; prober?: MediaProber } {
  const { profile, options } = o;
  const core: Endpoint[] = t.addresses.coreServers.map((address) => ({ netns: t.namespaces.core, address, port: 5060 }));
  const generator = new LoadGenerator({
    callers: callerPool(t, options.callers.maxCallers),
    perCallerCps: options.callers.perCallerCps,
    targets: [`${profile.sbc.public.address}:${profile.sbc.public.udp}`],
    coreServers: core,
    service: DIALLED,
    from: '+3120555',
    ...callerMedia(o.repoRoot, options.media),
    // With media, every call is answered towards the core server's own echo: the probes' RTP and, with
    // --media rtp, every load call's comes back through the SBC.
    ...answering(o.repoRoot, options),
    dir: o.dir,
    answerTimeoutMs: ANSWER_TIMEOUT_MS,
    sutNetns: t.namespaces.sbc,
    sutMetrics: new SutMetricsReader(profile.metrics && {
      url: substitute(profile.metrics.http, t.vars, 'metrics.http'),
      ...(profile.metrics.eventLoopDelay ? { eventLoopDelay: profile.metrics.eventLoopDelay } : {}),
    }),
    zones: [
      { name: 'public', netns: t.namespaces.pub },
      { name: 'sbc', netns: t.namespaces.sbc },
      { name: 'core', netns: t.namespaces.core },
    ],
  });
  if (options.mediaProbes === 0) return { generator };
  const hosts = t.addresses.publicHosts;
  const prober = new MediaProber({
    calls: options.mediaProbes,
    pubNetns: t.namespaces.pub,
    // Its own public host, so nothing the SBC does per source (rate limits) mixes probes and load.
    callerIp: hosts[1] ?? hosts[0]!,
    sbc: profile.sbc.public.address,
    sbcPort: profile.sbc.public.udp,
    dialled: DIALLED,
    from: '+3120666',
    dir: o.dir,
    answerTimeoutMs: ANSWER_TIMEOUT_MS,
  });
  return { generator, prober };
}
