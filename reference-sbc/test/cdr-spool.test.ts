import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../src/cdr/index';
import { toSpoolLine, type CdrRecord } from '../src/cdr/record';
import { Spool } from '../src/cdr/spool';

const dirs: string[] = [];
const spools: Spool[] = [];
afterEach(async () => {
  await Promise.all(spools.splice(0).map((s) => s.close().catch(() => {})));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'cdr-spool-'));
  dirs.push(d);
  return d;
}

function quietLog(): Logger & { warnings: Array<{ msg: string; fields?: object }> } {
  const warnings: Array<{ msg: string; fields?: object }> = [];
  return { warnings, info: () => {}, warn: (msg, fields) => warnings.push({ msg, fields }), error: (msg, fields) => warnings.push({ msg, fields }) };
}

async function open(dir: string, log: Logger = quietLog(), maxSegmentBytes?: number): Promise<Spool> {
  const s = await Spool.open(dir, log, { maxSegmentBytes });
  spools.push(s);
  return s;
}

function record(n: number): CdrRecord {
  const t = new Date(Date.UTC(2026, 0, 1, 12, 0, 0) + n * 1000);
  return {
    callId: `call-${n}@203.0.113.20`, coreCallId: null, attemptAt: t, answerAt: null, endAt: t, durationS: 0, durationMs: 0,
    srcNumber: '+4930111', dstNumber: `+49400${n}`, remoteIp: '203.0.113.20', remotePort: 5060, transport: 'udp',
    direction: 'in', coreServer: '10.20.0.21:5060', finalStatus: 486, endReason: 'rejected', mediaEncrypted: false,
  };
}

const segmentsIn = (dir: string): string[] => readdirSync(dir).filter((n) => n.startsWith('cdr-')).sort();

describe('Spool', () => {
  it('makes appends durable and hands them out in order, also after a restart', async () => {
    const dir = tempDir();
    const a = await open(dir);
    await Promise.all([1, 2, 3].map((n) => a.append(record(n))));
    expect(a.pending).toBe(3);
    expect((await a.next(2)).map((r) => r.callId)).toEqual(['call-1@203.0.113.20', 'call-2@203.0.113.20']);
    // A second process on the same directory sees what the first made durable (a crash: no close).
    const b = await open(dir);
    expect(b.stats()).toMatchObject({ replayed: 3, pending: 3, corruptLines: 0 });
    expect((await b.next(10)).map((r) => r.dstNumber)).toEqual(['+494001', '+494002', '+494003']);
  });

  it('groups concurrent appends into few writes and loses none', async () => {
    const dir = tempDir();
    const s = await open(dir);
    await Promise.all(Array.from({ length: 200 }, (_, i) => s.append(record(i))));
    const lines = readFileSync(join(dir, segmentsIn(dir)[0]!), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(200);
    expect(s.stats().appended).toBe(200);
  });

  it('deletes a segment once every record in it is confirmed', async () => {
    const dir = tempDir();
    const s = await open(dir);
    await s.append(record(1));
    await s.append(record(2));
    const batch = await s.next(10);
    s.commit(batch.length);
    await s.settled();
    const left = segmentsIn(dir);
    expect(left).toHaveLength(1);
    expect(statSync(join(dir, left[0]!)).size).toBe(0);
    expect(s.pending).toBe(0);
    await s.close();
    expect(segmentsIn(dir)).toEqual([]);
  });

  it('keeps unconfirmed records across close', async () => {
    const dir = tempDir();
    const s = await open(dir);
    await s.append(record(1));
    await s.close();
    await expect(s.append(record(2))).rejects.toThrow('closed');
    const again = await open(dir);
    expect(again.pending).toBe(1);
  });

  it('skips a torn last line with a warning and never appends behind it', async () => {
    const dir = tempDir();
    const first = await open(dir);
    await first.append(record(1));
    await first.append(record(2));
    const segment = join(dir, segmentsIn(dir)[0]!);
    appendFileSync(segment, toSpoolLine(record(3)).slice(0, 57));
    const log = quietLog();
    const s = await open(dir, log);
    expect(s.stats()).toMatchObject({ replayed: 2, corruptLines: 1 });
    expect(log.warnings[0]).toMatchObject({ msg: 'CDR spool: unreadable line skipped', fields: { line: 3 } });
    await s.append(record(4));
    expect(segmentsIn(dir)).toHaveLength(2);
    const all: string[] = [];
    for (;;) {
      const batch = await s.next(10);
      if (batch.length === 0) break;
      all.push(...batch.map((r) => r.callId));
      s.commit(batch.length);
    }
    expect(all).toEqual(['call-1@203.0.113.20', 'call-2@203.0.113.20', 'call-4@203.0.113.20']);
    await s.settled();
    expect(segmentsIn(dir)).toHaveLength(1);
  });

  it('rolls over to new segments by size and reads queued ones back from disk in order', async () => {
    const dir = tempDir();
    const s = await open(dir, quietLog(), 1000);
    for (let n = 0; n < 30; n++) await s.append(record(n));
    const count = segmentsIn(dir).length;
    expect(count).toBeGreaterThan(3);
    const seen: number[] = [];
    for (;;) {
      const batch = await s.next(4);
      if (batch.length === 0) break;
      seen.push(...batch.map((r) => Number(/call-(\d+)@/.exec(r.callId)![1])));
      s.commit(batch.length);
    }
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => i));
    await s.settled();
    expect(segmentsIn(dir)).toHaveLength(1);
  });

  it('skips a queued segment that vanished from disk instead of blocking', async () => {
    const dir = tempDir();
    for (const n of [1, 2]) {
      const earlier = await Spool.open(dir, quietLog());
      await earlier.append(record(n));
      await earlier.close();
    }
    const log = quietLog();
    const s = await open(dir, log);
    rmSync(join(dir, segmentsIn(dir)[1]!)); // queued behind the head, so not in memory
    const head = await s.next(10);
    expect(head.map((r) => r.callId)).toEqual(['call-1@203.0.113.20']);
    s.commit(head.length);
    expect(await s.next(10)).toEqual([]);
    expect(log.warnings).toContainEqual(expect.objectContaining({ msg: 'CDR spool: queued segment unreadable, its records are lost' }));
    expect(s.pending).toBe(0);
  });

  it('keeps a record the database refuses in rejected.jsonl', async () => {
    const dir = tempDir();
    const s = await open(dir);
    await s.reject(record(9), 'value too long');
    const line = JSON.parse(readFileSync(join(dir, 'rejected.jsonl'), 'utf8')) as { reason: string; line: string };
    expect(line.reason).toBe('value too long');
    expect(line.line).toContain('call-9@203.0.113.20');
  });
});
