import type { StepRecord } from './controller';
import { DEFAULT_MEDIA_LEVEL } from './media-quality';
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
  const ms = (v: number | undefined): string => (v === undefined ? 'n/a' : `${v} ms`);
  const why = s.violations.length ? `: ${s.violations.join('; ')}` : '';
  return `${head}: offered ${m.offeredCps} cps, successful ${m.successfulCps} cps, ${m.callsFailed + m.callsUnfinished} of ${m.callsCreated} failed, setup p50 ${ms(m.setupMs.p50)}, p95 ${ms(m.setupMs.p95)}, p99 ${ms(m.setupMs.p99)}, peak ${m.peakConcurrent} calls, ${s.verdict.toUpperCase()}${why}`;
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
  const pctl = sl.setupPercentile;
  const measured = steps.filter((s) => s.measurement.setupMs[pctl] !== undefined);
  return renderChart({
    title: `${sut}: call setup time ${pctl} by call rate`,
    xLabel: 'offered call rate (calls/s)',
    yLabel: `setup time INVITE to 200 OK, ${pctl} (ms)`,
    series: [
      {
        name: `${pctl} per step`,
        colour: '#555555',
        line: true,
        points: measured.map((s) => point(s, s.measurement.offeredCps, s.measurement.setupMs[pctl]!)),
      },
    ],
    references: [{ y: sl.maxSetupMs, label: `SLO limit: ${sl.maxSetupMs} ms`, colour: '#ff7f0e' }],
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

/**
 * Media quality of the probe calls by step, in run order (rate and concurrency steps alike): round-trip
 * packet loss in % and jitter p95 in ms share the y axis, each with its limit. Steps without probes are left out.
 */
export function mediaChart(steps: StepRecord[], sut: string, sl: ServiceLevel): string {
  const probed = steps.filter((s) => s.measurement.media && s.measurement.media.probes > 0);
  const level = sl.media ?? DEFAULT_MEDIA_LEVEL;
  const label = (s: StepRecord): string => {
    const m = s.measurement.media!;
    const what = s.kind === 'rate' ? `${s.target} cps` : `${s.target} calls`;
    const jitter = m.jitterP95Ms === undefined ? 'n/a' : `${m.jitterP95Ms} ms`;
    return `step ${s.index} (${s.kind}, ${what}): ${m.completed} of ${m.probes} probes, loss ${(m.lossRatio * 100).toFixed(2)} % (${m.packetsLost} of ${m.packetsSent}), jitter p95 ${jitter}, ${m.payloadCheckFailures} damaged; step ${s.verdict.toUpperCase()}`;
  };
  return renderChart({
    title: `${sut}: probe call media quality`,
    xLabel: 'step (run order)',
    yLabel: 'round-trip loss (%) / jitter p95 (ms)',
    series: [
      {
        name: 'packet loss (%)',
        colour: '#1f77b4',
        line: true,
        marker: 'square',
        points: probed.map((s) => ({ x: s.index, y: s.measurement.media!.lossRatio * 100, label: label(s), tag: `#${s.index}` })),
      },
      {
        name: 'jitter p95 (ms)',
        colour: '#9467bd',
        line: true,
        points: probed
          .filter((s) => s.measurement.media!.jitterP95Ms !== undefined)
          .map((s) => ({ x: s.index, y: s.measurement.media!.jitterP95Ms!, label: label(s) })),
      },
    ],
    references: [
      { y: level.maxLossRatio * 100, label: `loss limit: ${Number((level.maxLossRatio * 100).toPrecision(6))} %`, colour: '#1f77b4' },
      { y: level.maxJitterP95Ms, label: `jitter limit: ${level.maxJitterP95Ms} ms`, colour: '#9467bd' },
    ],
  });
}
