import { describe, expect, it } from 'vitest';
import type { StepRecord } from './controller';
import { aggregateProbes, DEFAULT_MEDIA_LEVEL, evaluateMedia, mediaText, probeWindow, type MediaSample, type ProbeOutcome } from './media-quality';
import { mediaChart } from './plots';
import { mediaSummary } from './results';
import { DEFAULT_SERVICE_LEVEL, describeServiceLevel, evaluateStep, parseServiceLevel, type StepMeasurement } from './service-level';

const ok = (o: Partial<ProbeOutcome> = {}): ProbeOutcome => ({ status: 200, sent: 250, accepted: 250, lost: 0, jitterMs: 1, payloadCheckFailures: 0, ...o });
const failed = (error: string): ProbeOutcome => ({ error, sent: 0, accepted: 0, lost: 0, jitterMs: 0, payloadCheckFailures: 0 });

const sample = (o: Partial<MediaSample> = {}): MediaSample => ({
  probes: 3, completed: 3, packetsSent: 750, packetsLost: 0, lossRatio: 0, jitterP95Ms: 2, jitterMaxMs: 2, payloadCheckFailures: 0, errors: [], ...o,
});

describe('media probe aggregation', () => {
  it('sums loss over the completed probes and takes the nearest-rank p95 of their jitter', () => {
    const jitters = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 40];
    const s = aggregateProbes([...jitters.map((j, i) => ok({ jitterMs: j, lost: i === 0 ? 5 : 0 })), failed('answered 503'), failed('answered 503'), failed('no final answer')]);
    expect(s).toMatchObject({ probes: 23, completed: 20, packetsSent: 5000, packetsLost: 5, lossRatio: 0.001, jitterP95Ms: 19, jitterMaxMs: 40 });
    expect(s.errors).toEqual(['2 x answered 503', '1 x no final answer']);
  });

  it('has no jitter and no loss when no probe completed', () => {
    const s = aggregateProbes([failed('no final answer')]);
    expect(s).toMatchObject({ probes: 1, completed: 0, packetsSent: 0, lossRatio: 0 });
    expect(s.jitterP95Ms).toBeUndefined();
  });
});

describe('media criterion', () => {
  it('passes within the default level and names every violated limit', () => {
    expect(evaluateMedia(sample(), DEFAULT_MEDIA_LEVEL)).toEqual([]);
    expect(evaluateMedia(sample({ lossRatio: 0.01, packetsLost: 7 }), DEFAULT_MEDIA_LEVEL)).toEqual([]);
    const v = evaluateMedia(sample({ completed: 2, errors: ['1 x answered 503'], lossRatio: 0.02, packetsLost: 10, packetsSent: 500, jitterP95Ms: 31, payloadCheckFailures: 4 }), DEFAULT_MEDIA_LEVEL);
    expect(v).toEqual([
      'only 2 of 3 media probes completed (1 x answered 503)',
      'media loss 2.0 % > 1.0 % (10 of 500 packets)',
      'media jitter p95 31 ms > 30 ms',
      '4 media packets failed the payload check',
    ]);
  });

  it('says so when no probe completed, and judges nothing when none was placed', () => {
    expect(evaluateMedia(sample({ completed: 0, errors: ['3 x no final answer'], jitterP95Ms: undefined }), DEFAULT_MEDIA_LEVEL)).toEqual(['no media probe completed (3 x no final answer)']);
    expect(evaluateMedia(sample({ probes: 0, completed: 0 }), DEFAULT_MEDIA_LEVEL)).toEqual([]);
  });

  it('is part of the step verdict only when the step measured media', () => {
    const m: StepMeasurement = {
      targetCps: 10, offeredCps: 10, successfulCps: 10, callsCreated: 100, callsSucceeded: 100, callsFailed: 0, callsUnfinished: 0,
      failures: {}, setupMs: { p95: 20, p99: 30, samples: 100 }, messages: 700, retransmissions: 0, peakConcurrent: 15, durationS: 10,
    };
    expect(evaluateStep(m, DEFAULT_SERVICE_LEVEL).verdict).toBe('pass');
    expect(evaluateStep({ ...m, media: sample() }, DEFAULT_SERVICE_LEVEL).verdict).toBe('pass');
    const v = evaluateStep({ ...m, media: sample({ jitterP95Ms: 25 }) }, parseServiceLevel('jitter=20ms'));
    expect(v).toEqual({ verdict: 'fail', violations: ['media jitter p95 25 ms > 20 ms'] });
  });

  it('reads loss and jitter overrides and describes the level with media only when probes run', () => {
    expect(parseServiceLevel('loss=2%,jitter=20ms').media).toEqual({ maxLossRatio: 0.02, maxJitterP95Ms: 20 });
    expect(parseServiceLevel('loss=0.5%').media).toEqual({ maxLossRatio: 0.005, maxJitterP95Ms: 30 });
    expect(() => parseServiceLevel('jitter=3%')).toThrow(/time in ms/);
    expect(() => parseServiceLevel('loss=3ms')).toThrow(/ratio/);
    expect(describeServiceLevel(DEFAULT_SERVICE_LEVEL)).not.toMatch(/media/);
    expect(describeServiceLevel(DEFAULT_SERVICE_LEVEL, true)).toMatch(/media probes: loss <= 1.0 %, jitter p95 <= 30 ms/);
  });

  it('prints a progress part only for steps with probes', () => {
    expect(mediaText(undefined)).toBeUndefined();
    expect(mediaText(sample({ lossRatio: 0.0042, jitterP95Ms: 1.5, payloadCheckFailures: 2 }))).toBe('media 3/3, loss 0.42 %, jitter p95 1.5 ms, 2 damaged');
  });
});

