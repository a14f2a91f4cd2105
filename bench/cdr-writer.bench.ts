import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCdrWriter } from '../reference-sbc/src/cdr/index';
import { CallEvents } from '../reference-sbc/src/events';
import { startTestPostgres } from '../test/support/test-postgres';
import type { BenchResult } from './measure';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * The reference SBC's CDR path end to end: call events -> fsync'd spool -> batched inserts in a real
 * PostgreSQL, until the database confirmed every row. The figure bounds the call rate the SBC can
 * account for without the spool growing.
 */
export async function cdrWriterBench(calls = 5000): Promise<BenchResult[]> {
  const pg = await startTestPostgres();
  const spoolDir = mkdtempSync(join(tmpdir(), 'cdr-bench-'));
  try {
    const db = await pg.createDatabase('cdrbench');
    const events = new CallEvents();
    const writer = await startCdrWriter({ database: db.url, spoolDir }, events, quiet);
    const t0 = process.hrtime.bigint();
    const now = new Date();
    for (let i = 0; i < calls; i++) {
      const key = `k${i}`;
      events.emit({ kind: 'started', key, publicCallId: `bench-${i}`, direction: 'inbound', attemptAt: now, srcNumber: '+31201110000', dstNumber: `+3120${i}`, remoteIp: '203.0.113.20', remotePort: 5060, transport: 'udp' });
      events.emit({ kind: 'routed', key, coreCallId: `core-${i}`, peer: '10.20.0.21:5060' });
      events.emit({ kind: 'answered', key, answerAt: now, mediaEncrypted: false });
      events.emit({ kind: 'ended', key, endAt: now, finalStatus: 200, endReason: 'caller-bye' });
    }
    const deadline = Date.now() + 120_000;
    while (writer.stats().written < calls && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const stats = writer.stats();
    await writer.close();
    const rows = Number((await pg.query('SELECT count(*) AS n FROM cdr', 'cdrbench')).rows[0].n);
    if (rows !== calls) throw new Error(`CDR bench: ${rows} rows for ${calls} calls`);
    return [{ name: 'cdr events -> spool -> PostgreSQL', value: Math.round(calls / seconds), unit: 'CDRs/s', details: { calls, seconds: Number(seconds.toFixed(3)), rows, lost: stats.lost } }];
  } finally {
    await pg.destroy();
    rmSync(spoolDir, { recursive: true, force: true });
  }
}
