import type { StepMeasurement } from './service-level';

/**
 * Turns what a SIPp caller leaves behind after one capacity step into a StepMeasurement:
 * - the periodic statistics (`-trace_stat -fd 1`): one ';'-separated row per period, (P) columns for
 *   the period and (C) cumulative ones; time stamps are "date<TAB>time<TAB>epoch";
 * - the response times (`-trace_rtt -rtt_freq 1`): "Date_ms;response_time_ms;rtd_no", one row per call;
 * - the message counts (`-trace_counts`): per scenario message, cumulative `_Sent`, `_Recv`, `_Retrans`.
 */
export type StatRow = Record<string, string>;

export class StepStatsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StepStatsError';
  }
}

function rowsOf(text: string, what: string): { header: string[]; rows: string[][] } {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length < 2) throw new StepStatsError(`${what} has ${lines.length} line(s); a header and at least one row are needed`);
  return { header: lines[0]!.split(';'), rows: lines.slice(1).map((l) => l.split(';')) };
}

/** Every row of a periodic statistics file, keyed by column name ((P) and (C) suffixes kept). */
export function parseStatRows(text: string): StatRow[] {
  const { header, rows } = rowsOf(text, 'SIPp statistics file');
  return rows.map((cells) => Object.fromEntries(header.map((name, i) => [name, cells[i] ?? ''])));
}

