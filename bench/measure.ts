/** A small benchmark kit: warm up, run for a fixed time, report operations per second and per-op time. */
export interface BenchResult {
  name: string;
  /** The headline figure and its unit, e.g. 250000 "messages/s". */
  value: number;
  unit: string;
  details: Record<string, number | string>;
}

export function timeOps(fn: () => void, o: { warmupMs?: number; runMs?: number; batch?: number } = {}): { opsPerSec: number; nsPerOp: number; ops: number } {
  const batch = o.batch ?? 100;
  const until = (ms: number): number => {
    const end = process.hrtime.bigint() + BigInt(ms) * 1_000_000n;
    let ops = 0;
    while (process.hrtime.bigint() < end) {
      for (let i = 0; i < batch; i++) fn();
      ops += batch;
    }
    return ops;
  };
  until(o.warmupMs ?? 300);
  const t0 = process.hrtime.bigint();
  const ops = until(o.runMs ?? 1500);
  const ns = Number(process.hrtime.bigint() - t0);
  return { opsPerSec: Math.round((ops * 1e9) / ns), nsPerOp: Math.round(ns / ops), ops };
}

/** Heap growth after `fn` ran `count` times and a full GC: what an operation leaves behind. */
export function retainedBytesPerOp(fn: () => void, count: number): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < count; i++) fn();
  gc?.();
  return Math.max(0, Math.round((process.memoryUsage().heapUsed - before) / count));
}
