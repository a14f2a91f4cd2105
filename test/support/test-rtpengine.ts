import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createSocket } from 'node:dgram';

/**
 * rtpengine for tests: the ng protocol (a cookie, a space, a bencoded dictionary) to talk to a real
 * rtpengine or to play a fake one, and a throwaway userspace rtpengine on loopback. Test support only:
 * the suite's and the reference SBC's tests both use it; neither product imports it.
 */
export type Bencode = string | number | Bencode[] | { [key: string]: Bencode };
export type NgDict = Record<string, Bencode>;

/** Bencoding as ng uses it: dictionary keys sorted, strings as UTF-8 byte counts. */
export function bencode(v: Bencode): string {
  if (typeof v === 'number') return `i${v}e`;
  if (typeof v === 'string') return `${Buffer.byteLength(v)}:${v}`;
  if (Array.isArray(v)) return `l${v.map(bencode).join('')}e`;
  return `d${Object.keys(v).sort().map((k) => bencode(k) + bencode(v[k]!)).join('')}e`;
}

/** Decodes one bencoded value; byte strings come back as UTF-8 text. */
export function bdecode(buf: Buffer): Bencode {
  let at = 0;
  const next = (): Bencode => {
    const c = String.fromCharCode(buf[at]!);
    if (c === 'i') {
      const end = buf.indexOf('e', at);
      const n = Number(buf.subarray(at + 1, end).toString());
      at = end + 1;
      return n;
    }
    if (c === 'l' || c === 'd') {
      at++;
      const items: Bencode[] = [];
      while (buf[at] !== 0x65) items.push(next());
      at++;
      if (c === 'l') return items;
      const dict: NgDict = {};
      for (let i = 0; i < items.length; i += 2) dict[items[i] as string] = items[i + 1]!;
      return dict;
    }
    const colon = buf.indexOf(':', at);
    const len = Number(buf.subarray(at, colon).toString());
    at = colon + 1 + len;
    return buf.subarray(colon + 1, at).toString();
  };
  return next();
}

/** Sends one ng command to rtpengine on 127.0.0.1:`port` and resolves with its answer. */
export async function ngRequest(port: number, command: NgDict, timeoutMs = 3000): Promise<NgDict> {
  const socket = createSocket('udp4');
  const cookie = randomUUID().slice(0, 8);
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ng answer to ${String(command.command)}`)), timeoutMs);
      socket.on('message', (msg) => {
        const space = msg.indexOf(' ');
        if (msg.subarray(0, space).toString() !== cookie) return;
        clearTimeout(timer);
        resolve(bdecode(msg.subarray(space + 1)) as NgDict);
      });
      socket.send(`${cookie} ${bencode(command)}`, port, '127.0.0.1');
    });
  } finally {
    socket.close();
  }
}

/** Whether an rtpengine binary is installed (tests that need one skip without it). */
export const haveRtpengine = spawnSync('rtpengine', ['--version']).status === 0;

export interface TestRtpengineOptions {
  /** `--interface` values: an address, or `name/address` for a named interface. */
  interfaces: string[];
  ngPort: number;
  /** The first of the 200 media ports it may use. */
  portMin: number;
  logLevel?: number;
}

export interface TestRtpengine {
  ngPort: number;
  /** The last 4,000 characters it wrote to stderr, for failure messages. */
  log(): string;
  /** SIGTERM, then waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Starts rtpengine in the foreground (no kernel table, no host configuration file, calls deleted at
 * once) and resolves once it answers an ng ping; fails with its log when it exits or stays silent.
 */
export async function startTestRtpengine(o: TestRtpengineOptions): Promise<TestRtpengine> {
  let log = '';
  const proc: ChildProcess = spawn('rtpengine', [
    '--config-file=none', '--foreground', '--log-stderr', '--table=-1', ...o.interfaces.map((i) => `--interface=${i}`),
    `--listen-ng=127.0.0.1:${o.ngPort}`, `--port-min=${o.portMin}`, `--port-max=${o.portMin + 199}`,
    `--log-level=${o.logLevel ?? 5}`, '--delete-delay=0',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  proc.stderr?.on('data', (d: Buffer) => { log = (log + d.toString()).slice(-4000); });
  const stop = async (): Promise<void> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  };
  for (let i = 0; i < 30; i++) {
    if (proc.exitCode !== null) break;
    try {
      await ngRequest(o.ngPort, { command: 'ping' }, 300);
      return { ngPort: o.ngPort, log: () => log, stop };
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await stop();
  throw new Error(`rtpengine did not answer an ng ping on port ${o.ngPort}:\n${log}`);
}
