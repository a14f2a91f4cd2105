import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readFlows } from '../capture/pcap-read';
import { udpFrame, writePcap } from '../capture/test-pcap';
import { cutScenarioPcap, MARKER_FILTER } from './pcap-cut';

const hasTools = ['editcap', 'mergecap', 'tshark'].every((t) => {
  try {
    execFileSync(t, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});
if (!hasTools) console.warn('pcap-cut tests skipped: editcap, mergecap and tshark (Debian package tshark) are needed');

const dir = mkdtempSync(join(tmpdir(), 'pcap-cut-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const T0 = 1_795_000_000;

describe.skipIf(!hasTools)('a scenario\'s pcap cut from the whole-run captures', () => {
  // One frame per millisecond from T0: public frames 0..9, core frames 0..9, a capture marker at 5 ms.
  const pub = join(dir, 'public.pcap');
  const core = join(dir, 'core.pcap');
  writePcap(pub, Array.from({ length: 10 }, (_, i) => (i === 5 ? udpFrame('127.0.0.1', 40000, '127.0.0.1', 9, 'sbcx-capture-marker-1') : udpFrame('203.0.113.20', 5062, '203.0.113.10', 5060, `p${i}`))), T0);
  writePcap(core, Array.from({ length: 10 }, (_, i) => udpFrame('10.20.0.10', 5060, '10.20.0.21', 5060, `c${i}`)), T0);

  it('keeps both zones\' packets of the window, merged by time, and leaves the markers out', async () => {
    const out = join(dir, 'scenario.pcap');
    const r = await cutScenarioPcap({ inputs: [pub, core], fromMs: T0 * 1000 + 3, toMs: T0 * 1000 + 6, out, exclude: MARKER_FILTER });
    expect(r.pcap).toBe(out);
    const flows = await readFlows(out);
    const count = (src: string): number => flows.filter((f) => f.src === src).length;
    // Public frames 3, 4, 6 (5 is the marker), core frames 3..6; equal timestamps may interleave either way.
    expect([count('203.0.113.20'), count('10.20.0.10'), count('127.0.0.1')]).toEqual([3, 4, 0]);
    expect(flows.map((f) => f.time)).toEqual([...flows.map((f) => f.time)].sort((a, b) => a - b));
    expect(flows.length).toBe(7);
    expect(flows.every((f) => f.time >= T0 + 0.003 && f.time <= T0 + 0.006)).toBe(true);
    expect(readdirSync(dir).filter((f) => f.startsWith('.cut-'))).toEqual([]);
  });

  it('copies the TLS key log beside it, and says why when the window is empty', async () => {
    const keys = join(dir, 'keys.log');
    writeFileSync(keys, 'CLIENT_RANDOM aa bb\n');
    const sub = join(dir, 'empty');
    execFileSync('mkdir', ['-p', sub]);
    const r = await cutScenarioPcap({ inputs: [pub, core], fromMs: (T0 + 60) * 1000, toMs: (T0 + 61) * 1000, out: join(sub, 'scenario.pcap'), tlsKeylog: keys });
    expect(r).toEqual({ keylog: join(sub, 'tls-keys.log'), note: 'the captures hold no packet in this scenario\'s time window' });
    expect(existsSync(join(sub, 'scenario.pcap'))).toBe(false);
    expect(existsSync(join(sub, 'tls-keys.log'))).toBe(true);
  });

  it('no capture at all: a note, no crash', async () => {
    expect(await cutScenarioPcap({ inputs: [join(dir, 'missing.pcap')], fromMs: 0, toMs: 1, out: join(dir, 'x.pcap') })).toEqual({ note: 'no capture of the run to cut from' });
  });
});
