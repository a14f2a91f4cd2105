import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCdrWriter, type CdrWriter, type Logger } from '../src/cdr/index';
import { toSpoolLine, type CdrRecord } from '../src/cdr/record';
import { CallEvents } from '../src/events';
import { startTestPostgres, testPostgresUnavailable, type TestPostgres } from '../../test/support/test-postgres';

const unavailable = testPostgresUnavailable();
if (unavailable) console.warn(`SKIPPED reference-sbc CDR writer tests: ${unavailable}`);

const ROOT = join(import.meta.dirname, '../..');

interface LogLine {
  level: 'info' | 'warn' | 'error';
  msg: string;
  fields?: object;
}

function recordingLog(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    info: (msg, fields) => lines.push({ level: 'info', msg, fields }),
    warn: (msg, fields) => lines.push({ level: 'warn', msg, fields }),
    error: (msg, fields) => lines.push({ level: 'error', msg, fields }),
  };
}

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Emits one inbound call: answered after `answerAfterMs` (or rejected when null), ended after `endAfterMs`. */
function call(events: CallEvents, key: string, t0: Date, answerAfterMs: number | null, endAfterMs: number, finalStatus = answerAfterMs === null ? 486 : 200): void {
  events.emit({
    kind: 'started', key, publicCallId: `${key}@203.0.113.20`, direction: 'inbound', attemptAt: t0,
    srcNumber: '+4930111', dstNumber: `+49${key}`, remoteIp: '203.0.113.20', remotePort: 5062, transport: 'udp',
  });
  events.emit({ kind: 'routed', key, coreCallId: `core-${key}`, peer: '10.20.0.21:5060' });
  if (answerAfterMs !== null) events.emit({ kind: 'answered', key, answerAt: new Date(t0.getTime() + answerAfterMs), mediaEncrypted: false });
  events.emit({
    kind: 'ended', key, endAt: new Date(t0.getTime() + endAfterMs), finalStatus,
    endReason: answerAfterMs === null ? 'rejected' : 'caller-bye',
  });
}

