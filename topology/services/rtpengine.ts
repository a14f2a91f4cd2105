import { join } from 'node:path';
import { start, waitUntil, run, type Managed } from '../../harness/util/process';

export interface Rtpengine {
  proc: Managed;
  /** ng control address inside the SBC namespace. */
  ngHost: string;
  ngPort: number;
  /** rtpengine's logical interface names (`--interface=<name>/<address>`), for the SUT's ng offers. */
  publicIf: string;
  coreIf: string;
}

const PUBLIC_IF = 'pub';
const CORE_IF = 'core';
const NG_HOST = '127.0.0.1';
const NG_PORT = 2223;

/**
 * rtpengine in userspace (`--table=-1`, no kernel module) in the SBC namespace, with one logical
 * interface per zone so the SBC can anchor each leg on its own side.
 */
export async function startRtpengine(o: { netns: string; publicAddress: string; coreAddress: string; runDir: string }): Promise<Rtpengine> {
  const proc = start({ name: 'rtpengine', command: 'rtpengine', args: rtpengineArgs(o), netns: o.netns, logFile: join(o.runDir, 'rtpengine.log') });
  return { proc, ...(await waitRtpengine(o.netns)) };
}

/** rtpengine's command line for the topology (the compose provider runs it as the SBC container's command). */
export function rtpengineArgs(o: { publicAddress: string; coreAddress: string; runDir: string }): string[] {
  return [
    // No system config file: its listeners and defaults are the package's, not this topology's.
    '--config-file=none', '--foreground', '--log-stderr', '--table=-1',
    `--interface=${PUBLIC_IF}/${o.publicAddress}`, `--interface=${CORE_IF}/${o.coreAddress}`,
    `--listen-ng=${NG_HOST}:${NG_PORT}`, '--port-min=30000', '--port-max=39999',
    '--log-level=5', `--pidfile=${join(o.runDir, 'rtpengine.pid')}`, '--delete-delay=0',
  ];
}

/** Waits until rtpengine in `netns` listens for ng commands; what the SUT needs to reach it. */
export async function waitRtpengine(netns: string): Promise<Omit<Rtpengine, 'proc'>> {
  await waitUntil('rtpengine to listen for ng commands', async () => {
    const r = await run('ss', ['-lun'], { netns, check: false });
    return r.stdout.includes(`${NG_HOST}:${NG_PORT}`);
  }, 15000);
  return { ngHost: NG_HOST, ngPort: NG_PORT, publicIf: PUBLIC_IF, coreIf: CORE_IF };
}
