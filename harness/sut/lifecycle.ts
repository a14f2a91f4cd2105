import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isGone, killTree, start, waitUntil, type Managed } from '../util/process';
import { substitute } from './placeholders';
import { busySipPorts, waitForProbe, type ProbeContext, type ZoneExec } from './probe';
import type { SutAction, SutProfile, SutReadiness } from './profile';
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
  /** How probes run a command in a zone (probe.ts). */
  exec: ZoneExec;
  /**
   * Every process in the SBC's zone (its namespace), so that a kill also reaches what the SBC started
   * outside its own process tree; absent where the provider cannot list them.
   */
  zonePids?: (() => Promise<number[]>) | undefined;
  /** Processes of the topology in the SBC's zone that a kill must spare (its rtpengine). */
  keepPids?: readonly number[] | undefined;
  /** Where the SBC's stdout and stderr are appended (evidence). */
  logFile?: string | undefined;
}

export class SutLifecycleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SutLifecycleError';
  }
}

function logTail(logFile: string | undefined, lines = 8): string {
  if (!logFile || !existsSync(logFile)) return '';
  return readFileSync(logFile, 'utf8').trim().split('\n').slice(-lines).join('\n');
}

const probeContext = (host: SutHost): ProbeContext => ({ sbc: host.profile.sbc, vars: host.vars, exec: host.exec });

/**
 * Polls the readiness probe until it succeeds. When `exited` is given and settles first, fails at
 * once with the log tail: a process that died during start-up is not worth waiting the timeout for.
 */
async function waitReady(host: SutHost, ready: SutReadiness, exited?: Promise<number | string>): Promise<void> {
  let code: number | string | undefined;
  void exited?.then((c) => (code = c));
  const name = host.profile.name;
  const died = (): SutLifecycleError => new SutLifecycleError(`${name} exited (${code}) during start-up:\n${logTail(host.logFile)}`);
  await waitForProbe(ready, probeContext(host), { name, gaveUp: () => code !== undefined }).catch((err: unknown) => {
    throw code !== undefined ? died() : err;
  });
  if (code !== undefined) throw died();
}

/** Waits until no socket in the SBC zone holds one of the SBC's SIP ports (a killed SBC's children may). */
export async function waitSipPortsFree(host: SutHost, timeoutMs = 5000): Promise<void> {
  let busy: string[] = [];
  await waitUntil(`the SIP ports of ${host.profile.name} to be free`, async () => {
    busy = (await busySipPorts(host.profile.sbc, host.exec)).map((s) => `${s.proto} ${s.address}:${s.port}`);
    return busy.length === 0;
  }, timeoutMs, 50).catch(() => {
    throw new SutLifecycleError(`${host.profile.name}: SIP ports still bound after the kill: ${busy.join(', ')}`);
  });
}

/** Renders every configuration template of the start section (the first start only). */
function writeConfigs(host: SutHost): void {
  for (const [i, c] of (host.profile.start?.config ?? []).entries()) {
    const path = resolve(host.profile.dir, substitute(c.path, host.vars, `start.config.${i}.path`));
    writeFileSync(path, substitute(readFileSync(c.template, 'utf8'), host.vars, `start.config.${i}.template`));
  }
}

/**
 * Starts the SUT with the profile's `start` section (from the profile's directory) and resolves once
 * its readiness probe succeeds. `writeConfig` renders the configuration templates first (the first
 * start); a restart reuses the files. `ready` overrides the start section's probe.
 */
export async function startSut(host: SutHost, o: { writeConfig: boolean; ready?: SutReadiness | undefined }): Promise<Managed> {
  const spec = host.profile.start;
  if (!spec) throw new SutLifecycleError(`${host.profile.name}: the profile has no start section`);
  if (o.writeConfig) writeConfigs(host);
  const argv = spec.command.map((a, i) => substitute(a, host.vars, `start.command.${i}`));
  const proc = start({ name: 'sut', command: argv[0]!, args: argv.slice(1), netns: host.netns, cwd: host.profile.dir, logFile: host.logFile });
  try {
    await waitReady(host, o.ready ?? spec.ready, proc.exited);
  } catch (err) {
    await stopSut(host, proc, 2000);
    throw err;
  }
  return proc;
}

/** SIGKILLs every process of the SUT (its tree, and its zone's when the provider lists them). */
async function killAll(host: SutHost, pid: number | undefined): Promise<number[]> {
  return killTree(pid, { also: host.zonePids, keep: host.keepPids ?? [] });
}

/**
 * Stops a SUT the suite started: its stop signal, `graceMs` to exit, then SIGKILL for whatever is left
 * of it (children a forking SBC left behind included). Used by the topology teardown and after a
 * failed start.
 */
export async function stopSut(host: SutHost, proc: Managed, graceMs = 5000): Promise<void> {
  const pid = proc.child.pid;
  if (pid !== undefined && !isGone(pid)) {
    proc.child.kill(host.profile.start?.stopSignal ?? 'SIGTERM');
    await Promise.race([proc.exited, new Promise((r) => setTimeout(r, graceMs))]);
  }
  await killAll(host, pid);
  await proc.stop(100);
}

/** Runs a control action (shell command in the SBC's namespace, or HTTP call); throws when it fails. */
async function runAction(host: SutHost, spec: SutAction, where: string): Promise<string> {
  const fail = (message: string): SutLifecycleError => new SutLifecycleError(message);
  return (await runSutAction(spec, host.vars, where, { netns: host.netns, timeoutMs: 30_000, fail })).ran;
}

export interface KillOutcome {
  at: Date;
  /** What was done: `SIGKILL to pid 1234 and 3 more` or the action that ran. */
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

  /** The controller, or undefined when the profile cannot kill and restart this SBC ("incomplete"). */
  static for(host: SutHost, pid: number | undefined): SutControl | undefined {
    const control = host.profile.control;
    return control ? new SutControl(host, control, pid) : undefined;
  }

  /** The SBC's process id, as far as the suite knows it (the topology's, then each restart's). */
  get currentPid(): number | undefined {
    return this.pid;
  }

  /** Kills the SBC without any chance to clean up, and resolves once it is gone and its ports are free. */
  async kill(): Promise<KillOutcome> {
    if (this.control.kill !== 'sigkill') {
      const how = await runAction(this.host, this.control.kill, 'control.kill');
      return { at: new Date(), how };
    }
    const pid = this.pid;
    if (pid === undefined) throw new SutLifecycleError('control.kill is sigkill but the topology recorded no SBC process id');
    if (isGone(pid)) throw new SutLifecycleError(`the SBC (pid ${pid}) was already dead before the kill`);
    const at = new Date();
    const killed = await killAll(this.host, pid);
    if (this.restarted?.child.pid === pid) await this.restarted.exited;
    this.pid = undefined;
    await waitSipPortsFree(this.host);
    const others = killed.filter((p) => p !== pid);
    return { at, how: `SIGKILL to pid ${pid}${others.length ? ` and ${others.length} more (${others.join(', ')})` : ''}` };
  }

  /** Starts the SBC again and resolves once it is ready. */
  async start(): Promise<StartOutcome> {
    const t0 = Date.now();
    if (this.control.start === 'start') {
      if (this.restarted) await stopSut(this.host, this.restarted, 2000);
      // A port still held by a leftover process would make the new SBC fail to bind, or share the traffic.
      await waitSipPortsFree(this.host);
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

  /** Stops (stop signal, then SIGKILL to what is left) the SBC this controller started, if any. */
  async stop(): Promise<void> {
    if (this.restarted) await stopSut(this.host, this.restarted, 5000);
    this.restarted = undefined;
  }
}
