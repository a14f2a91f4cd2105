import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/**
 * In-process counters, gauges and histograms rendered in the Prometheus text format (version 0.0.4).
 * Layers increment counters; gauges and histograms are read from live state at scrape time so they
 * can never drift.
 */
export type Labels = Record<string, string>;

interface Family {
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  values: Map<string, { labels: Labels; value: number }>;
  read?: () => Array<{ labels: Labels; value: number }>;
  /** Histograms: the samples in the Prometheus layout (`_bucket{le}`, `_sum`, `_count`), rendered as they are. */
  lines?: () => string[];
}

/** A cumulative histogram: counts of observations at or below each upper bound, their sum and count. */
export interface HistogramSnapshot {
  bounds: readonly number[];
  /** Cumulative: `counts[i]` observations were <= `bounds[i]`. */
  counts: number[];
  sum: number;
  count: number;
}

function labelKey(labels: Labels): string {
  return Object.keys(labels).sort().map((k) => `${k}=${labels[k] ?? ''}`).join(',');
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export class Metrics {
  private readonly families = new Map<string, Family>();

  /** Declares a counter; calling it again with the same name is harmless. */
  counter(name: string, help: string): void {
    if (!this.families.has(name)) this.families.set(name, { help, type: 'counter', values: new Map() });
  }

  inc(name: string, labels: Labels = {}, by = 1): void {
    let family = this.families.get(name);
    if (!family) {
      family = { help: name, type: 'counter', values: new Map() };
      this.families.set(name, family);
    }
    const key = labelKey(labels);
    const entry = family.values.get(key);
    if (entry) entry.value += by;
    else family.values.set(key, { labels, value: by });
  }

  /** The current value of a counter, for tests and health checks. */
  value(name: string, labels: Labels = {}): number {
    return this.families.get(name)?.values.get(labelKey(labels))?.value ?? 0;
  }

  /** Registers a gauge whose samples are computed when scraped. */
  gauge(name: string, help: string, read: () => number | Array<{ labels: Labels; value: number }>): void {
    this.families.set(name, {
      help,
      type: 'gauge',
      values: new Map(),
      read: () => {
        const v = read();
        return typeof v === 'number' ? [{ labels: {}, value: v }] : v;
      },
    });
  }

  /** Registers a histogram (no labels) whose cumulative state is read when scraped. */
  histogram(name: string, help: string, read: () => HistogramSnapshot): void {
    this.families.set(name, {
      help,
      type: 'histogram',
      values: new Map(),
      lines: () => {
        const h = read();
        return [
          ...h.bounds.map((b, i) => `${name}_bucket{le="${b}"} ${h.counts[i] ?? 0}`),
          `${name}_bucket{le="+Inf"} ${h.count}`,
          `${name}_sum ${h.sum}`,
          `${name}_count ${h.count}`,
        ];
      },
    });
  }

  render(): string {
    const out: string[] = [];
    for (const [name, family] of this.families) {
      out.push(`# HELP ${name} ${family.help}`, `# TYPE ${name} ${family.type}`);
      if (family.lines) {
        out.push(...family.lines());
        continue;
      }
      const samples = family.read ? family.read() : [...family.values.values()];
      for (const s of samples) {
        const labels = Object.entries(s.labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',');
        out.push(`${name}${labels === '' ? '' : `{${labels}}`} ${s.value}`);
      }
    }
    return `${out.join('\n')}\n`;
  }
}

/** A histogram of observed durations in seconds (e.g. rtpengine round trips), cumulative since start. */
export class LatencyHistogram {
  private readonly state: HistogramSnapshot;

  constructor(bounds: readonly number[] = EVENT_LOOP_BOUNDS) {
    this.state = { bounds, counts: bounds.map(() => 0), sum: 0, count: 0 };
  }

  observe(seconds: number): void {
    this.state.bounds.forEach((b, i) => {
      if (seconds <= b) this.state.counts[i]!++;
    });
    this.state.sum += seconds;
    this.state.count++;
  }

  snapshot(): HistogramSnapshot {
    return { ...this.state, counts: [...this.state.counts] };
  }
}

/** Upper bounds (seconds) of the event-loop delay buckets: fine where a SIP transaction notices (1-200 ms). */
const EVENT_LOOP_BOUNDS = [0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2, 5];

/**
 * How late the event loop runs its timers (perf_hooks.monitorEventLoopDelay), as a cumulative
 * histogram in seconds, so a reader takes the difference of two scrapes and gets the delay of its own
 * window (a capacity step) rather than since start. The monitor's own histogram is folded into the
 * buckets every second and at each scrape, then reset.
 */
export class EventLoopDelay {
  private readonly monitor: IntervalHistogram;
  private readonly state: HistogramSnapshot = { bounds: EVENT_LOOP_BOUNDS, counts: EVENT_LOOP_BOUNDS.map(() => 0), sum: 0, count: 0 };
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly resolutionMs = 10) {
    this.monitor = monitorEventLoopDelay({ resolution: resolutionMs });
    this.monitor.enable();
    this.timer = setInterval(() => this.fold(), 1000);
    this.timer.unref();
  }

  snapshot(): HistogramSnapshot {
    this.fold();
    return { ...this.state, counts: [...this.state.counts] };
  }

  close(): void {
    clearInterval(this.timer);
    this.monitor.disable();
  }

  /**
   * Adds what the monitor saw since the last fold. Its samples are the time between two ticks of a
   * `resolutionMs` timer, so the delay is that minus the resolution. Its percentile table
   * (value at each percentile) gives how many samples lie at or below each bound.
   */
  private fold(): void {
    const n = this.monitor.count;
    if (n === 0) return;
    const resolutionNs = this.resolutionMs * 1e6;
    const table = [...this.monitor.percentiles].map(([p, ns]) => ({ p, s: Math.max(0, ns - resolutionNs) / 1e9 }));
    this.state.bounds.forEach((bound, i) => {
      let share = 0;
      for (const { p, s } of table) if (s <= bound) share = Math.max(share, p);
      this.state.counts[i]! += Math.round((n * share) / 100);
    });
    this.state.sum += (Math.max(0, this.monitor.mean - resolutionNs) / 1e9) * n;
    this.state.count += n;
    this.monitor.reset();
  }
}
