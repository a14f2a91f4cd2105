import type { CapacityOptions } from './controller';
import { DEFAULT_SERVICE_LEVEL, parseServiceLevel, type ServiceLevel } from './service-level';

/**
 * The capacity plan for a time budget. Step lengths scale with the budget so a short run still gets
 * enough steps to ramp and bisect (a 3-minute run uses 6-second rate steps, a 5-minute one 10 s), and
 * the concurrency hold scales with what is left for that phase (clamped to 10-30 s).
 */
export interface CapacityRequest {
  budgetS?: number;
  maxCps?: number;
  startCps?: number;
  stepS?: number;
  /** Seconds of the rate's confirmation trial (0 = none). */
  confirmS?: number;
  holdMs?: number;
  concurrency?: boolean;
  maxCalls?: number;
  concurrencyHoldS?: number;
  serviceLevel?: ServiceLevel;
  /** Media probe calls per step; 0 turns them off. */
  mediaProbes?: number;
  /** `rtp`: every load call carries G.711 RTP through the SBC's media anchor (the default, as RFC 7502 measures with media); `signalling`: none. */
  media?: 'signalling' | 'rtp';
  /** Seconds for measuring the generator's own ceiling first (SIPp to SIPp, no SBC); 0 skips it. */
  generatorBudgetS?: number;
  /** One SIPp caller, on its own source address, per this many calls per second of a step. */
  perCallerCps?: number;
  /** At most this many callers (source addresses) per step. */
  maxCallers?: number;
}

export const DEFAULT_GENERATOR_BUDGET_S = 60;

export const DEFAULT_BUDGET_S = 300;
export const DEFAULT_MEDIA_PROBES = 5;
/**
 * 5 calls/s per source is 15 requests/s (INVITE, ACK, BYE): well below the per-source flood limits SBCs
 * ship with, so a run measures the SBC's capacity, not its flood protection; one SIPp at that rate is
 * far from its own ceiling.
 */
export const DEFAULT_PER_CALLER_CPS = 5;
/** Public addresses the topology offers callers (203.0.113.20-59, less the probes' and the generator UAS's). */
export const MAX_CALLERS = 38;
/** More probes than this would be load of their own, and the agent places them all at once. */
const MAX_MEDIA_PROBES = 50;
const RATE_SHARE = 0.55;

const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

export function capacityOptions(req: CapacityRequest = {}): CapacityOptions {
  const budgetS = req.budgetS ?? DEFAULT_BUDGET_S;
  const maxCps = req.maxCps ?? 1000;
  const concurrency = req.concurrency ?? true;
  const problems: string[] = [];
  if (!(budgetS >= 20)) problems.push(`the budget must be at least 20 s (got ${budgetS})`);
  if (!(maxCps >= 1)) problems.push(`--max-cps must be at least 1 (got ${maxCps})`);
  if (req.stepS !== undefined && !(req.stepS >= 1)) problems.push(`the step length must be at least 1 s (got ${req.stepS})`);
  if (req.confirmS !== undefined && !(req.confirmS === 0 || req.confirmS >= 1)) problems.push(`--confirm-s must be 0 (no confirmation) or at least 1 s (got ${req.confirmS})`);
  if (req.holdMs !== undefined && !(req.holdMs >= 0)) problems.push(`the hold must not be negative (got ${req.holdMs})`);
  const mediaProbes = req.mediaProbes ?? DEFAULT_MEDIA_PROBES;
  if (!(Number.isInteger(mediaProbes) && mediaProbes >= 0 && mediaProbes <= MAX_MEDIA_PROBES)) {
    problems.push(`--media-probes must be a whole number from 0 to ${MAX_MEDIA_PROBES} (got ${mediaProbes})`);
  }
  const media = req.media ?? 'rtp';
  if (media === 'rtp' && mediaProbes === 0) problems.push('--media rtp (the default) needs media probes (--media-probes 1 or more): loss and jitter are measured on them; --media signalling runs without');
  const maxCallers = req.maxCallers ?? MAX_CALLERS;
  if (!(Number.isInteger(maxCallers) && maxCallers >= 1 && maxCallers <= MAX_CALLERS)) problems.push(`--callers must be a whole number from 1 to ${MAX_CALLERS} (got ${maxCallers})`);
  if (problems.length) throw new Error(`capacity: ${problems.join('; ')}`);
  const share = concurrency ? RATE_SHARE : 1;
  return {
    budgetS,
    serviceLevel: req.serviceLevel ?? { ...DEFAULT_SERVICE_LEVEL },
    rate: {
      startCps: Math.min(req.startCps ?? 20, maxCps),
      maxCps,
      // Doubling reaches a few hundred cps in 5 steps; the two bisections then narrow the last doubling to a quarter.
      growth: 2,
      bisectSteps: 2,
      resolutionCps: 2,
      stepS: req.stepS ?? clamp(Math.round(budgetS / 30), 5, 10),
      holdMs: req.holdMs ?? 1500,
      budgetShare: share,
      // Three search steps long (30 s at the default 10 s steps): long enough that one stall does not decide it.
      confirmS: req.confirmS ?? Math.min(30, 3 * (req.stepS ?? clamp(Math.round(budgetS / 30), 5, 10))),
    },
    concurrency: {
      enabled: concurrency,
      startCalls: 0,
      maxCalls: req.maxCalls ?? 5000,
      growth: 2,
      bisectSteps: 1,
      holdS: req.concurrencyHoldS ?? clamp(Math.floor((budgetS * (1 - share)) / 5), 10, 30),
    },
    cooldownS: 2,
    maxSteps: 30,
    mediaProbes,
    media,
    callers: { perCallerCps: req.perCallerCps ?? DEFAULT_PER_CALLER_CPS, maxCallers },
  };
}

