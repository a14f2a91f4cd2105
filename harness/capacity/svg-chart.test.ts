import { describe, expect, it } from 'vitest';
import type { StepRecord } from './controller';
import { concurrencyChart, rateChart, setupChart, VERDICT_COLOUR } from './plots';
import { DEFAULT_SERVICE_LEVEL, LEGACY_SERVICE_LEVEL } from './service-level';
import { escapeXml, niceTicks, renderChart } from './svg-chart';

/**
 * A small well-formedness check (no XML parser among the dependencies): one root, every tag closed in
 * order, attributes quoted, no bare '&' or '<' in text.
 */
function assertWellFormedXml(xml: string): void {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  let roots = 0;
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|<|&(?!(?:lt|gt|amp|quot|apos);)/g;
  let m: RegExpExecArray | null;
  let last = 0;
  while ((m = tag.exec(body))) {
    if (body.slice(last, m.index).trim() && stack.length === 0) throw new Error(`text outside the root at ${m.index}`);
    last = tag.lastIndex;
    if (m[0] === '<' || m[0].startsWith('&')) throw new Error(`bad markup at ${m.index}: ${body.slice(m.index, m.index + 30)}`);
    const [, closing, name, , selfClosing] = m;
    if (closing) {
      if (stack.pop() !== name) throw new Error(`</${name}> closes the wrong element at ${m.index}`);
    } else {
      if (stack.length === 0) roots++;
      if (!selfClosing) stack.push(name!);
    }
  }
  if (stack.length) throw new Error(`unclosed elements: ${stack.join(', ')}`);
  if (roots !== 1) throw new Error(`${roots} root elements`);
}

const pointsOf = (svg: string): { x: number; y: number; fill: string }[] =>
  [...svg.matchAll(/class="point" data-x="([^"]+)" data-y="([^"]+)"[^>]*fill="([^"]+)"/g)].map((m) => ({ x: Number(m[1]), y: Number(m[2]), fill: m[3]! }));

function step(index: number, verdict: 'pass' | 'fail', offered: number, ok: number, p95: number | undefined, kind: StepRecord['kind'] = 'rate'): StepRecord {
  return {
    kind,
    index,
    phase: 'ramp',
    target: kind === 'rate' ? offered : offered * 10,
    load: { rateCps: offered, calls: offered * 10, maxConcurrent: 100, holdS: 1.5, callers: 1 },
    measurement: {
      targetCps: offered,
      offeredCps: offered,
      successfulCps: ok,
      callsCreated: offered * 10,
      callsSucceeded: ok * 10,
      callsFailed: (offered - ok) * 10,
      callsUnfinished: 0,
      failures: {},
      setupMs: { p95, p99: p95, samples: ok * 10 },
      messages: 0,
      retransmissions: 0,
      peakConcurrent: kind === 'rate' ? offered * 2 : ok * 10,
      durationS: 10,
    },
    verdict,
    violations: verdict === 'fail' ? ['setup time p95 900 ms > 500 ms & "more" <here>'] : [],
    startedAt: '2026-11-23T08:00:00.000Z',
    callerExit: 0,
    evidenceDir: 'steps/x',
    errors: [],
    host: { loadAverage1m: 1 },
  };
}

