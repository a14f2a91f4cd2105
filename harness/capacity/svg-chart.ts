/**
 * A small SVG chart writer for the capacity plots: one or more series of points on linear axes with
 * "nice" ticks, optional connecting lines, per-point colours and tooltips, horizontal reference lines
 * and a legend. Self-contained SVG 1.1 text, viewable in any browser; no dependencies.
 */
export interface ChartPoint {
  x: number;
  y: number;
  /** Overrides the series colour (e.g. by verdict). */
  colour?: string;
  /** Tooltip text (an SVG <title>). */
  label?: string;
  /** A short text drawn beside the point, e.g. the step number. */
  tag?: string;
}

export interface ChartSeries {
  name: string;
  colour: string;
  points: ChartPoint[];
  /** Join the points (in x order) with a line. */
  line?: boolean;
  dashed?: boolean;
  marker?: 'circle' | 'square' | 'none';
}

export interface ReferenceLine {
  /** A horizontal line at y, or the diagonal y = x. */
  y?: number;
  diagonal?: boolean;
  label: string;
  colour: string;
}

export interface Chart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: ChartSeries[];
  references?: ReferenceLine[];
  /** Extra legend entries that are not series (e.g. the verdict colours). */
  legend?: { label: string; colour: string }[];
  width?: number;
  height?: number;
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** Tick values for [lo, hi]: steps of 1, 2 or 5 times a power of ten, about `count` of them, covering the range. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (hi <= lo) hi = lo + 1;
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag);
  const first = Math.floor(lo / step) * step;
  const ticks: number[] = [];
  for (let v = first; v < hi + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function formatTick(v: number): string {
  if (Math.abs(v) >= 10000) return `${Number((v / 1000).toPrecision(4))}k`;
  return String(Number(v.toPrecision(6)));
}

const fmt = (n: number): string => (Math.round(n * 10) / 10).toString();

export function renderChart(c: Chart): string {
  const width = c.width ?? 720;
  const height = c.height ?? 420;
  const m = { left: 70, right: 240, top: 44, bottom: 56 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const all = c.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const refYs = (c.references ?? []).flatMap((r) => (r.y === undefined ? [] : [r.y]));
  // Axes start at zero: capacity numbers are read as "how far from nothing", and a zoomed axis lies.
  // 5 % headroom so a point on the largest value is not drawn on the frame.
  const xTicks = niceTicks(0, 1.05 * Math.max(1, ...all.map((p) => p.x)));
  const yTicks = niceTicks(0, 1.05 * Math.max(1, ...all.map((p) => p.y), ...refYs));
  const xMax = xTicks[xTicks.length - 1]!;
  const yMax = yTicks[yTicks.length - 1]!;
  const sx = (x: number): number => m.left + (x / xMax) * plotW;
  const sy = (y: number): number => m.top + plotH - (y / yMax) * plotH;
  const out: string[] = [];
  out.push(`<?xml version="1.0" encoding="UTF-8"?>`);
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<title>${escapeXml(c.title)}</title>`);
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${width / 2 - m.right / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(c.title)}</text>`);
  out.push(`<g class="grid" stroke="#e3e3e3">`);
  for (const t of xTicks) out.push(`<line x1="${fmt(sx(t))}" y1="${m.top}" x2="${fmt(sx(t))}" y2="${m.top + plotH}"/>`);
  for (const t of yTicks) out.push(`<line x1="${m.left}" y1="${fmt(sy(t))}" x2="${m.left + plotW}" y2="${fmt(sy(t))}"/>`);
  out.push(`</g>`);
  out.push(`<g class="axes" stroke="#333333"><line x1="${m.left}" y1="${m.top + plotH}" x2="${m.left + plotW}" y2="${m.top + plotH}"/><line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${m.top + plotH}"/></g>`);
  out.push(`<g class="ticks" fill="#333333">`);
  for (const t of xTicks) out.push(`<text x="${fmt(sx(t))}" y="${m.top + plotH + 18}" text-anchor="middle">${formatTick(t)}</text>`);
  for (const t of yTicks) out.push(`<text x="${m.left - 8}" y="${fmt(sy(t) + 4)}" text-anchor="end">${formatTick(t)}</text>`);
  out.push(`</g>`);
  out.push(`<text x="${m.left + plotW / 2}" y="${height - 14}" text-anchor="middle">${escapeXml(c.xLabel)}</text>`);
  out.push(`<text x="18" y="${m.top + plotH / 2}" text-anchor="middle" transform="rotate(-90 18 ${m.top + plotH / 2})">${escapeXml(c.yLabel)}</text>`);

  for (const r of c.references ?? []) {
    if (r.diagonal) {
      const end = Math.min(xMax, yMax);
      out.push(`<line class="reference" x1="${fmt(sx(0))}" y1="${fmt(sy(0))}" x2="${fmt(sx(end))}" y2="${fmt(sy(end))}" stroke="${r.colour}" stroke-dasharray="4 4"><title>${escapeXml(r.label)}</title></line>`);
    } else if (r.y !== undefined) {
      out.push(`<line class="reference" x1="${m.left}" y1="${fmt(sy(r.y))}" x2="${m.left + plotW}" y2="${fmt(sy(r.y))}" stroke="${r.colour}" stroke-dasharray="6 4"><title>${escapeXml(r.label)}</title></line>`);
    }
  }

  for (const s of c.series) {
    const pts = s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
    out.push(`<g class="series" data-name="${escapeXml(s.name)}">`);
    if (s.line && pts.length > 1) {
      const d = [...pts].sort((a, b) => a.x - b.x).map((p, i) => `${i ? 'L' : 'M'}${fmt(sx(p.x))},${fmt(sy(p.y))}`).join(' ');
      out.push(`<path d="${d}" fill="none" stroke="${s.colour}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 4"' : ''}/>`);
    }
    for (const p of s.marker === 'none' ? [] : pts) {
      const colour = p.colour ?? s.colour;
      const title = p.label ? `<title>${escapeXml(p.label)}</title>` : '';
      const data = `data-x="${p.x}" data-y="${p.y}"`;
      if (s.marker === 'square') {
        out.push(`<rect class="point" ${data} x="${fmt(sx(p.x) - 4)}" y="${fmt(sy(p.y) - 4)}" width="8" height="8" fill="${colour}" stroke="#222222">${title}</rect>`);
      } else {
        out.push(`<circle class="point" ${data} cx="${fmt(sx(p.x))}" cy="${fmt(sy(p.y))}" r="5" fill="${colour}" stroke="#222222">${title}</circle>`);
      }
      if (p.tag) out.push(`<text class="tag" x="${fmt(sx(p.x) + 7)}" y="${fmt(sy(p.y) - 7)}" font-size="10" fill="#444444">${escapeXml(p.tag)}</text>`);
    }
    out.push(`</g>`);
  }

  const legend = [
    ...c.series.map((s) => ({ label: s.name, colour: s.colour })),
    ...(c.references ?? []).map((r) => ({ label: r.label, colour: r.colour })),
    ...(c.legend ?? []),
  ];
  out.push(`<g class="legend">`);
  legend.forEach((l, i) => {
    const y = m.top + 10 + i * 20;
    const x = width - m.right + 16;
    out.push(`<rect x="${x}" y="${y - 9}" width="12" height="12" fill="${l.colour}"/><text x="${x + 18}" y="${y + 1}">${escapeXml(l.label)}</text>`);
  });
  out.push(`</g>`);
  out.push(`</svg>`);
  return `${out.join('\n')}\n`;
}
