/**
 * Per-zone packet capture: dumpcap inside a network namespace writing a pcap file (evidence).
 *
 * dumpcap buffers its output when it writes to a named file, so a pcap read while the capture runs
 * would lag by an unknown amount. Writing to standard output (`-w -`) makes dumpcap flush after every
 * packet; standard output is the evidence file itself (a file descriptor handed to the child), so what
 * the kernel delivered is on disk at once. `sync()` then proves it: it sends a marker datagram through
 * the captured namespace and waits until the marker is in the file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { run, waitUntil, wrapCommand } from '../util/process';

export interface CaptureOptions {
  /** Capture inside this network namespace; absent: the namespace the suite runs in. */
  netns?: string;
  /** Interface to capture on; 'any' (the default) sees every interface of the namespace, loopback included. */
  interface?: string;
  /** The pcap file to write (created, with its folder). */
  file: string;
  /** A libpcap capture filter, e.g. 'udp port 5060'; absent: every packet. */
  filter?: string;
  /** How long dumpcap may take to open the interface and write the file header (default 10 s). */
  readyTimeoutMs?: number;
}

export interface CaptureSummary {
  file: string;
  /** dumpcap's exit code or signal: 0 or 'SIGTERM' after a normal stop. */
  exit: number | string;
  /** dumpcap's own report (interfaces, packets captured and dropped), for the evidence. */
  log: string;
  /** Packets the kernel dropped before dumpcap read them, from dumpcap's report; a lossy capture is weak evidence. */
  dropped?: number;
}

export interface Capture {
  readonly file: string;
  readonly netns?: string;
  readonly interface: string;
  /**
   * Sends a marker datagram to 127.0.0.1 inside the captured namespace and resolves once it is in the
   * file: every packet the capture saw before the marker can then be read from the file. Needs a
   * capture that sees loopback ('any' or 'lo').
   */
  sync(timeoutMs?: number): Promise<void>;
  /** Stops dumpcap (SIGTERM, then SIGKILL) and returns its report. Safe to call twice. */
  stop(): Promise<CaptureSummary>;
}

/** The UDP port markers are sent to (discard): never used by a SIP scenario. */
export const MARKER_PORT = 9;
export const MARKER_PREFIX = 'sbcx-capture-marker-';

const PCAP_HEADER_BYTES = 24;

function readFrom(file: string, offset: number): Buffer {
  const size = statSync(file).size;
  if (size <= offset) return Buffer.alloc(0);
  const buf = Buffer.alloc(size - offset);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, buf.length, offset);
  } finally {
    closeSync(fd);
  }
  return buf;
}

function droppedFrom(log: string): number | undefined {
  // "Packets received/dropped on interface 'Loopback: lo': 12/0 (pcap:0/dumpcap:0/...)"
  const counts = [...log.matchAll(/received\/dropped on interface '.*?':\s*\d+\/(\d+)/g)].map((m) => Number(m[1]));
  return counts.length ? counts.reduce((a, b) => a + b, 0) : undefined;
}

/**
 * Starts dumpcap and resolves once it captures: dumpcap has said "Capturing on" and the pcap header is
 * in the file. Rejects (and leaves no process behind) when dumpcap exits or does not get there in time.
 */
export async function startCapture(o: CaptureOptions): Promise<Capture> {
  const iface = o.interface ?? 'any';
  mkdirSync(dirname(o.file), { recursive: true });
  // The markers of sync() must pass whatever filter the caller chose.
  const marker = `udp dst port ${MARKER_PORT} and dst host 127.0.0.1`;
  const filter = o.filter ? `(${o.filter}) or (${marker})` : undefined;
  // -P: classic pcap (every reader knows it); -q: no packet count on stderr, only the final report.
  const args = ['-i', iface, '-P', '-q', '-w', '-', ...(filter ? ['-f', filter] : [])];
  const [cmd, argv] = wrapCommand({ command: 'dumpcap', args, netns: o.netns });
  const fd = openSync(o.file, 'w');
  let child: ChildProcess;
  try {
    child = spawn(cmd, argv, { stdio: ['ignore', fd, 'pipe'] });
  } finally {
    // The child holds its own copy of the descriptor.
    closeSync(fd);
  }
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log += d.toString('utf8')));
  let exit: number | string | undefined;
  const exited = new Promise<number | string>((resolve) => {
    child.on('error', (err) => resolve(`error:${err.message}`));
    child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  void exited.then((c) => (exit = c));

  let stopped: Promise<CaptureSummary> | undefined;
  const stop = (): Promise<CaptureSummary> => {
    stopped ??= (async () => {
      if (exit === undefined) {
        child.kill('SIGTERM');
        const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(kill);
      }
      const code = await exited;
      const summary: CaptureSummary = { file: o.file, exit: code, log: log.trim() };
      const dropped = droppedFrom(log);
      if (dropped !== undefined) summary.dropped = dropped;
      return summary;
    })();
    return stopped;
  };

  try {
    await waitUntil(
      `dumpcap to capture on ${iface}${o.netns ? ` in ${o.netns}` : ''}`,
      // dumpcap says "Capturing on" before it opens the interface; the file header comes after.
      async () => exit !== undefined || (log.includes('Capturing on') && statSync(o.file).size >= PCAP_HEADER_BYTES),
      o.readyTimeoutMs ?? 10_000,
      20,
    );
    if (exit !== undefined) throw new Error(`dumpcap exited (${exit}) instead of capturing: ${log.trim()}`);
  } catch (err) {
    await stop();
    throw err;
  }

  let markerSeq = 0;
  const sync = async (timeoutMs = 5000): Promise<void> => {
    if (exit !== undefined) throw new Error(`the capture ${o.file} has ended (dumpcap exited ${exit}): ${log.trim()}`);
    markerSeq++;
    const marker = `${MARKER_PREFIX}${randomBytes(4).toString('hex')}-${markerSeq}`;
    const needle = Buffer.from(marker);
    const from = statSync(o.file).size;
    // bash's /dev/udp sends one datagram from inside the namespace without a helper program.
    await run('bash', ['-c', `printf %s '${marker}' > /dev/udp/127.0.0.1/${MARKER_PORT}`], { netns: o.netns, check: false });
    await waitUntil(`the capture marker in ${o.file} (the capture must see loopback: interface 'any' or 'lo')`, async () => readFrom(o.file, from).includes(needle), timeoutMs, 25);
  };

  return { file: o.file, netns: o.netns, interface: iface, sync, stop };
}