describe('probe window', () => {
  it('probes a rate step while it creates calls', () => {
    expect(probeWindow({ rateCps: 50, calls: 300, holdMs: 1500 })).toEqual({ delayMs: 1000, durationMs: 4000 });
    expect(probeWindow({ rateCps: 100, calls: 300, holdMs: 1500 })).toEqual({ delayMs: 1000, durationMs: 2000 });
  });

  it('probes a concurrency step once every call is up, for at most half the hold', () => {
    expect(probeWindow({ rateCps: 20, calls: 200, holdMs: 20_000 })).toEqual({ delayMs: 10_000, durationMs: 5000 });
    expect(probeWindow({ rateCps: 10, calls: 20, holdMs: 6000 })).toEqual({ delayMs: 2000, durationMs: 3000 });
  });
});

function step(index: number, media?: MediaSample, verdict: 'pass' | 'fail' = 'pass'): StepRecord {
  return {
    kind: index < 3 ? 'rate' : 'concurrency', index, phase: 'ramp', target: index * 10,
    load: { rateCps: 10, calls: 10, maxConcurrent: 10, holdS: 1, callers: 1 },
    measurement: {
      targetCps: 10, offeredCps: 10, successfulCps: 10, callsCreated: 10, callsSucceeded: 10, callsFailed: 0, callsUnfinished: 0,
      failures: {}, setupMs: { p95: 20, p99: 30, samples: 10 }, messages: 70, retransmissions: 0, peakConcurrent: 10, durationS: 1, ...(media ? { media } : {}),
    },
    verdict, violations: [], startedAt: '2026-01-01T00:00:00.000Z', callerExit: 0, evidenceDir: '/tmp/x', errors: [], host: { loadAverage1m: 1 },
  };
}

describe('media plot and summary', () => {
  const steps = [step(1, sample({ lossRatio: 0.004, jitterP95Ms: 3 })), step(2), step(3, sample({ lossRatio: 0.03, jitterP95Ms: 12.5 }), 'fail')];

  it('plots loss in % and jitter per probed step with both limits', () => {
    const svg = mediaChart(steps, 'ref <sbc>', { ...DEFAULT_SERVICE_LEVEL, media: { maxLossRatio: 0.07, maxJitterP95Ms: 30 } });
    expect(svg).toMatch(/<svg[ >]/);
    expect(svg).toContain('ref &lt;sbc&gt;: probe call media quality');
    expect(svg).toContain('loss limit: 7 %');
    expect(svg).toContain('jitter limit: 30 ms');
    expect(svg).toContain('step 3 (concurrency, 30 calls): 3 of 3 probes, loss 3.00 % (0 of 750), jitter p95 12.5 ms, 0 damaged; step FAIL');
    expect(svg).not.toContain('step 2 (');
  });

  it('summarises the worst step, or nothing without probes', () => {
    expect(mediaSummary(steps)).toBe('media probes: 6 of 6 completed over 2 steps; worst loss 3.00 % (step 3), worst jitter p95 12.5 ms (step 3), 0 damaged packets');
    expect(mediaSummary([step(1), step(2)])).toBeUndefined();
  });
});
