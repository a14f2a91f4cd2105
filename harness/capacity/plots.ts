import type { StepRecord } from './controller';
import type { ServiceLevel } from './service-level';
import { renderChart, type ChartPoint } from './svg-chart';

/** The capacity plots: each point is one step, green when it met the service level, red when not. */
export const VERDICT_COLOUR = { pass: '#2e9e44', fail: '#d62728' } as const;
const VERDICT_LEGEND = [
  { label: 'step within service level', colour: VERDICT_COLOUR.pass },
  { label: 'step violated it', colour: VERDICT_COLOUR.fail },
];

function stepLabel(s: StepRecord): string {
  const m = s.measurement;
  const head = s.kind === 'rate' ? `step ${s.index} (${s.phase}) target ${s.target} cps` : `step ${s.index} (${s.phase}) target ${s.target} calls`;
  const p95 = m.setupMs.p95 === undefined ? 'n/a' : `${m.setupMs.p95} ms`;
  const why = s.violations.length ? `: ${s.violations.join('; ')}` : '';
  return `${head}: offered ${m.offeredCps} cps, successful ${m.successfulCps} cps, ${m.callsFailed + m.callsUnfinished} of ${m.callsCreated} failed, setup p95 ${p95}, peak ${m.peakConcurrent} calls, ${s.verdict.toUpperCase()}${why}`;
}

const point = (s: StepRecord, x: number, y: number): ChartPoint => ({ x, y, colour: VERDICT_COLOUR[s.verdict], label: stepLabel(s), tag: `#${s.index}` });

export function rateChart(steps: StepRecord[], sut: string, maxCps?: number): string {
  return renderChart({
    title: `${sut}: offered vs successful call rate`,
    xLabel: 'offered call rate (calls/s)',
    yLabel: 'successful call rate (calls/s)',
    series: [
      {
        name: 'steps',
        colour: '#555555',
        points: steps.map((s) => point(s, s.measurement.offeredCps, s.measurement.successfulCps)),
      },
    ],
    references: [
      { diagonal: true, label: 'successful = offered', colour: '#999999' },
      ...(maxCps === undefined ? [] : [{ y: maxCps, label: `best within SLO: ${maxCps} cps`, colour: '#1f77b4' }]),
    ],
    legend: VERDICT_LEGEND,
  });
}

export function setupChart(steps: StepRecord[], sut: string, sl: ServiceLevel): string {
  const measured = steps.filter((s) => s.measurement.setupMs.p95 !== undefined);
  return renderChart({
    title: `${sut}: call setup time p95 by call rate`,
    xLabel: 'offered call rate (calls/s)',
    yLabel: 'setup time INVITE to 200 OK, p95 (ms)',
    series: [
      {
        name: 'p95 per step',
        colour: '#555555',
        line: true,
        points: measured.map((s) => point(s, s.measurement.offeredCps, s.measurement.setupMs.p95!)),
      },
    ],
    references: [{ y: sl.maxSetupP95Ms, label: `SLO limit: ${sl.maxSetupP95Ms} ms`, colour: '#ff7f0e' }],
    legend: VERDICT_LEGEND,
  });
}

export function concurrencyChart(steps: StepRecord[], sut: string, maxCalls?: number): string {
  return renderChart({
    title: `${sut}: simultaneous calls held`,
    xLabel: 'target simultaneous calls',
    yLabel: 'peak simultaneous calls held',
    series: [
      {
        name: 'steps',
        colour: '#555555',
        points: steps.map((s) => point(s, s.target, s.measurement.peakConcurrent)),
      },
    ],
    references: [
      { diagonal: true, label: 'held = target', colour: '#999999' },
      ...(maxCalls === undefined ? [] : [{ y: maxCalls, label: `best within SLO: ${maxCalls} calls`, colour: '#1f77b4' }]),
    ],
    legend: VERDICT_LEGEND,
  });
}
