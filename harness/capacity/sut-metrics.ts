import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { httpRequest } from '../util/http';

/**
 * Figures only the SUT itself can give, read from its Prometheus endpoint (the profile's `metrics`):
 * the event-loop delay of a Node-based SBC. The endpoint publishes a cumulative histogram; the
 * difference of two scrapes is the step's own distribution. A SUT without it is "not reported",
 * never 0: a missing figure must not read as a perfect one.
 */
export interface Histogram {
  /** Upper bounds in the histogram's unit, ascending, +Inf excluded. */
  bounds: number[];
  /** Cumulative counts per bound. */
  counts: number[];
  count: number;
  sum: number;
}

export type EventLoopDelay =
  | { reported: true; p50Ms: number; p99Ms: number; maxBucketMs: number | 'over the last bucket'; samples: number }
  | { reported: false; why: string };

export class SutMetricsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SutMetricsError';
  }
}

/** The histogram `name` of a Prometheus text exposition (its unlabelled series); undefined when absent. */
export function parseHistogram(text: string, name: string): Histogram | undefined {
  const buckets: [number, number][] = [];
  let count: number | undefined;
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const bucket = new RegExp(`^${name}_bucket\\{le="([^"]+)"\\}\\s+(\\S+)`).exec(line);
    if (bucket) {
      if (bucket[1] !== '+Inf') buckets.push([Number(bucket[1]), Number(bucket[2])]);
      continue;
    }
    const total = new RegExp(`^${name}_(count|sum)\\s+(\\S+)`).exec(line);
    if (total) {
      if (total[1] === 'count') count = Number(total[2]);
      else sum = Number(total[2]);
    }
  }
  if (count === undefined || buckets.length === 0) return undefined;
  buckets.sort((a, b) => a[0] - b[0]);
  const bad = buckets.find(([b, c]) => !Number.isFinite(b) || !Number.isFinite(c));
  if (bad || !Number.isFinite(count)) throw new SutMetricsError(`histogram ${name}: a bucket or its count is not a number`);
  return { bounds: buckets.map(([b]) => b), counts: buckets.map(([, c]) => c), count, sum: sum ?? 0 };
}

/** What was observed between two scrapes of the same histogram. */
export function histogramDelta(before: Histogram, after: Histogram): Histogram {
  if (before.bounds.join() !== after.bounds.join()) throw new SutMetricsError('the histogram buckets changed between two scrapes (did the SUT restart?)');
  if (after.count < before.count) throw new SutMetricsError('the histogram count went down between two scrapes (did the SUT restart?)');
  return {
    bounds: after.bounds,
    counts: after.counts.map((c, i) => c - (before.counts[i] ?? 0)),
    count: after.count - before.count,
    sum: after.sum - before.sum,
  };
}

/**
 * The q-quantile as Prometheus' histogram_quantile computes it: linear within the bucket that holds
 * it; Infinity when it lies above the last finite bound.
 */
export function histogramQuantile(h: Histogram, q: number): number | undefined {
  if (h.count <= 0) return undefined;
  const rank = q * h.count;
  let lower = 0;
  let below = 0;
  for (let i = 0; i < h.bounds.length; i++) {
    const upper = h.bounds[i]!;
    const c = h.counts[i]!;
    if (c >= rank) return c === below ? upper : lower + ((upper - lower) * (rank - below)) / (c - below);
    lower = upper;
    below = c;
  }
  return Number.POSITIVE_INFINITY;
}

const ms = (s: number): number => Math.round(s * 1000 * 10) / 10;

/** A step's event-loop delay from the scrapes before and after it (histogram in seconds). */
export function eventLoopDelayOf(before: Histogram, after: Histogram): EventLoopDelay {
  const d = histogramDelta(before, after);
  if (d.count === 0) return { reported: false, why: 'the histogram had no samples during the step' };
  const last = d.bounds.findIndex((_, i) => d.counts[i] === d.count);
  return {
    reported: true,
    p50Ms: ms(histogramQuantile(d, 0.5)!),
    p99Ms: ms(histogramQuantile(d, 0.99)!),
    maxBucketMs: last < 0 ? 'over the last bucket' : ms(d.bounds[last]!),
    samples: d.count,
  };
}

export function eventLoopText(e: EventLoopDelay | undefined): string {
  if (!e || !e.reported) return 'event loop p99 not reported';
  return `event loop p99 ${Number.isFinite(e.p99Ms) ? `${e.p99Ms} ms` : `> ${e.maxBucketMs}`}`;
}

/** Where a SUT publishes its metrics (placeholders already filled) and which histogram is its event-loop delay. */
export interface SutMetricsSource {
  url: string;
  eventLoopDelay?: string;
}

/** Scrapes the SUT's endpoint around one step. Without a source, or a histogram, the figure is "not reported". */
export class SutMetricsReader {
  constructor(private readonly source: SutMetricsSource | undefined) {}

  /** The event-loop histogram now; with `saveAs`, the whole exposition is kept there as evidence. */
  private async scrape(saveAs?: string): Promise<Histogram | string> {
    if (!this.source) return 'the SUT profile names no metrics endpoint';
    try {
      const r = await httpRequest(this.source.url, { timeoutMs: 3000 });
      if (r.status < 200 || r.status > 299) return `GET ${this.source.url}: status ${r.status}`;
      if (saveAs) writeFileSync(saveAs, r.body);
      if (!this.source.eventLoopDelay) return 'the SUT profile names no event-loop delay histogram';
      return parseHistogram(r.body, this.source.eventLoopDelay) ?? `${this.source.url} has no histogram ${this.source.eventLoopDelay}`;
    } catch (err) {
      return `GET ${this.source.url}: ${(err as Error).message}`;
    }
  }

  /**
   * Call before the step; the returned function, after it, gives the step's figure. With `evidenceDir`
   * the SUT's whole metrics before and after the step are kept there (sut-metrics-{before,after}.prom).
   */
  async start(evidenceDir?: string): Promise<() => Promise<EventLoopDelay>> {
    const file = (when: string): string | undefined => (evidenceDir ? join(evidenceDir, `sut-metrics-${when}.prom`) : undefined);
    const before = await this.scrape(file('before'));
    return async () => {
      const after = await this.scrape(file('after'));
      if (typeof before === 'string') return { reported: false, why: before };
      if (typeof after === 'string') return { reported: false, why: after };
      try {
        return eventLoopDelayOf(before, after);
      } catch (err) {
        return { reported: false, why: (err as Error).message };
      }
    };
  }
}
