import { chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, start, waitUntil, type Managed } from '../../harness/util/process';

const PG_BIN = '/usr/lib/postgresql/15/bin';

export interface PostgresInstance {
  proc: Managed;
  /** Directory of the unix socket: reachable from any namespace, which is how the suite reads CDRs. */
  socketDir: string;
  port: number;
  /** What the SBC uses inside the topology (TCP to the core zone's database address). */
  url: string;
  /** What the suite uses (unix socket, no route into the core zone needed). */
  localUrl: string;
  dataDir: string;
  /** The server's command-line options, so a scenario can restart it after stopping it (GEN-05 outage). */
  serverOptions: string[];
}

/**
 * Applies SQL files, in order, as the SBC's database user: the SUT's own schema (profile `database.sql`).
 * The topology has no schema of its own.
 */
export async function applySqlFiles(pg: Pick<PostgresInstance, 'socketDir' | 'port'>, files: string[]): Promise<void> {
  for (const file of files) {
    await run(`${PG_BIN}/psql`, ['-h', pg.socketDir, '-p', String(pg.port), '-U', 'sbc', '-d', 'sbc', '-v', 'ON_ERROR_STOP=1', '-q', '-f', file], { user: 'postgres' })
      .catch((err: unknown) => {
        throw new Error(`database.sql ${file}: ${(err as Error).message}`);
      });
  }
}

/** The server's command-line options: the socket in the run directory, TCP on the database address only. */
export function postgresOptions(socketDir: string, port: number, address: string): string[] {
  return ['-k', socketDir, '-p', String(port), '-c', `listen_addresses=${address}`, '-c', 'fsync=on', '-c', 'max_connections=50'];
}

/**
 * A throwaway PostgreSQL in the core namespace, listening on the database address and on a unix
 * socket in the run directory. Runs as the `postgres` system user (it refuses root).
 */
export async function startPostgres(o: { netns: string; address: string; runDir: string }): Promise<PostgresInstance> {
  const dataDir = join(o.runDir, 'pgdata');
  const socketDir = join(o.runDir, 'pgsock');
  for (const d of [dataDir, socketDir]) {
    mkdirSync(d, { recursive: true, mode: 0o700 });
    chownSync(d, uid('postgres'), gid('postgres'));
  }
  await run(`${PG_BIN}/initdb`, ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8'], { user: 'postgres' });
  writeFileSync(join(dataDir, 'pg_hba.conf'), 'local all all trust\nhost all all 10.20.0.0/24 md5\nhost all all 127.0.0.1/32 trust\n');
  const port = 5432;
  const serverOptions = postgresOptions(socketDir, port, o.address);
  const proc = start({
    name: 'postgres',
    command: `${PG_BIN}/postgres`,
    args: ['-D', dataDir, ...serverOptions],
    netns: o.netns,
    user: 'postgres',
    logFile: join(o.runDir, 'postgres.log'),
  });
  return { proc, ...(await prepareSbcDatabase({ socketDir, port, address: o.address })), dataDir, serverOptions };
}

/**
 * Waits until a fresh server accepts connections on its socket, then creates the SBC's role and
 * database (the server may be the suite's or a container's of the compose topology).
 */
export async function prepareSbcDatabase(o: { socketDir: string; port: number; address: string }): Promise<Pick<PostgresInstance, 'socketDir' | 'port' | 'url' | 'localUrl'>> {
  const { socketDir, port } = o;
  const psql = (sql: string, db = 'postgres'): Promise<unknown> =>
    run(`${PG_BIN}/psql`, ['-h', socketDir, '-p', String(port), '-U', 'postgres', '-d', db, '-v', 'ON_ERROR_STOP=1', '-qAtc', sql], { user: 'postgres' });
  await waitUntil('PostgreSQL to accept connections', async () => {
    const r = await run(`${PG_BIN}/pg_isready`, ['-h', socketDir, '-p', String(port)], { check: false });
    return r.code === 0;
  }, 20000, 100);
  await psql("CREATE ROLE sbc LOGIN PASSWORD 'sbc'");
  await psql('CREATE DATABASE sbc OWNER sbc');
  return {
    socketDir,
    port,
    url: `postgres://sbc:sbc@${o.address}:${port}/sbc`,
    localUrl: `postgresql://sbc@/sbc?host=${encodeURIComponent(socketDir)}&port=${port}`,
  };
}

function idOf(file: string, name: string): number {
  const line = readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
  if (!line) throw new Error(`no ${name} in ${file}: is the postgresql package installed?`);
  return Number(line.split(':')[2]);
}
const uid = (name: string): number => idOf('/etc/passwd', name);
const gid = (name: string): number => idOf('/etc/group', name);

/** Stops the topology's PostgreSQL (fast shutdown), as an outage a scenario can inflict. */
export async function stopPostgres(dataDir: string): Promise<void> {
  await run(`${PG_BIN}/pg_ctl`, ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '30'], { user: 'postgres' });
}

/** Starts it again in its namespace with the same options and waits until it accepts connections. */
export async function restartPostgres(o: { netns: string; dataDir: string; serverOptions: string[]; logFile: string }): Promise<void> {
  await run(`${PG_BIN}/pg_ctl`, ['start', '-D', o.dataDir, '-w', '-t', '30', '-l', o.logFile, '-o', o.serverOptions.map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ')], {
    netns: o.netns,
    user: 'postgres',
  });
}
