import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, start, waitUntil, type Managed } from '../../harness/util/process';
import { renderZone, type EnumRecord } from '../enum-zone';

/** What a process other than the one that started the server needs to change the zone (serialisable). */
export interface EnumDnsInfo {
  netns: string;
  address: string;
  /** Knot's control socket is a unix socket: reachable from the suite in any namespace. */
  controlSocket: string;
  configFile: string;
  zoneFile: string;
}

export interface EnumDns extends EnumDnsInfo {
  proc: Managed;
}

const serialOf = (zoneFile: string): number => Number(/IN SOA \S+ \S+ (\d+)/.exec(readFileSync(zoneFile, 'utf8'))?.[1] ?? 0);

async function servedSerial(info: EnumDnsInfo): Promise<number> {
  const r = await run('kdig', [`@${info.address}`, 'e164.arpa', 'SOA', '+short', '+timeout=1', '+retry=0'], { netns: info.netns, check: false });
  return Number(r.stdout.trim().split(/\s+/)[2] ?? NaN);
}

/** Replaces the zone's records and has the running server reload it (no restart), then waits until it serves them. */
export async function setEnumRecords(info: EnumDnsInfo, records: EnumRecord[]): Promise<void> {
  const serial = serialOf(info.zoneFile) + 1;
  writeFileSync(info.zoneFile, renderZone(records, { serial, nsAddress: info.address }));
  await run('knotc', ['-c', info.configFile, 'zone-reload', 'e164.arpa']);
  await waitUntil(`Knot DNS to serve zone serial ${serial}`, async () => (await servedSerial(info)) === serial, 5000, 50);
}

/**
 * Writes Knot's configuration and an initial zone (serial: now) into `<runDir>/knot`, for a server
 * started by the suite (startKnot) or by a container of the compose topology.
 */
export function writeKnotFiles(o: { address: string; runDir: string; records?: EnumRecord[] }): { info: Omit<EnumDnsInfo, 'netns'>; serial: number } {
  const dir = join(o.runDir, 'knot');
  mkdirSync(join(dir, 'db'), { recursive: true });
  const zoneFile = join(dir, 'e164.arpa.zone');
  const controlSocket = join(dir, 'knot.sock');
  const configFile = join(dir, 'knot.conf');
  writeFileSync(
    configFile,
    [
      'server:',
      `  listen: ${o.address}@53`,
      `  rundir: ${dir}`,
      'log:',
      '  - target: stderr',
      '    any: info',
      'database:',
      `  storage: ${join(dir, 'db')}`,
      'control:',
      `  listen: ${controlSocket}`,
      'template:',
      '  - id: default',
      '    journal-content: none',
      '    zonefile-sync: -1',
      '    semantic-checks: off',
      'zone:',
      '  - domain: e164.arpa',
      `    file: ${zoneFile}`,
      '',
    ].join('\n'),
  );
  const serial = Math.floor(Date.now() / 1000);
  writeFileSync(zoneFile, renderZone(o.records ?? [], { serial, nsAddress: o.address }));
  return { info: { address: o.address, controlSocket, configFile, zoneFile }, serial };
}

/** Waits until the server of `info` serves the zone with `serial` (by default: the zone file's). */
export async function waitKnot(info: EnumDnsInfo, serial = serialOf(info.zoneFile)): Promise<void> {
  await waitUntil('Knot DNS to answer for e164.arpa', async () => (await servedSerial(info)) === serial, 15000);
}

/** Knot DNS, authoritative for e164.arpa, on the ENUM DNS address of the core zone. */
export async function startKnot(o: { netns: string; address: string; runDir: string; records?: EnumRecord[] }): Promise<EnumDns> {
  const files = writeKnotFiles(o);
  const proc = start({ name: 'knotd', command: 'knotd', args: ['-c', files.info.configFile], netns: o.netns, logFile: join(o.runDir, 'knot.log') });
  const info: EnumDnsInfo = { netns: o.netns, ...files.info };
  await waitKnot(info, files.serial);
  return { ...info, proc };
}
