import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { eventLoopDelayOf, eventLoopText, histogramQuantile, parseHistogram, SutMetricsReader } from './sut-metrics';

const exposition = (counts: number[], count: number, sum: number): string => [
  '# HELP sbc_event_loop_delay_seconds How late the event loop ran its timers',
  '# TYPE sbc_event_loop_delay_seconds histogram',
  ...[0.001, 0.01, 0.1].map((b, i) => `sbc_event_loop_delay_seconds_bucket{le="${b}"} ${counts[i]}`),
  `sbc_event_loop_delay_seconds_bucket{le="+Inf"} ${count}`,
  `sbc_event_loop_delay_seconds_sum ${sum}`,
  `sbc_event_loop_delay_seconds_count ${count}`,
  'sbc_calls 3',
].join('\n');

describe('the SUT\'s event-loop delay per step', () => {
  it('parses a Prometheus histogram and takes the step\'s own distribution from two scrapes', () => {
    const before = parseHistogram(exposition([90, 100, 100], 100, 0.05), 'sbc_event_loop_delay_seconds')!;
    // During the step: 100 samples, 50 at or below 1 ms, 48 more at or below 10 ms, 2 at or below 100 ms.
    const after = parseHistogram(exposition([140, 198, 200], 200, 0.5), 'sbc_event_loop_delay_seconds')!;
    expect(before).toEqual({ bounds: [0.001, 0.01, 0.1], counts: [90, 100, 100], count: 100, sum: 0.05 });
    const e = eventLoopDelayOf(before, after);
    // p99 = rank 99 of 100: in the (10 ms, 100 ms] bucket, half-way through its two samples.
    expect(e).toEqual({ reported: true, p50Ms: 1, p99Ms: 55, maxBucketMs: 100, samples: 100 });
    expect(eventLoopText(e)).toBe('event loop p99 55 ms');
  });

  it('says so when the quantile lies above the last bucket', () => {
    const h = { bounds: [0.001, 0.01], counts: [1, 2], count: 10, sum: 1 };
    expect(histogramQuantile(h, 0.99)).toBe(Number.POSITIVE_INFINITY);
    const e = eventLoopDelayOf({ ...h, counts: [0, 0], count: 0, sum: 0 }, h);
    expect(eventLoopText(e)).toBe('event loop p99 > over the last bucket');
  });

  it('is "not reported", never 0, for a SUT without the endpoint or the histogram', async () => {
    const none = await (await new SutMetricsReader(undefined).start())();
    expect(none).toEqual({ reported: false, why: 'the SUT profile names no metrics endpoint' });
    expect(eventLoopText(none)).toBe('event loop p99 not reported');
    const server = createServer((_req, res) => res.end('sbc_calls 3\n'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
      const e = await (await new SutMetricsReader({ url, eventLoopDelay: 'sbc_event_loop_delay_seconds' }).start())();
      expect(e).toEqual({ reported: false, why: `${url} has no histogram sbc_event_loop_delay_seconds` });
    } finally {
      server.close();
    }
  });

  it('refuses a difference across a restart (the counts went down)', () => {
    const a = parseHistogram(exposition([140, 198, 200], 200, 0.5), 'sbc_event_loop_delay_seconds')!;
    const b = parseHistogram(exposition([1, 1, 1], 1, 0), 'sbc_event_loop_delay_seconds')!;
    expect(() => eventLoopDelayOf(a, b)).toThrow(/did the SUT restart/);
  });
});