/** SIPp's "HH:MM:SS:uuuuuu" durations, in ms. SIPp prints garbage hours for an undefined deviation; those are NaN. */
export function parseSippDuration(text: string): number {
  const m = /^(\d+):(\d{2}):(\d{2})(?::(\d{6}))?$/.exec(text.trim());
  if (!m) return Number.NaN;
  const hours = Number(m[1]);
  if (hours > 24 * 365) return Number.NaN;
  return ((hours * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000 + Number(m[4] ?? 0) / 1000;
}

/** The epoch seconds of a SIPp time stamp ("2026-11-23<TAB>08:00:37.158976<TAB>1795420837.158976"). */
export function parseSippTimestamp(text: string): number {
  const epoch = Number(text.trim().split(/\s+/).pop());
  if (!Number.isFinite(epoch)) throw new StepStatsError(`not a SIPp time stamp: ${JSON.stringify(text)}`);
  return epoch;
}

function num(row: StatRow, name: string): number {
  const v = row[name];
  if (v === undefined) throw new StepStatsError(`SIPp statistics file has no column ${name}`);
  const n = Number(v);
  if (!Number.isFinite(n)) throw new StepStatsError(`SIPp statistics column ${name} is not a number: ${JSON.stringify(v)}`);
  return n;
}

/** Response times in ms of the given rtd (1 = the scenario's first `rtd`, INVITE to 200 OK). */
export function parseRtt(text: string, rtd = 1): number[] {
  if (text.trim() === '') return [];
  const { header, rows } = rowsOf(text, 'SIPp response time file');
  const timeCol = header.indexOf('response_time_ms');
  const rtdCol = header.indexOf('rtd_no');
  if (timeCol < 0 || rtdCol < 0) throw new StepStatsError(`SIPp response time file lacks response_time_ms/rtd_no: ${header.join(';')}`);
  return rows
    .filter((r) => Number(r[rtdCol]) === rtd)
    .map((r) => Number(r[timeCol]))
    .filter((n) => Number.isFinite(n));
}

/** Messages sent and received, and how many of them were retransmissions, from the last counts row. */
export function parseCounts(text: string): { messages: number; retransmissions: number } {
  const { header, rows } = rowsOf(text, 'SIPp message counts file');
  const last = rows[rows.length - 1]!;
  let messages = 0;
  let retransmissions = 0;
  header.forEach((name, i) => {
    const n = Number(last[i]);
    if (!Number.isFinite(n)) return;
    if (/_(Sent|Recv)$/.test(name)) messages += n;
    else if (name.endsWith('_Retrans')) retransmissions += n;
  });
  // A retransmission is a message on the wire too; the ratio is of everything exchanged.
  return { messages: messages + retransmissions, retransmissions };
}

/** Nearest-rank percentile (p in 0..100) of unsorted samples; undefined for none. */
export function percentile(samples: readonly number[], p: number): number | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

/**
 * The rate at which calls were started. A period in which calls were created, except the last one
 * (creation stopped somewhere inside it), is a full creation period; their calls over their length is
 * the offered rate. A step too short for two such periods falls back to calls over the whole start-up.
 */
export function offeredRate(rows: StatRow[]): number {
  const periods = rows
    .map((r) => ({
      calls: num(r, 'OutgoingCall(P)'),
      seconds: parseSippTimestamp(r.CurrentTime ?? '') - parseSippTimestamp(r.LastResetTime ?? ''),
    }))
    .filter((p) => p.calls > 0 && p.seconds > 0);
  const full = periods.length > 1 ? periods.slice(0, -1) : periods;
  const calls = full.reduce((s, p) => s + p.calls, 0);
  const seconds = full.reduce((s, p) => s + p.seconds, 0);
  return seconds > 0 ? calls / seconds : 0;
}

const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** Setup time figures of a step from every call's setup time (ms) and the mean, when known. */
function setupFigures(setup: number[], mean: number | undefined): StepMeasurement['setupMs'] {
  // SIPp writes times like 12.001 ms; a tenth of a millisecond is more than its clock resolves.
  const p = (q: number): number | undefined => {
    const v = percentile(setup, q);
    return v === undefined ? undefined : round(v, 1);
  };
  return {
    p50: p(50),
    p95: p(95),
    p99: p(99),
    max: setup.length ? round(setup.reduce((a, b) => Math.max(a, b)), 1) : undefined,
    mean: mean === undefined ? undefined : round(mean, 1),
    samples: setup.length,
  };
}

export function measureStep(o: { targetCps: number; statsText: string; rttText: string; countsText: string }): StepMeasurement {
  const rows = parseStatRows(o.statsText);
  const last = rows[rows.length - 1]!;
  const created = num(last, 'TotalCallCreated');
  const succeeded = num(last, 'SuccessfulCall(C)');
  const failed = num(last, 'FailedCall(C)');
  const failures: Record<string, number> = {};
  for (const name of Object.keys(last)) {
    if (!name.startsWith('Failed') || !name.endsWith('(C)') || name === 'FailedCall(C)') continue;
    const n = Number(last[name]);
    if (n > 0) failures[name.replace(/\(C\)$/, '')] = n;
  }
  const offered = offeredRate(rows);
  const setup = parseRtt(o.rttText);
  const mean = parseSippDuration(last['ResponseTime1(C)'] ?? '');
  const counts = o.countsText.trim() ? parseCounts(o.countsText) : { messages: 0, retransmissions: 0 };
  return {
    targetCps: o.targetCps,
    offeredCps: round(offered),
    successfulCps: round(created > 0 ? (offered * succeeded) / created : 0),
    callsCreated: created,
    callsSucceeded: succeeded,
    callsFailed: failed,
    callsUnfinished: Math.max(0, created - succeeded - failed),
    failures,
    setupMs: setupFigures(setup, Number.isFinite(mean) && succeeded > 0 ? mean : undefined),
    messages: counts.messages,
    retransmissions: counts.retransmissions,
    peakConcurrent: rows.reduce((peak, r) => Math.max(peak, num(r, 'CurrentCall')), 0),
    durationS: round(parseSippTimestamp(last.CurrentTime ?? '') - parseSippTimestamp(last.StartTime ?? ''), 1),
  };
}

/** SIPp starts every event of its error trace with "date<TAB>time<TAB>epoch: "; events may span lines. */
const ERROR_EVENT_START = /\d{4}-\d{2}-\d{2}\t\d{2}:\d{2}:\d{2}\.\d+\t\d+\.\d+: /;

/**
 * The kinds of events in SIPp's error trace, most frequent first, as "N x what": call identifiers
 * are removed so a thousand timeouts read as one line, not a thousand.
 */
export function summarizeSippErrors(text: string, max = 3): string[] {
  const kinds = new Map<string, number>();
  for (const event of text.split(ERROR_EVENT_START).slice(1)) {
    const kind = (event.split(/\r?\n/)[0] ?? '')
      .replace(/Call-Id: \S+, /gi, '')
      .replace(/\b\d+-\d+@[\w.:-]+/g, '<call>')
      .replace(/'[^' ]{8,}'/g, '<call>')
      .replace(/\r$/, '')
      .trim()
      .slice(0, 200);
    if (kind) kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  return [...kinds.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, max)
    .map(([kind, n]) => `${n} x ${kind}`);
}

/** One SIPp caller's share of a step: its files, already read. */
export interface CallerFiles {
  statsText: string;
  rttText: string;
  countsText: string;
}

/**
 * One step run by several SIPp callers at once (each from its own source address): every caller's
 * measurement, added up. Setup percentiles are over every call of every caller; the peak of
 * simultaneous calls is the sum of each caller's peak (they ramp together, so an upper bound).
 */
export function measureCallers(o: { targetCps: number; callers: CallerFiles[] }): StepMeasurement {
  if (o.callers.length === 0) throw new StepStatsError('a step needs at least one caller');
  const parts = o.callers.map((c) => measureStep({ targetCps: o.targetCps, ...c }));
  if (parts.length === 1) return parts[0]!;
  const sum = (f: (m: StepMeasurement) => number): number => parts.reduce((s, m) => s + f(m), 0);
  const setup = o.callers.flatMap((c) => parseRtt(c.rttText));
  const succeeded = sum((m) => m.callsSucceeded);
  const meanWeighted = sum((m) => (m.setupMs.mean ?? 0) * m.callsSucceeded);
  const failures: Record<string, number> = {};
  for (const m of parts) for (const [k, n] of Object.entries(m.failures)) failures[k] = (failures[k] ?? 0) + n;
  return {
    targetCps: o.targetCps,
    offeredCps: round(sum((m) => m.offeredCps)),
    successfulCps: round(sum((m) => m.successfulCps)),
    callsCreated: sum((m) => m.callsCreated),
    callsSucceeded: succeeded,
    callsFailed: sum((m) => m.callsFailed),
    callsUnfinished: sum((m) => m.callsUnfinished),
    failures,
    setupMs: setupFigures(setup, succeeded > 0 && parts.every((m) => m.setupMs.mean !== undefined || m.callsSucceeded === 0) ? meanWeighted / succeeded : undefined),
    messages: sum((m) => m.messages),
    retransmissions: sum((m) => m.retransmissions),
    peakConcurrent: sum((m) => m.peakConcurrent),
    durationS: parts.reduce((d, m) => Math.max(d, m.durationS), 0),
  };
}

/**
 * How many callers a step gets: one per `perCallerCps` of its rate, at most `available`. Spreading the
 * load keeps one SIPp's ceiling, and an SBC's per-source flood limit, out of what is measured.
 */
export function callersFor(rateCps: number, perCallerCps: number, available: number): number {
  return Math.max(1, Math.min(available, Math.ceil(rateCps / perCallerCps)));
}

/** Splits a whole number as evenly as possible into `n` parts, the larger ones first. */
export function splitEvenly(total: number, n: number): number[] {
  const base = Math.floor(total / n);
  return Array.from({ length: n }, (_, i) => base + (i < total - base * n ? 1 : 0));
}
