import { auditCoreCalls, auditCoreMessages, type CoreMessage } from './core-audit';
import { generateCorpus, type CorpusCase } from './corpus';
import { fireCorpus, type CaseOutcome } from './fire';
import { optionsProbe } from './options-probe';
import { buildSummary, type RobustnessSummary } from './summary';

/**
 * One robustness run against any SBC (issue 11): generate the corpus, fire it, then judge what the
 * SBC did with it from the outside only: the answers the public side got, the health probes, the
 * core zone's capture and the CDRs the SUT profile's query returns. Everything the SBC is asked
 * about comes in through the callbacks, so the same run serves the cucumber steps and a CLI.
 */
export interface RobustnessRunOptions {
  seed: number;
  cases: number;
  sbc: { ip: string; port: number };
  /** Public addresses the corpus is fired from (one socket each). */
  sources: readonly string[];
  /** A public address the corpus does not use, for the OPTIONS health probes. */
  probeSource: string;
  /** Local port of the corpus sockets. */
  port: number;
  numberPrefix: string;
  token: string;
  ratePerS: number;
  /** A health probe after every this many cases (and one at the end). */
  probeEvery: number;
  /** The SBC's public TLS port: every fifth case goes over TLS; absent: UDP only. */
  tlsPort?: number;
  /** Whether the SBC process is still the one noted before the run (the profile's health pid). */
  processCheck(): Promise<{ lost: boolean; detail: string }>;
  /** The SIP messages captured in the core zone since `sinceS` (epoch seconds), once the capture is synced. */
  coreMessages(sinceS: number): Promise<CoreMessage[]>;
  /** The core servers' addresses (where the SBC sends calls). */
  coreServers: readonly string[];
  /** The SUT's CDRs (normalised columns); absent: CDRs are not checked. */
  cdrRows?: () => Promise<Array<{ callId: string; dstNumber: string }>>;
  /** How long every call may take to end after the last case, and CDRs to appear. */
  settleMs: number;
  log?: (line: string) => void;
}

export interface RobustnessRun {
  summary: RobustnessSummary;
  corpus: CorpusCase[];
  outcomes: CaseOutcome[];
}

export async function runRobustness(o: RobustnessRunOptions): Promise<RobustnessRun> {
  const corpus = generateCorpus({ seed: o.seed, cases: o.cases, sbc: o.sbc, numberPrefix: o.numberPrefix, token: o.token });
  let processLost = 0;
  let probeSeq = 0;
  const fired = await fireCorpus({
    cases: corpus,
    sources: o.sources,
    port: o.port,
    target: o.sbc,
    ratePerS: o.ratePerS,
    answerTimeoutMs: 2000,
    finalTimeoutMs: 8000,
    probeEvery: o.probeEvery,
    ...(o.tlsPort === undefined ? {} : { tls: { port: o.tlsPort, every: 5, connections: 6 } }),
    probe: async () => {
      const options = await optionsProbe({ localIp: o.probeSource, target: o.sbc, timeoutMs: 2000, seq: ++probeSeq });
      const proc = await o.processCheck();
      if (proc.lost) processLost++;
      o.log?.(`robustness probe ${probeSeq}: ${options.detail}; ${proc.detail}`);
      return proc.lost ? { ...options, ok: false, detail: `${options.detail}; ${proc.detail}` } : options;
    },
  });
  // Calls the corpus started end by the caller's BYE; give the SBC and the core time to finish them.
  await new Promise((r) => setTimeout(r, o.settleMs));
  const messages = await o.coreMessages(fired.startedAt / 1000 - 1);
  const servers = new Set(o.coreServers);
  const toCore = messages.filter((m) => servers.has(m.dst));
  const coreAudit = auditCoreMessages(toCore);
  const coreCalls = auditCoreCalls(messages.filter((m) => servers.has(m.dst) || servers.has(m.src)), o.coreServers);
  const cdrsMissing = o.cdrRows ? await missingCdrs(fired.outcomes, corpus, o.cdrRows, o.settleMs) : undefined;
  const summary = buildSummary({
    seed: o.seed, corpus, outcomes: fired.outcomes, probes: fired.probes, processLost, coreAudit, coreCalls,
    cdrsMissing, startedAt: fired.startedAt, endedAt: fired.endedAt,
  });
  return { summary, corpus, outcomes: fired.outcomes };
}

/**
 * The completed calls (INVITE answered 2xx) without a CDR row: found by the public leg's Call-ID (the
 * normalised `call_id`) or by the dialled number, waiting up to `waitMs` for late writers.
 */
async function missingCdrs(outcomes: readonly CaseOutcome[], corpus: readonly CorpusCase[], rows: () => Promise<Array<{ callId: string; dstNumber: string }>>, waitMs: number): Promise<string[]> {
  const numbers = new Map(corpus.map((c) => [c.index, c.number]));
  const completed = outcomes.filter((x) => x.call);
  const deadline = Date.now() + Math.max(waitMs, 10_000);
  for (;;) {
    const all = await rows();
    const ids = new Set(all.map((r) => r.callId));
    const dialled = new Set(all.map((r) => r.dstNumber));
    const missing = completed.filter((x) => !ids.has(x.call!.callId) && !dialled.has(numbers.get(x.index) ?? '')).map((x) => x.id);
    if (missing.length === 0 || Date.now() > deadline) return missing;
    await new Promise((r) => setTimeout(r, 500));
  }
}
