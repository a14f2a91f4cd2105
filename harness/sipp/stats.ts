/**
 * SIPp's `-trace_stat` file: ';'-separated, a header row then one row per dump period. Counters come
 * in pairs, (P) for the period and (C) cumulative; the last row holds the run's totals.
 */
export interface SippStats {
  totalCallsCreated: number;
  successfulCalls: number;
  failedCalls: number;
  currentCalls: number;
  retransmissions: number;
  outOfCallMessages: number;
  deadCallMessages: number;
  /** Failure reasons with a non-zero cumulative count, e.g. { FailedUnexpectedMessage: 1 }. */
  failures: Record<string, number>;
  /** Cumulative call rate as SIPp computed it (calls/s). */
  callRate: number;
  /** Every cumulative column of the last row, by name without the (C) suffix. */
  raw: Record<string, string>;
}

export class SippStatsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SippStatsError';
  }
}

export function parseStats(text: string): SippStats {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length < 2) throw new SippStatsError(`SIPp statistics file has ${lines.length} line(s); a header and at least one row are needed`);
  const header = lines[0]!.split(';');
  const last = lines[lines.length - 1]!.split(';');
  const raw: Record<string, string> = {};
  header.forEach((name, i) => {
    if (name.endsWith('(P)')) return;
    raw[name.replace(/\(C\)$/, '')] = last[i] ?? '';
  });
  const num = (name: string): number => {
    const v = raw[name];
    if (v === undefined) throw new SippStatsError(`SIPp statistics file has no column ${name}`);
    const n = Number(v);
    if (!Number.isFinite(n)) throw new SippStatsError(`SIPp statistics column ${name} is not a number: ${JSON.stringify(v)}`);
    return n;
  };
  const failures: Record<string, number> = {};
  for (const name of Object.keys(raw)) {
    if (name.startsWith('Failed') && name !== 'FailedCall') {
      const n = Number(raw[name]);
      if (n > 0) failures[name] = n;
    }
  }
  return {
    totalCallsCreated: num('TotalCallCreated'),
    successfulCalls: num('SuccessfulCall'),
    failedCalls: num('FailedCall'),
    currentCalls: num('CurrentCall'),
    retransmissions: num('Retransmissions'),
    outOfCallMessages: num('OutOfCallMsgs'),
    deadCallMessages: num('DeadCallMsgs'),
    failures,
    callRate: num('CallRate'),
    raw,
  };
}