describe('SVG chart writer', () => {
  it('has a checker that rejects broken XML', () => {
    expect(() => assertWellFormedXml('<svg><g></svg>')).toThrow(/wrong element/);
    expect(() => assertWellFormedXml('<svg>a & b</svg>')).toThrow(/bad markup/);
    expect(() => assertWellFormedXml('<svg></svg><svg></svg>')).toThrow(/2 root/);
    expect(() => assertWellFormedXml('<svg x=1></svg>')).toThrow(/bad markup/);
  });

  it('writes well-formed SVG with every point, its colour and tooltip', () => {
    const svg = renderChart({
      title: 'Load <test> & "quotes"',
      xLabel: 'x',
      yLabel: 'y',
      series: [
        { name: 'a', colour: '#111111', line: true, points: [{ x: 3, y: 4, label: 'p<1>', tag: '#1' }, { x: 1, y: 2, colour: '#ff0000' }] },
        { name: 'b', colour: '#222222', marker: 'square', points: [{ x: 5, y: 9 }, { x: Number.NaN, y: 1 }] },
      ],
      references: [{ y: 8, label: 'limit', colour: '#00ff00' }, { diagonal: true, label: 'x = y', colour: '#999999' }],
      legend: [{ label: 'extra', colour: '#123456' }],
    });
    assertWellFormedXml(svg);
    expect(svg).toContain('<svg xmlns="http://www.w3.org/2000/svg"');
    expect(svg).toContain('Load &lt;test&gt; &amp; &quot;quotes&quot;');
    expect(pointsOf(svg)).toEqual([
      { x: 3, y: 4, fill: '#111111' },
      { x: 1, y: 2, fill: '#ff0000' },
      { x: 5, y: 9, fill: '#222222' },
    ]);
    expect(svg).toContain('<title>p&lt;1&gt;</title>');
    expect(svg).toMatch(/<text class="tag"[^>]*>#1<\/text>/);
    // The line joins the points in x order.
    expect(/<path d="M([\d.]+),[\d.]+ L([\d.]+),/.exec(svg)!.slice(1).map(Number).reduce((a, b) => b - a)).toBeGreaterThan(0);
    expect(svg.match(/class="reference"/g)).toHaveLength(2);
    expect(svg).toContain('>extra</text>');
  });

  it('draws an empty chart without failing', () => {
    const svg = renderChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 's', colour: '#000000', line: true, points: [] }] });
    assertWellFormedXml(svg);
    expect(pointsOf(svg)).toEqual([]);
  });

  it('chooses round ticks that cover the range from zero', () => {
    expect(niceTicks(0, 97)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0, 4300).at(-1)).toBeGreaterThanOrEqual(4300);
    expect(niceTicks(0, 0)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0, 100)).toEqual([0, 20, 40, 60, 80, 100]);
  });

  it('escapes the five XML specials', () => {
    expect(escapeXml(`<a href="x">&'`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;');
  });
});

describe('capacity plots', () => {
  const steps = [step(1, 'pass', 20, 20, 8), step(2, 'pass', 32, 32, 12), step(3, 'fail', 51, 40, 900), step(4, 'pass', 41, 41, undefined)];

  it('plots offered against successful rate with the verdict as colour', () => {
    const svg = rateChart(steps, 'sbc <one>', 41);
    assertWellFormedXml(svg);
    expect(pointsOf(svg)).toEqual([
      { x: 20, y: 20, fill: VERDICT_COLOUR.pass },
      { x: 32, y: 32, fill: VERDICT_COLOUR.pass },
      { x: 51, y: 40, fill: VERDICT_COLOUR.fail },
      { x: 41, y: 41, fill: VERDICT_COLOUR.pass },
    ]);
    expect(svg).toContain('sbc &lt;one&gt;: offered vs successful call rate');
    expect(svg).toContain('best within SLO: 41 cps');
    expect(svg.match(/class="tag"/g)).toHaveLength(4);
    expect(svg).toContain('FAIL: setup time p95 900 ms &gt; 500 ms &amp; &quot;more&quot; &lt;here&gt;');
  });

  it('plots the setup time percentile of the service level for the steps that measured one, with the limit', () => {
    const svg = setupChart(steps, 'sbc', DEFAULT_SERVICE_LEVEL);
    assertWellFormedXml(svg);
    expect(pointsOf(svg).map((p) => [p.x, p.y])).toEqual([[20, 8], [32, 12], [51, 900]]);
    expect(svg).toContain('SLO limit: 200 ms');
    expect(svg).toContain('setup time p99 by call rate');
    expect(setupChart(steps, 'sbc', LEGACY_SERVICE_LEVEL)).toContain('SLO limit: 500 ms');
  });

  it('plots target against held simultaneous calls', () => {
    const svg = concurrencyChart([step(5, 'pass', 10, 10, 9, 'concurrency'), step(6, 'fail', 20, 15, 9, 'concurrency')], 'sbc', 100);
    assertWellFormedXml(svg);
    expect(pointsOf(svg)).toEqual([
      { x: 100, y: 100, fill: VERDICT_COLOUR.pass },
      { x: 200, y: 150, fill: VERDICT_COLOUR.fail },
    ]);
  });
});
