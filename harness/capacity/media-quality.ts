/**
 * Media quality under load, from a few probe calls placed during a capacity step. Pure: the probe
 * agent measures, this module sums the probes of one step, judges them and times them within a step.
 *
 * The core side of a probe reflects every packet back to where it came from (the core server's SIPp, `-rtp_echo`), so what
 * a probe measures is the round trip caller -> SBC -> core -> SBC -> caller: G.711 crosses the SBC in
 * both directions, and loss, jitter and payload damage of either direction all show at the caller.
 */

/** What one probe call measured; `error` instead of numbers when it never got to exchange media. */
export interface ProbeOutcome {
  /** Final answer to the probe's INVITE, when one came. */
  status?: number;
  error?: string;
  /** Packets the caller sent (and so expected back). */
  sent: number;
  /** Packets that came back and passed the payload check. */
  accepted: number;
  /** Packets missing at the end (of `sent`). */
  lost: number;
  /** RFC 3550 interarrival jitter of the returning stream, ms. */
  jitterMs: number;
  /** Packets whose payload was not the test payload the caller sent (damaged or foreign). */
  payloadCheckFailures: number;
}

/** The media side of one capacity step. */
export interface MediaSample {
  /** Probe calls placed. */
  probes: number;
  /** Probe calls that were answered and exchanged media. */
  completed: number;
  packetsSent: number;
  packetsLost: number;
  /** Lost among sent, over all completed probes (0.01 = 1 %). */
  lossRatio: number;
  /** 95th percentile (nearest rank) of the probes' jitter, ms; undefined when none completed. */
  jitterP95Ms?: number;
  jitterMaxMs?: number;
  payloadCheckFailures: number;
  /** Why probes did not complete, "N x reason". */
  errors: string[];
}

export interface MediaLevel {
  /** Highest share of packets lost over the round trip (0.01 = 1 %). */
  maxLossRatio: number;
  /** Highest 95th percentile of the probes' jitter, ms. */
  maxJitterP95Ms: number;
}

export const DEFAULT_MEDIA_LEVEL: Readonly<MediaLevel> = Object.freeze({ maxLossRatio: 0.01, maxJitterP95Ms: 30 });

const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;

function percentile(sorted: number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

export function aggregateProbes(outcomes: ProbeOutcome[]): MediaSample {
  const done = outcomes.filter((o) => o.error === undefined);
  const sent = done.reduce((s, o) => s + o.sent, 0);
  const lost = done.reduce((s, o) => s + o.lost, 0);
  const jitters = done.map((o) => o.jitterMs).sort((a, b) => a - b);
  const reasons = new Map<string, number>();
  for (const o of outcomes) if (o.error !== undefined) reasons.set(o.error, (reasons.get(o.error) ?? 0) + 1);
  const p95 = percentile(jitters, 0.95);
  const max = jitters.at(-1);
  return {
    probes: outcomes.length,
    completed: done.length,
    packetsSent: sent,
    packetsLost: lost,
    lossRatio: sent === 0 ? 0 : round(lost / sent, 5),
    ...(p95 === undefined ? {} : { jitterP95Ms: round(p95, 2) }),
    ...(max === undefined ? {} : { jitterMaxMs: round(max, 2) }),
    payloadCheckFailures: done.reduce((s, o) => s + o.payloadCheckFailures, 0),
    errors: [...reasons].sort((a, b) => b[1] - a[1]).map(([why, n]) => `${n} x ${why}`),
  };
}

const pct = (x: number): string => `${(x * 100).toFixed(x < 0.01 ? 2 : 1)} %`;

/** The media violations of a step, one short sentence each; empty when the probes met the level. */
export function evaluateMedia(s: MediaSample, level: MediaLevel): string[] {
  if (s.probes === 0) return [];
  const v: string[] = [];
  if (s.completed === 0) return [`no media probe completed (${s.errors.join('; ') || 'no reason given'})`];
  if (s.completed < s.probes) v.push(`only ${s.completed} of ${s.probes} media probes completed (${s.errors.join('; ')})`);
  if (s.lossRatio > level.maxLossRatio) v.push(`media loss ${pct(s.lossRatio)} > ${pct(level.maxLossRatio)} (${s.packetsLost} of ${s.packetsSent} packets)`);
  if (s.jitterP95Ms !== undefined && s.jitterP95Ms > level.maxJitterP95Ms) v.push(`media jitter p95 ${s.jitterP95Ms} ms > ${level.maxJitterP95Ms} ms`);
  if (s.payloadCheckFailures > 0) v.push(`${s.payloadCheckFailures} media packets failed the payload check`);
  return v;
}

/** The progress line's media part, e.g. "media 3/3, loss 0.00 %, jitter p95 1.2 ms". */
export function mediaText(s: MediaSample | undefined): string | undefined {
  if (!s || s.probes === 0) return undefined;
  const jitter = s.jitterP95Ms === undefined ? '-' : `${s.jitterP95Ms} ms`;
  const damaged = s.payloadCheckFailures ? `, ${s.payloadCheckFailures} damaged` : '';
  return `media ${s.completed}/${s.probes}, loss ${(s.lossRatio * 100).toFixed(2)} %, jitter p95 ${jitter}${damaged}`;
}

/** When a step's probes start (after the step started) and how long they exchange media. */
export interface ProbeWindow {
  delayMs: number;
  durationMs: number;
}

const MAX_PROBE_MS = 5000;
const MIN_PROBE_MS = 2000;

/**
 * Probes must run while the load is on. A rate step creates calls for calls/rate seconds: probe from
 * 1 s in until shortly before creation stops. A concurrency step (holding calls longer than it takes
 * to start them) is at its peak once every call is started: probe then, for at most half the hold.
 */
export function probeWindow(load: { rateCps: number; calls: number; holdMs: number }): ProbeWindow {
  const creationMs = (load.calls / load.rateCps) * 1000;
  if (load.holdMs > creationMs) {
    return { delayMs: Math.round(creationMs), durationMs: Math.round(Math.max(MIN_PROBE_MS, Math.min(MAX_PROBE_MS, load.holdMs / 2))) };
  }
  return { delayMs: 1000, durationMs: Math.round(Math.max(MIN_PROBE_MS, Math.min(MAX_PROBE_MS, creationMs - 2000))) };
}
