import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { cdrWriterBench } from './cdr-writer.bench';
import { srtpBench } from './media.bench';
import type { BenchResult } from './measure';
import { sbcParserBench } from './sbc-parser.bench';

/** `npm run bench`: micro-benchmarks of the hot paths; prints a table and writes reports/bench/. */
async function main(): Promise<void> {
  const results: BenchResult[] = [];
  const stages: [string, () => BenchResult[] | Promise<BenchResult[]>][] = [
    ['reference SBC SIP parser', sbcParserBench],
    ['suite SRTP generator', srtpBench],
    ['reference SBC CDR writer', () => cdrWriterBench()],
  ];
  for (const [title, fn] of stages) {
    process.stdout.write(`bench: ${title}...\n`);
    for (const r of await fn()) {
      results.push(r);
      const details = Object.entries(r.details).map(([k, v]) => `${k}=${v}`).join(' ');
      process.stdout.write(`  ${r.name.padEnd(48)} ${String(r.value).padStart(10)} ${r.unit.padEnd(14)} ${details}\n`);
    }
  }
  const dir = resolve(import.meta.dirname, '..', 'reports', 'bench');
  mkdirSync(dir, { recursive: true });
  const report = {
    at: new Date().toISOString(),
    node: process.version,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30) },
    results,
  };
  const file = join(dir, `bench-${report.at.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2));
  writeFileSync(join(dir, 'latest.json'), JSON.stringify(report, null, 2));
  process.stdout.write(`bench: written to ${file}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
