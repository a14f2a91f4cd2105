/**
 * In-process counters and gauges rendered in the Prometheus text format (version 0.0.4). Layers
 * increment counters; gauges are read from live state at scrape time so they can never drift.
 */
export type Labels = Record<string, string>;

interface Family {
  help: string;
  type: 'counter' | 'gauge';
  values: Map<string, { labels: Labels; value: number }>;
  read?: () => Array<{ labels: Labels; value: number }>;
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

  render(): string {
    const out: string[] = [];
    for (const [name, family] of this.families) {
      out.push(`# HELP ${name} ${family.help}`, `# TYPE ${name} ${family.type}`);
      const samples = family.read ? family.read() : [...family.values.values()];
      for (const s of samples) {
        const labels = Object.entries(s.labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',');
        out.push(`${name}${labels === '' ? '' : `{${labels}}`} ${s.value}`);
      }
    }
    return `${out.join('\n')}\n`;
  }
}
