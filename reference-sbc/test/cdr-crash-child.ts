/**
 * Child process for the crash test in cdr-writer.test.ts: starts a CDR writer, ends `count` calls,
 * and prints `midway` once all are durable in the spool and a third is in the database, so the
 * test's SIGKILL lands while the writer is still inserting.
 * Usage: node --import tsx cdr-crash-child.ts <database> <spoolDir> <count>
 */
import { startCdrWriter } from '../src/cdr/index';
import { CallEvents } from '../src/events';

const [database, spoolDir, countText] = process.argv.slice(2);
if (!database || !spoolDir || !countText) throw new Error('usage: cdr-crash-child.ts <database> <spoolDir> <count>');
const count = Number(countText);

const events = new CallEvents();
const silent = { info: () => {}, warn: () => {}, error: (msg: string) => process.stderr.write(`${msg}\n`) };
const writer = await startCdrWriter({ database, spoolDir, batchSize: 1, flushIntervalMs: 0 }, events, silent);

const t0 = Date.now();
for (let i = 0; i < count; i++) {
  const key = `crash-${i}`;
  events.emit({
    kind: 'started', key, publicCallId: `${key}@203.0.113.21`, direction: 'inbound', attemptAt: new Date(t0 + i),
    srcNumber: '+4930999', dstNumber: `+4977${i}`, remoteIp: '203.0.113.21', remotePort: 5060, transport: 'udp',
  });
  events.emit({ kind: 'ended', key, endAt: new Date(t0 + i + 10), finalStatus: 486, endReason: 'rejected' });
}

const poll = setInterval(() => {
  const s = writer.stats();
  if (s.appended === count && s.written >= count / 3) {
    clearInterval(poll);
    process.stdout.write('midway\n');
  }
}, 2);
