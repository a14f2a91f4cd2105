/**
 * A pcap per scenario, cut from the run's whole-zone captures by the scenario's time window, so a
 * failure can be opened in Wireshark on its own: editcap keeps the window of each zone's capture,
 * mergecap interleaves the zones by time, and the capture's own sync markers (loopback datagrams to the
 * discard port, see harness/capture) are left out. The run's TLS key log goes beside it, so Wireshark
 * decrypts the TLS legs (Preferences > Protocols > TLS > (Pre)-Master-Secret log filename).
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../util/process';

export interface CutOptions {
  /** The whole-run captures (missing files are ignored). */
  inputs: string[];
  /** Window, epoch milliseconds, inclusive. */
  fromMs: number;
  toMs: number;
  /** The scenario's pcap to write. */
  out: string;
  /** A wireshark display filter of packets to leave out, e.g. the capture markers. */
  exclude?: string;
  /** The run's TLS key log, copied beside `out` as tls-keys.log when it exists and is not empty. */
  tlsKeylog?: string;
}

export interface CutResult {
  pcap?: string;
  keylog?: string;
  /** Why no pcap was written (no capture, nothing in the window, a tool failed). */
  note?: string;
}

export const MARKER_FILTER = 'ip.dst == 127.0.0.1 && udp.dstport == 9';

const epoch = (ms: number): string => (ms / 1000).toFixed(6);

/** True when the pcap holds at least one packet (a pcap header is 24 bytes; pcapng has its blocks). */
function hasPackets(file: string): boolean {
  return existsSync(file) && statSync(file).size > 64;
}

export async function cutScenarioPcap(o: CutOptions): Promise<CutResult> {
  const inputs = o.inputs.filter((f) => existsSync(f) && statSync(f).size > 24);
  const result: CutResult = {};
  if (o.tlsKeylog && existsSync(o.tlsKeylog) && statSync(o.tlsKeylog).size > 0) {
    result.keylog = join(o.out, '..', 'tls-keys.log');
    copyFileSync(o.tlsKeylog, result.keylog);
  }
  if (!inputs.length) return { ...result, note: 'no capture of the run to cut from' };
  const tmp = mkdtempSync(join(o.out, '..', '.cut-'));
  try {
    const parts: string[] = [];
    for (const [i, file] of inputs.entries()) {
      const part = join(tmp, `${i}.pcap`);
      // A capture still being written ends inside a packet: editcap says so and keeps the whole ones.
      // -A is inclusive, -B exclusive: one microsecond more keeps a packet stamped at the window's end.
      await run('editcap', ['-F', 'pcap', '-A', epoch(o.fromMs), '-B', epoch(o.toMs + 0.001), file, part], { check: false, timeoutMs: 60_000 });
      if (hasPackets(part)) parts.push(part);
    }
    if (!parts.length) return { ...result, note: 'the captures hold no packet in this scenario\'s time window' };
    const merged = o.exclude ? join(tmp, 'merged.pcap') : o.out;
    await run('mergecap', ['-F', 'pcap', '-w', merged, ...parts], { timeoutMs: 60_000 });
    if (o.exclude) await run('tshark', ['-n', '-r', merged, '-Y', `!(${o.exclude})`, '-F', 'pcap', '-w', o.out], { timeoutMs: 60_000 });
    return { ...result, pcap: o.out };
  } catch (err) {
    rmSync(o.out, { force: true });
    return { ...result, note: `the scenario's pcap could not be cut: ${(err as Error).message.split('\n')[0]}` };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