describe.skipIf(unavailable !== null)('CDR writer against PostgreSQL', () => {
  let pgt: TestPostgres;
  let dbCount = 0;
  const writers: CdrWriter[] = [];
  const dirs: string[] = [];

  beforeAll(async () => {
    pgt = await startTestPostgres();
  }, 60000);

  afterEach(async () => {
    await pgt.start(); // a test that stopped the server must not leave the next one without it
    await Promise.all(writers.splice(0).map((w) => w.close()));
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  afterAll(async () => {
    await pgt?.destroy();
  });

  async function fresh(): Promise<{ database: string; name: string; spoolDir: string }> {
    const name = `cdr_${++dbCount}`;
    const { connection } = await pgt.createDatabase(name);
    const spoolDir = mkdtempSync(join(tmpdir(), 'cdr-spool-'));
    dirs.push(spoolDir);
    return { database: connection, name, spoolDir };
  }

  async function start(config: { database: string; spoolDir: string }, events: CallEvents, log: Logger = recordingLog()): Promise<CdrWriter> {
    const w = await startCdrWriter({ ...config, flushIntervalMs: 20 }, events, log);
    writers.push(w);
    return w;
  }

  const rows = async (name: string, columns = 'call_id'): Promise<Array<Record<string, unknown>>> =>
    (await pgt.query(`SELECT ${columns} FROM cdr ORDER BY id`, name)).rows as Array<Record<string, unknown>>;

  it('writes one row per call with the right fields and durations, creating the table itself', async () => {
    const f = await fresh();
    const events = new CallEvents();
    const w = await start(f, events);
    const t0 = new Date('2026-05-01T08:00:00.000Z');
    call(events, 'answered', t0, 1500, 8900);
    call(events, 'rejected', t0, null, 250);
    await until('2 rows written', () => w.stats().written === 2);
    const got = await rows(f.name, '*, host(remote_ip) AS ip');
    expect(got).toHaveLength(2);
    expect(got[0]).toMatchObject({
      call_id: 'answered@203.0.113.20', core_call_id: 'core-answered', attempt_at: t0,
      answer_at: new Date('2026-05-01T08:00:01.500Z'), end_at: new Date('2026-05-01T08:00:08.900Z'),
      duration_s: 7, duration_ms: '7400', src_number: '+4930111', dst_number: '+49answered', ip: '203.0.113.20',
      remote_port: 5062, transport: 'udp', direction: 'in', core_server: '10.20.0.21:5060', final_status: 200,
      end_reason: 'caller-bye', media_encrypted: false,
    });
    expect(got[1]).toMatchObject({ call_id: 'rejected@203.0.113.20', answer_at: null, duration_s: 0, duration_ms: '0', final_status: 486, end_reason: 'rejected' });
    await w.close();
    expect(readdirSync(f.spoolDir)).toEqual([]);
  });

  it('works on the table the topology migration creates', async () => {
    const f = await fresh();
    const migration = readFileSync(join(ROOT, 'reference-sbc/db/001-cdr.sql'), 'utf8');
    await pgt.query(migration, f.name);
    const events = new CallEvents();
    const w = await start(f, events);
    call(events, 'm1', new Date(), 100, 1200);
    await until('the row', () => w.stats().written === 1);
    expect(await rows(f.name)).toEqual([{ call_id: 'm1@203.0.113.20' }]);
  });

  it('keeps records in the spool while the database is down, then writes them all in order', async () => {
    const f = await fresh();
    await pgt.stop();
    const events = new CallEvents();
    const log = recordingLog();
    const w = await start(f, events, log); // the database is down at start: the writer still starts
    const t0 = new Date();
    for (const k of ['d1', 'd2', 'd3']) call(events, k, t0, null, 10);
    await until('3 records spooled', () => w.stats().appended === 3);
    expect(w.stats()).toMatchObject({ pending: 3, written: 0, dbUp: false });
    expect(log.lines.some((l) => l.level === 'warn' && l.msg.startsWith('CDR database unavailable'))).toBe(true);

    await pgt.start();
    await until('3 rows after the database came back', () => w.stats().written === 3);

    await pgt.stop(); // and down again while running
    for (const k of ['d4', 'd5', 'd6']) call(events, k, t0, 100, 2100);
    await until('3 more spooled', () => w.stats().appended === 6);
    await new Promise((r) => setTimeout(r, 300));
    expect(w.stats()).toMatchObject({ written: 3, pending: 3, dbUp: false });
    await pgt.start();
    await until('all 6 rows', () => w.stats().written === 6, 20000);

    expect((await rows(f.name)).map((r) => r['call_id'])).toEqual(['d1', 'd2', 'd3', 'd4', 'd5', 'd6'].map((k) => `${k}@203.0.113.20`));
    expect(w.stats()).toMatchObject({ pending: 0, duplicates: 0, dbUp: true });
    expect(log.lines.some((l) => l.msg.startsWith('CDR database reachable again'))).toBe(true);
  }, 60000);

  it('replays a spool left by a crash, skipping a torn last line, without duplicates', async () => {
    const f = await fresh();
    const events = new CallEvents();
    const first = await start(f, events);
    const t0 = new Date('2026-05-01T09:00:00.000Z');
    for (const k of ['c1', 'c2']) call(events, k, t0, null, 10);
    await until('2 rows', () => first.stats().written === 2);
    await first.close();

    // What a crash can leave: records the database already confirmed (not yet removed from the
    // spool), records it never saw, and a line cut off mid-write.
    const spooled = (key: string): CdrRecord => ({
      callId: `${key}@203.0.113.20`, coreCallId: null, attemptAt: t0, answerAt: null, endAt: t0, durationS: 0, durationMs: 0,
      srcNumber: '+4930111', dstNumber: `+49${key}`, remoteIp: '203.0.113.20', remotePort: 5062, transport: 'udp',
      direction: 'in', coreServer: null, finalStatus: 486, endReason: 'rejected', mediaEncrypted: false,
    });
    const lines = ['c1', 'c2', 'c3', 'c4'].map((k) => toSpoolLine(spooled(k)));
    writeFileSync(join(f.spoolDir, 'cdr-000000000007.jsonl'), `${lines.join('\n')}\n${toSpoolLine(spooled('torn')).slice(0, 80)}`);

    const log = recordingLog();
    const second = await start(f, new CallEvents(), log);
    expect(second.stats()).toMatchObject({ replayed: 4, corruptLines: 1 });
    expect(log.lines).toContainEqual(expect.objectContaining({ level: 'warn', msg: 'CDR spool: unreadable line skipped' }));
    await until('the replay', () => second.stats().pending === 0);
    expect(second.stats()).toMatchObject({ written: 2, duplicates: 2 });
    expect((await rows(f.name)).map((r) => r['call_id'])).toEqual(['c1', 'c2', 'c3', 'c4'].map((k) => `${k}@203.0.113.20`));
  });

  it('loses nothing when the SBC is killed with SIGKILL while writing', async () => {
    const f = await fresh();
    const count = 150;
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'reference-sbc/test/cdr-crash-child.ts'), f.database, f.spoolDir, String(count)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`child never got midway: ${stderr}`)), 20000);
      child.stdout.on('data', (c: Buffer) => {
        if (!c.toString().includes('midway')) return;
        clearTimeout(timer);
        child.kill('SIGKILL');
        resolve();
      });
    });
    await exited;
    const inDbAtCrash = (await rows(f.name)).length;
    // The kill landed mid-way: some rows in the database, the rest only in the spool.
    expect(inDbAtCrash).toBeGreaterThan(0);
    expect(inDbAtCrash).toBeLessThan(count);

    const w = await start(f, new CallEvents());
    await until('the replay', () => w.stats().pending === 0, 20000);
    const got = await rows(f.name);
    expect(got).toHaveLength(count);
    expect(new Set(got.map((r) => r['call_id'])).size).toBe(count);
    expect(w.stats()).toMatchObject({ replayed: count, duplicates: inDbAtCrash, written: count - inDbAtCrash });
  }, 60000);

  it('closes promptly while the database is down and keeps the records for the next start', async () => {
    const f = await fresh();
    await pgt.stop();
    const events = new CallEvents();
    const log = recordingLog();
    const w = await startCdrWriter({ ...f, flushIntervalMs: 20 }, events, log);
    call(events, 'k1', new Date(), null, 10);
    await until('spooled', () => w.stats().appended === 1);
    const t = Date.now();
    await w.close();
    expect(Date.now() - t).toBeLessThan(2000);
    expect(log.lines).toContainEqual(expect.objectContaining({ msg: 'CDR writer closed with records still in the spool' }));
    await pgt.start();
    const again = await start(f, new CallEvents());
    await until('written on the next start', () => again.stats().written === 1);
  });

  it('moves a record the database refuses to rejected.jsonl and keeps the rest flowing', async () => {
    const f = await fresh();
    await pgt.query(readFileSync(join(ROOT, 'reference-sbc/db/001-cdr.sql'), 'utf8'), f.name);
    await pgt.query("ALTER TABLE cdr ADD CONSTRAINT no_bad CHECK (dst_number <> '+49bad')", f.name);
    const events = new CallEvents();
    const log = recordingLog();
    const w = await startCdrWriter({ ...f, flushIntervalMs: 200 }, events, log);
    writers.push(w);
    for (const k of ['ok1', 'bad', 'ok2']) call(events, k, new Date(), null, 10);
    await until('the batch handled', () => w.stats().pending === 0 && w.stats().appended === 3);
    expect(w.stats()).toMatchObject({ written: 2, rejected: 1 });
    expect((await rows(f.name)).map((r) => r['call_id'])).toEqual(['ok1@203.0.113.20', 'ok2@203.0.113.20']);
    expect(readFileSync(join(f.spoolDir, 'rejected.jsonl'), 'utf8')).toContain('bad@203.0.113.20');
    expect(log.lines).toContainEqual(expect.objectContaining({ level: 'error', msg: 'CDR refused by the database; kept in rejected.jsonl' }));
  });

  it('keeps records spooled when the schema refuses them all, and writes them once it is fixed', async () => {
    const f = await fresh();
    await pgt.query(readFileSync(join(ROOT, 'reference-sbc/db/001-cdr.sql'), 'utf8'), f.name);
    await pgt.query('ALTER TABLE cdr ADD COLUMN tenant text NOT NULL', f.name);
    const events = new CallEvents();
    const log = recordingLog();
    const w = await start(f, events, log);
    call(events, 'nn', new Date(), null, 10);
    await until('the refusal', () => log.lines.some((l) => l.level === 'error' && l.msg === 'CDR database refuses the records; they stay in the spool'));
    expect(w.stats()).toMatchObject({ pending: 1, written: 0, rejected: 0 });
    await pgt.query("ALTER TABLE cdr ALTER COLUMN tenant SET DEFAULT 'default'", f.name);
    await until('written after the fix', () => w.stats().written === 1);
  });

  it('keeps records spooled and says why when the table lacks a column', async () => {
    const f = await fresh();
    await pgt.query('CREATE TABLE cdr (id bigserial, call_id text UNIQUE)', f.name);
    const events = new CallEvents();
    const log = recordingLog();
    const w = await start(f, events, log);
    call(events, 'x1', new Date(), null, 10);
    await until('the schema error', () => log.lines.some((l) => l.level === 'error' && l.msg === 'CDR database refuses the records; they stay in the spool'));
    expect(JSON.stringify(log.lines)).toContain('table cdr lacks column(s): core_call_id');
    await until('spooled', () => w.stats().appended === 1);
    expect(w.stats()).toMatchObject({ pending: 1, written: 0 });
  });
});