function mediaMode(v: string | undefined): CapacityRequest['media'] {
  if (v === undefined) return undefined;
  if (v === 'rtp' || v === 'signalling') return v;
  throw new CapacityArgsError(`--media is rtp (G.711 on every call) or signalling (none), not ${JSON.stringify(v)}`);
}

export class CapacityArgsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CapacityArgsError';
  }
}

export const CAPACITY_USAGE = `  capacity [--sut FILE]     bring the topology up, find the highest call rate and the most simultaneous calls
           [--budget-s N]   the SUT holds within the service level; results and plots in reports/<run>/capacity/
           [--max-cps N]    (budget default ${DEFAULT_BUDGET_S} s; also --start-cps N, --step-s N, --hold-ms N,
                            --max-calls N, --no-concurrency, --slo failed=0.1%,p99=200ms,retrans=1%,
                            loss=1%,jitter=30ms; --media-probes N G.711 probe calls per step, default
                            ${DEFAULT_MEDIA_PROBES}, 0 = signalling only; --generator-budget-s N seconds for the
                            generator's own ceiling first, default ${DEFAULT_GENERATOR_BUDGET_S}; --no-generator-ceiling skips it;
                            --media rtp: G.711 RTP on every load call, the default; --media signalling: none;
                            --caller-cps N: one SIPp caller, on its own source address, per N cps of a step,
                            default ${DEFAULT_PER_CALLER_CPS}; --callers N at most, default and maximum ${MAX_CALLERS};
                            --confirm-s N: the rate found is offered again for N s before it is reported
                            (default 3 steps, at most 30 s; 0 = no confirmation trial);
                            --feature: run the @capacity features of features/capacity/ instead, e.g. 100 calls
                            per second with media for 60 s within the service level)
`;

/** The capacity options of the command line; unknown values are an error, unknown flags are the CLI's business. */
export function parseCapacityArgs(args: string[]): CapacityRequest {
  const value = (name: string): string | undefined => {
    const i = args.indexOf(name);
    if (i < 0) return undefined;
    const v = args[i + 1];
    if (v === undefined || v.startsWith('--')) throw new CapacityArgsError(`${name} needs a value`);
    return v;
  };
  const number = (name: string): number | undefined => {
    const v = value(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new CapacityArgsError(`${name} needs a positive number, not ${JSON.stringify(v)}`);
    return n;
  };
  const slo = value('--slo');
  // 0 is allowed here (no confirmation trial), unlike the other durations.
  const confirm = value('--confirm-s');
  if (confirm !== undefined && !(Number(confirm) >= 0)) throw new CapacityArgsError(`--confirm-s needs 0 or a number of seconds, not ${JSON.stringify(confirm)}`);
  const probes = value('--media-probes');
  const mediaProbes = probes === undefined ? undefined : Number(probes);
  if (mediaProbes !== undefined && !Number.isInteger(mediaProbes)) throw new CapacityArgsError(`--media-probes needs a whole number, not ${JSON.stringify(probes)}`);
  const request: CapacityRequest = {
    budgetS: number('--budget-s'),
    maxCps: number('--max-cps'),
    startCps: number('--start-cps'),
    stepS: number('--step-s'),
    confirmS: confirm === undefined ? undefined : Number(confirm),
    holdMs: number('--hold-ms'),
    maxCalls: number('--max-calls'),
    concurrency: !args.includes('--no-concurrency'),
    serviceLevel: slo === undefined ? undefined : parseServiceLevel(slo),
    mediaProbes,
    generatorBudgetS: args.includes('--no-generator-ceiling') ? 0 : number('--generator-budget-s'),
    media: mediaMode(value('--media')),
    perCallerCps: number('--caller-cps'),
    maxCallers: number('--callers'),
  };
  // Refuse impossible combinations now, not after the topology has been built.
  try {
    capacityOptions(request);
  } catch (err) {
    throw new CapacityArgsError((err as Error).message);
  }
  return request;
}
