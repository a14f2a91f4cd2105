import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { httpRequest } from '../util/http';
import { start, waitUntil, type Managed } from '../util/process';
import { substitute, type SutAction, type SutProfile } from './profile';
import { runSutAction } from './provision';

/**
 * Starting, killing and restarting the SUT as its profile says (`start` and `control` sections). The
 * topology starts it once; the crash scenario (GEN-05) kills it outright and starts it again with the
 * same command and configuration, then waits for the same readiness probe.
 */
export interface SutHost {
  profile: SutProfile;
  /** The topology's placeholder values (RUN_DIR, CDR_DB_URL, ...). */
  vars: Record<string, string>;
  /** The SBC's network namespace: its command and the shell actions run there. */
  netns?: string | undefined;
  /** Working directory of the start command; relative template paths are resolved from here. */
  cwd: string;
  /** Where the SBC's stdout and stderr are appended (evidence). */
  logFile?: string | undefined;
}

export class SutLifecycleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SutLifecycleError';
  }
}

type Readiness = { http: string; timeoutMs: number };

function logTail(logFile: string | undefined, lines = 8): string {
  if (!logFile || !existsSync(logFile)) return '';
  return readFileSync(logFile, 'utf8').trim().split('\n').slice(-lines).join('\n');
}

/**
 * Polls the readiness URL until it answers 2xx. When `exited` is given and settles first, fails at
 * once with the log tail: a process that died during start-up is not worth waiting the timeout for.
 */
async function waitReady(host: SutHost, ready: Readiness, exited?: Promise<number | string>): Promise<void> {
  const url = substitute(ready.http, host.vars, 'ready.http');
  let code: number | string | undefined;
  void exited?.then((c) => (code = c));
  const name = host.profile.name;
  const died = (): SutLifecycleError => new SutLifecycleError(`${name} exited (${code}) during start-up:\n${logTail(host.logFile)}`);
  await waitUntil(`${name} to answer ${url}`, async () => {
    // A process that died during start-up ends the wait at once (a failed probe only retries).
    if (code !== undefined) return true;
    const status = (await httpRequest(url, { timeoutMs: 1000 })).status;
    return status >= 200 && status < 300;
  }, ready.timeoutMs, 200).catch((err: unknown) => {
    throw code !== undefined ? died() : err;
  });
  if (code !== undefined) throw died();
}

/**
 * Starts the SUT with the profile's `start` section and resolves once its readiness probe answers.
 * `writeConfig` renders the configuration template first (the first start); a restart reuses the file.
 * `ready` overrides the start section's probe.
 */
export async function startSut(host: SutHost, o: { writeConfig: boolean; ready?: Readiness | undefined }): Promise<Managed> {
  const spec = host.profile.start;
  if (!spec) throw new SutLifecycleError(`${host.profile.name}: the profile has no start section`);
  if (o.writeConfig && spec.config) {
    const template = readFileSync(resolve(host.cwd, spec.config.template), 'utf8');
    writeFileSync(substitute(spec.config.path, host.vars, 'start.config.path'), substitute(template, host.vars, spec.config.template));
  }
  const argv = spec.command.map((a, i) => substitute(a, host.vars, `start.command[${i}]`));
  const proc = start({ name: 'sut', command: argv[0]!, args: argv.slice(1), netns: host.netns, cwd: host.cwd, logFile: host.logFile });
  try {
    await waitReady(host, o.ready ?? spec.ready, proc.exited);
  } catch (err) {
    await proc.stop(2000);
    throw err;
  }
  return proc;
}

/** Runs a control action (shell command in the SBC's namespace, or HTTP call); throws when it fails. */
async function runAction(host: SutHost, spec: SutAction, where: string): Promise<string> {
  const fail = (message: string): SutLifecycleError => new SutLifecycleError(message);
  return (await runSutAction(spec, host.vars, where, { netns: host.netns, timeoutMs: 30_000, fail })).ran;
}

/** Whether `pid` is gone or a zombie (killed, waiting for its parent, another process, to reap it). */
function isDead(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 3 is the state; the command name before it is in parentheses and may hold spaces.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return true;
  }
}

export interface KillOutcome {
  at: Date;
  /** What was done: `SIGKILL to pid 1234` or the action that ran. */
  how: string;
}

export interface StartOutcome {
  /** When the restarted SBC answered its readiness probe. */
  readyAt: Date;
  /** Time from the start command to readiness. */
  readyAfterMs: number;
  how: string;
  pid?: number | undefined;
}

/**
 * Kills and restarts the SUT per the profile's `control` section. The process it starts belongs to the
 * process that created this object: `stop()` must run before that process exits (the suite's AfterAll),
 * and the topology teardown kills whatever is left in the namespaces anyway.
 */
export class SutControl {
  private pid: number | undefined;
  private restarted: Managed | undefined;

  private constructor(
    private readonly host: SutHost,
    private readonly control: NonNullable<SutProfile['control']>,
    pid: number | undefined,
  ) {
    this.pid = pid;
  }

  /** The controller, or undefined when the profile cannot kill and restart this SBC ("not run"). */
  static for(host: SutHost, pid: number | undefined): SutControl | undefined {
    const control = host.profile.control;
    return control ? new SutControl(host, control, pid) : undefined;
  }

  /** The SBC's process id, as far as the suite knows it (the topology's, then each restart's). */
  get currentPid(): number | undefined {
    return this.pid;
  }

  /** Kills the SBC without any chance to clean up, and resolves once it is gone. */
  async kill(): Promise<KillOutcome> {
    if (this.control.kill !== 'sigkill') {
      const how = await runAction(this.host, this.control.kill, 'control.kill');
      return { at: new Date(), how };
    }
    const pid = this.pid;
    if (pid === undefined) throw new SutLifecycleError('control.kill is sigkill but the topology recorded no SBC process id');
    if (isDead(pid)) throw new SutLifecycleError(`the SBC (pid ${pid}) was already dead before the kill`);
    process.kill(pid, 'SIGKILL');
    const at = new Date();
    await waitUntil(`pid ${pid} to die after SIGKILL`, () => Promise.resolve(isDead(pid)), 5000, 20);
    if (this.restarted?.child.pid === pid) await this.restarted.exited;
    this.pid = undefined;
    return { at, how: `SIGKILL to pid ${pid}` };
  }

  /** Starts the SBC again and resolves once it is ready. */
  async start(): Promise<StartOutcome> {
    const t0 = Date.now();
    if (this.control.start === 'start') {
      await this.restarted?.stop(2000);
      this.restarted = await startSut(this.host, { writeConfig: false, ready: this.control.ready });
      this.pid = this.restarted.child.pid;
      return { readyAt: new Date(), readyAfterMs: Date.now() - t0, how: 'the start section again', pid: this.pid };
    }
    const how = await runAction(this.host, this.control.start, 'control.start');
    const ready = this.control.ready ?? this.host.profile.start?.ready;
    // The schema guarantees one of them; an SBC without a probe cannot be called ready.
    if (!ready) throw new SutLifecycleError('control.ready is missing');
    await waitReady(this.host, ready);
    return { readyAt: new Date(), readyAfterMs: Date.now() - t0, how };
  }

  /** Stops (SIGTERM, then SIGKILL) the SBC this controller started, if any. */
  async stop(): Promise<void> {
    await this.restarted?.stop(5000);
    this.restarted = undefined;
  }
}
