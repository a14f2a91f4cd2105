import { describe, expect, it } from 'vitest';
import { EventLoopDelay, Metrics } from '../src/metrics';

/** Keeps the event loop busy for `ms` (what a stall in the SBC does to every other call). */
function block(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) { /* busy */ }
}

describe('event-loop delay histogram', () => {
  it('counts a 120 ms stall above 100 ms and renders a cumulative Prometheus histogram', async () => {
    const delay = new EventLoopDelay(10);
    const metrics = new Metrics();
    metrics.histogram('sbc_event_loop_delay_seconds', 'delay', () => delay.snapshot());
    try {
      await new Promise((r) => setTimeout(r, 200));
      block(120);
      await new Promise((r) => setTimeout(r, 200));
      const s = delay.snapshot();
      const over100ms = s.count - s.counts[s.bounds.indexOf(0.1)]!;
      expect(over100ms).toBeGreaterThanOrEqual(1);
      expect(s.counts.every((c, i) => i === 0 || c >= s.counts[i - 1]!)).toBe(true);
      const text = metrics.render();
      expect(text).toContain('# TYPE sbc_event_loop_delay_seconds histogram');
      expect(text).toMatch(new RegExp(`sbc_event_loop_delay_seconds_bucket\\{le="\\+Inf"\\} ${s.count}\\n`));
      expect(text).toMatch(/sbc_event_loop_delay_seconds_count \d+/);
    } finally {
      delay.close();
    }
  });
});
