import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, openSync, closeSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * A throwaway PostgreSQL for tests: initdb into a temp dir, a server on a unix socket only (no TCP
 * port, nothing on the network), trust auth, durability off for speed. PostgreSQL refuses to run
 * as root, so as root it runs as the `postgres` system user through runuser. Test support only: the
 * suite's and the reference SBC's tests both use it; neither product imports it.
 *
 * `stop()` and `start()` keep the data (to test a database outage); `destroy()` removes it all.
 * A process exit kills the server and removes the directory even when a test forgot to.
 */
export interface TestPostgres {
  socketDir: string;
  port: number;
  /** A URL for the default `postgres` database. */
  url: string;
  /** The same as a libpq keyword/value string. */
  connection: string;
  /** A fresh database; returns its URL and keyword/value connection strings. */
  createDatabase(name: string): Promise<{ url: string; connection: string }>;
  /** Runs SQL as the superuser in `database` (default `postgres`). */
  query(sql: string, database?: string): Promise<pg.QueryResult>;
  start(): Promise<void>;
  /** Fast shutdown, data kept. */
  stop(): Promise<void>;
  destroy(): Promise<void>;
}

const RUN_AS = 'postgres';

function pgBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? join(root, versions[0]!, 'bin') : null;
}

const isRoot = (): boolean => process.getuid?.() === 0;

/** Why a throwaway PostgreSQL cannot run here, or null when it can. Use it to skip tests. */
export function testPostgresUnavailable(): string | null {
  const bin = pgBin();
  if (!bin || !existsSync(join(bin, 'postgres')) || !existsSync(join(bin, 'initdb'))) {
    return 'PostgreSQL server binaries not found under /usr/lib/postgresql (install the postgresql package)';
  }
  if (isRoot()) {
    if (spawnSync('id', ['-u', RUN_AS]).status !== 0) return `running as root but there is no '${RUN_AS}' user to run PostgreSQL`;
    if (spawnSync('runuser', ['--help']).error) return 'running as root but runuser is missing';
  }
  return null;
}

function asServerUser(command: string, args: string[]): [string, string[]] {
  return isRoot() ? ['runuser', ['-u', RUN_AS, '--', command, ...args]] : [command, args];
}

function run(command: string, args: string[]): Promise<void> {
  const [cmd, argv] = asServerUser(command, args);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited ${code}: ${stderr.trim()}`))));
  });
}

export async function startTestPostgres(): Promise<TestPostgres> {
  const unavailable = testPostgresUnavailable();
  if (unavailable) throw new Error(unavailable);
  const bin = pgBin()!;
  // Short path: a unix socket path must stay under ~107 bytes.
  const base = mkdtempSync(join(tmpdir(), 'pgt-'));
  if (isRoot()) {
    const uid = Number(spawnSync('id', ['-u', RUN_AS]).stdout.toString().trim());
    const gid = Number(spawnSync('id', ['-g', RUN_AS]).stdout.toString().trim());
    chownSync(base, uid, gid);
  }
  const dataDir = join(base, 'data');
  const port = 20000 + Math.floor(Math.random() * 40000);
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();

  const postmasterPid = (): number | null => {
    try {
      const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      return Number.isInteger(pid) && pid > 0 ? pid : null;
    } catch {
      return null;
    }
  };

  const onExit = (): void => {
    const pid = postmasterPid();
    if (child && pid) {
      try {
        process.kill(pid, 'SIGQUIT');
        const until = Date.now() + 3000;
        while (Date.now() < until && alive(pid)) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
      } catch {
        // already gone
      }
    }
    rmSync(base, { recursive: true, force: true });
  };
  process.on('exit', onExit);

  const clientConfig = (database = 'postgres'): pg.ClientConfig => ({ host: base, port, user: 'postgres', database });
  const query = async (sql: string, database?: string): Promise<pg.QueryResult> => {
    const client = new pg.Client(clientConfig(database));
    await client.connect();
    try {
      return await client.query(sql);
    } finally {
      await client.end();
    }
  };
  const urlFor = (db: string): string => `postgresql://postgres@/${db}?host=${encodeURIComponent(base)}&port=${port}`;
  const connectionFor = (db: string): string => `host=${base} port=${port} user=postgres dbname=${db}`;

  const start = async (): Promise<void> => {
    if (child) return;
    const logFd = openSync(join(base, 'postgres.log'), 'a');
    const [cmd, argv] = asServerUser(join(bin, 'postgres'), [
      '-D', dataDir, '-k', base, '-p', String(port), '-c', 'listen_addresses=',
      '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off',
    ]);
    const proc = spawn(cmd, argv, { stdio: ['ignore', logFd, logFd] });
    closeSync(logFd);
    child = proc;
    exited = new Promise((resolve) => proc.on('exit', () => resolve()));
    let dead = false;
    void exited.then(() => {
      dead = true;
      if (child === proc) child = null;
    });
    const until = Date.now() + 20000;
    for (;;) {
      if (dead) throw new Error(`PostgreSQL exited at start: ${tail(join(base, 'postgres.log'))}`);
      try {
        await query('SELECT 1');
        return;
      } catch (err) {
        if (Date.now() > until) throw new Error(`PostgreSQL not ready after 20 s: ${String(err)}; ${tail(join(base, 'postgres.log'))}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };

  const stop = async (): Promise<void> => {
    if (!child) return;
    const pid = postmasterPid();
    // Signal the postmaster itself: runuser in between does not always pass signals on.
    if (pid) process.kill(pid, 'SIGINT');
    else child.kill('SIGINT');
    await exited;
    child = null;
  };

  await run(join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions']);
  try {
    await start();
  } catch (err) {
    onExit();
    process.off('exit', onExit);
    throw err;
  }

  return {
    socketDir: base,
    port,
    url: urlFor('postgres'),
    connection: connectionFor('postgres'),
    async createDatabase(name) {
      await query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      return { url: urlFor(name), connection: connectionFor(name) };
    },
    query,
    start,
    stop,
    async destroy() {
      await stop();
      rmSync(base, { recursive: true, force: true });
      process.off('exit', onExit);
    },
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-10).join('\n');
  } catch {
    return '(no log)';
  }
}
