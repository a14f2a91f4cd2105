import { httpRequest } from '../util/http';
import { run } from '../util/process';
import { substitute } from './placeholders';
import { probeOnce, type ZoneExec } from './probe';
import type { SutAction, SutProfile } from './profile';

/**
 * Runs the SUT profile's provisioning actions (block an address, add a user, ...): a shell command
 * or an HTTP call, with `${ip}`, `${user}`, ... and the topology's placeholders filled in. A profile
 * without the action cannot exercise the requirement: the caller reports it "not run".
 */
export type ProvisionName = keyof SutProfile['provision'];

export interface ProvisionContext {
  /** The topology's placeholder values (RUN_DIR, ...); the action's own values override them. */
  vars: Record<string, string>;
  /** Network namespace shell actions run in (the SBC's, where its local admin ports are reachable). */
  netns?: string | undefined;
  timeoutMs?: number;
}

export interface ProvisionOutcome extends ActionResult {
  action: ProvisionName;
}

export class ProvisionError extends Error {
  constructor(
    message: string,
    readonly outcome?: ProvisionOutcome,
  ) {
    super(message);
    this.name = 'ProvisionError';
  }
}

/** Whether the profile can do `action` at all. */
export function canProvision(profile: SutProfile, action: ProvisionName): boolean {
  return profile.provision[action] !== undefined;
}

/**
 * Runs `action` with `values` (e.g. `{ ip: '203.0.113.66' }`). Returns undefined when the profile has
 * no such action; throws ProvisionError when it ran and failed (non-2xx, non-zero exit), because a
 * provisioning step that silently did nothing would make every later check meaningless.
 */
export async function provision(
  profile: SutProfile,
  action: ProvisionName,
  values: Record<string, string>,
  ctx: ProvisionContext,
): Promise<ProvisionOutcome | undefined> {
  const spec = profile.provision[action];
  if (!spec) return undefined;
  const vars = { ...ctx.vars, ...values };
  const where = `provision.${action}`;
  const fail = (message: string, result?: ActionResult): ProvisionError => new ProvisionError(message, result && { action, ...result });
  const result = await runSutAction(spec, vars, where, { netns: ctx.netns, timeoutMs: ctx.timeoutMs ?? 10_000, fail });
  return { action, ...result };
}

/** What a profile action did. */
export interface ActionResult {
  /** With placeholders filled: the command, or `METHOD url[ body]`. */
  ran: string;
  /** HTTP status, or the command's exit code. */
  status: number;
  output: string;
}

/**
 * Runs one profile action, provisioning or control: a shell command in `netns`, or an HTTP call, with
 * `vars` filled in (`where` names the action in errors). Throws `fail(...)` when it got no answer or
 * failed (non-zero exit, non-2xx), so each caller keeps its own error class.
 */
export async function runSutAction(
  spec: SutAction,
  vars: Record<string, string>,
  where: string,
  o: { netns?: string | undefined; timeoutMs: number; fail: (message: string, result?: ActionResult) => Error },
): Promise<ActionResult> {
  if ('shell' in spec) {
    const command = substitute(spec.shell, vars, `${where}.shell`);
    const r = await run('sh', ['-c', command], { netns: o.netns, check: false, timeoutMs: o.timeoutMs });
    const result: ActionResult = { ran: command, status: r.code, output: `${r.stdout}${r.stderr}`.trim() };
    if (r.code !== 0) throw o.fail(`${where}: \`${command}\` exited ${r.code}: ${result.output.slice(0, 500)}`, result);
    return result;
  }
  const { method } = spec.http;
  const url = substitute(spec.http.url, vars, `${where}.http.url`);
  const body = spec.http.body === undefined ? undefined : substitute(spec.http.body, vars, `${where}.http.body`);
  const headers = Object.fromEntries(Object.entries(spec.http.headers ?? {}).map(([k, v]) => [k, substitute(v, vars, `${where}.http.headers.${k}`)]));
  const ran = `${method} ${url}${body === undefined ? '' : ` ${body}`}`;
  let res;
  try {
    res = await httpRequest(url, { method, ...(body === undefined ? {} : { body }), headers, timeoutMs: o.timeoutMs });
  } catch (err) {
    throw o.fail(`${where}: ${ran}: ${(err as Error).message}`);
  }
  const result: ActionResult = { ran, status: res.status, output: res.body.trim() };
  if (res.status < 200 || res.status > 299) throw o.fail(`${where}: ${ran} answered ${res.status}: ${result.output.slice(0, 500)}`, result);
  return result;
}

/**
 * Probes the SBC's health (profile `health`): whether it is alive and, for an HTTP health URL whose
 * JSON body holds one, the `pid` it reports. Undefined when the profile has no health probe.
 */
export async function readHealth(profile: SutProfile, vars: Record<string, string>, exec: ZoneExec): Promise<{ ok: boolean; status: number; pid?: number; body: string } | undefined> {
  if (!profile.health) return undefined;
  const r = await probeOnce(profile.health, { sbc: profile.sbc, vars, exec });
  return { ok: r.ok, status: r.status, ...(r.pid === undefined ? {} : { pid: r.pid }), body: r.detail.slice(0, 500) };
}
