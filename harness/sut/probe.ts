import { join } from 'node:path';
import { httpRequest } from '../util/http';
import { run, waitUntil, type RunResult } from '../util/process';
import type { AgentAnswer, AgentRequest } from './probe-agent';
import { substitute } from './placeholders';
import type { SutProbe, SutProfile, SutReadiness } from './profile';

/**
 * The SUT's liveness probes (profile `start.ready`, `control.ready`, `health`): one module for the
 * start-up wait, the restart and the robustness checks. A probe that has to run somewhere in the
 * topology (an OPTIONS from the public zone, a command in the SBC's namespace) goes through a ZoneExec,
 * so each topology provider says how it runs a command in a zone (netns here, `docker exec` elsewhere).
 */
export type Zone = 'public' | 'sbc' | 'core';

/** Runs `argv` inside `zone` to completion (never throws for a non-zero exit). */
export type ZoneExec = (zone: Zone, argv: string[], o: { timeoutMs: number }) => Promise<RunResult>;

/** The ZoneExec of the netns topology: `ip netns exec <ns>`. */
export function netnsExec(ns: { pub: string; sbc: string; core: string }): ZoneExec {
  const names: Record<Zone, string> = { public: ns.pub, sbc: ns.sbc, core: ns.core };
  return (zone, argv, o) => run(argv[0]!, argv.slice(1), { netns: names[zone], check: false, timeoutMs: o.timeoutMs });
}

export interface ProbeContext {
  sbc: SutProfile['sbc'];
  /** The topology's placeholder values. */
  vars: Record<string, string>;
  exec: ZoneExec;
}

export interface ProbeOutcome {
  ok: boolean;
  /** HTTP or SIP status, the command's exit code; 0 when nothing answered. */
  status: number;
  /** What was probed and what came back (evidence). */
  detail: string;
  /** The pid an HTTP health body reports. */
  pid?: number;
}

const AGENT = join(import.meta.dirname, 'probe-agent.ts');
const ATTEMPT_MS = 2000;

async function viaAgent(zone: Zone, req: AgentRequest, ctx: ProbeContext): Promise<ProbeOutcome> {
  const r = await ctx.exec(zone, [process.execPath, '--import', 'tsx', AGENT, JSON.stringify(req)], { timeoutMs: req.timeoutMs + 5000 });
  let answer: AgentAnswer;
  try {
    answer = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as AgentAnswer;
  } catch {
    return { ok: false, status: 0, detail: `the probe agent in the ${zone} zone failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().slice(0, 300)}` };
  }
  return { ok: answer.ok, status: answer.status ?? 0, detail: `from the ${zone} zone: ${answer.detail}` };
}

export interface BoundSocket {
  proto: 'udp' | 'tcp';
  address: string;
  port: number;
}

/** Sockets bound (UDP) or listening (TCP) in the SBC's zone, from `ss`. */
export async function boundSockets(exec: ZoneExec): Promise<BoundSocket[]> {
  const out: BoundSocket[] = [];
  for (const proto of ['udp', 'tcp'] as const) {
    const r = await exec('sbc', ['ss', '-Hln', proto === 'udp' ? '-u' : '-t'], { timeoutMs: 5000 });
    if (r.code !== 0) throw new Error(`ss in the SBC zone exited ${r.code}: ${r.stderr.trim()}`);
    for (const line of r.stdout.split('\n')) {
      // State Recv-Q Send-Q Local:Port Peer:Port ...; the local column may be `*:5060`, `0.0.0.0:5060`, `[::]:5060`, `1.2.3.4%if:5060`.
      const local = line.trim().split(/\s+/)[3];
      const m = local && /^(.*):(\d+)$/.exec(local);
      if (m) out.push({ proto, address: m[1]!.replace(/^\[|\]$/g, '').replace(/%.*$/, ''), port: Number(m[2]) });
    }
  }
  return out;
}

const WILDCARDS = new Set(['*', '0.0.0.0', '::']);

/** Whether a bound socket receives what is sent to `address:port`. */
export const covers = (s: BoundSocket, address: string, port: number): boolean => s.port === port && (s.address === address || WILDCARDS.has(s.address));

/** The SBC's SIP ports (UDP and TLS, both zones) as the profile states them. */
export function sipPorts(sbc: SutProfile['sbc']): { proto: 'udp' | 'tcp'; address: string; port: number }[] {
  return (['public', 'core'] as const).flatMap((z) => [
    { proto: 'udp' as const, address: sbc[z].address, port: sbc[z].udp },
    ...(sbc[z].tls === undefined ? [] : [{ proto: 'tcp' as const, address: sbc[z].address, port: sbc[z].tls }]),
  ]);
}

/** Sockets in the SBC zone that still hold one of its SIP ports (empty: a new SBC can bind them). */
export async function busySipPorts(sbc: SutProfile['sbc'], exec: ZoneExec): Promise<BoundSocket[]> {
  const bound = await boundSockets(exec);
  return bound.filter((s) => sipPorts(sbc).some((p) => p.proto === s.proto && covers(s, p.address, p.port)));
}

/** Runs `probe` once. Never throws: a probe that cannot run is a failed probe, with the reason. */
export async function probeOnce(probe: SutProbe, ctx: ProbeContext): Promise<ProbeOutcome> {
  try {
    if (probe.http !== undefined) {
      const url = substitute(probe.http, ctx.vars, 'http');
      const res = await httpRequest(url, { timeoutMs: ATTEMPT_MS });
      let pid: number | undefined;
      try {
        const parsed = JSON.parse(res.body) as { pid?: unknown };
        if (typeof parsed.pid === 'number') pid = parsed.pid;
      } catch {
        // A health URL need not answer JSON; then there is no pid to compare.
      }
      const ok = res.status >= 200 && res.status < 300;
      return { ok, status: res.status, detail: `${url} answered ${res.status}: ${res.body.slice(0, 300)}`, ...(pid === undefined ? {} : { pid }) };
    }
    if (probe.sipOptions) {
      const to = ctx.sbc[probe.sipOptions.zone];
      return await viaAgent(probe.sipOptions.zone, { kind: 'sip-options', host: to.address, port: to.udp, timeoutMs: ATTEMPT_MS }, ctx);
    }
    if (probe.tcp) {
      const to = ctx.sbc[probe.tcp.zone];
      const port = probe.tcp.port ?? to.tls;
      if (port === undefined) return { ok: false, status: 0, detail: `tcp probe: no port given and the ${probe.tcp.zone} endpoint has no TLS port` };
      return await viaAgent(probe.tcp.zone, { kind: 'tcp', host: to.address, port, timeoutMs: ATTEMPT_MS }, ctx);
    }
    if (probe.udp) {
      const to = ctx.sbc[probe.udp.zone];
      const port = probe.udp.port ?? to.udp;
      const bound = (await boundSockets(ctx.exec)).some((s) => s.proto === 'udp' && covers(s, to.address, port));
      return { ok: bound, status: 0, detail: `UDP ${to.address}:${port} ${bound ? 'is bound' : 'is not bound'} in the SBC zone` };
    }
    const command = substitute(probe.command!, ctx.vars, 'command');
    const r = await ctx.exec('sbc', ['sh', '-c', command], { timeoutMs: ATTEMPT_MS * 5 });
    return { ok: r.code === 0, status: r.code, detail: `\`${command}\` exited ${r.code}: ${`${r.stdout}${r.stderr}`.trim().slice(0, 300)}` };
  } catch (err) {
    return { ok: false, status: 0, detail: (err as Error).message };
  }
}

/** What the probe is, for messages: `SIP OPTIONS from the public zone`, the URL, the command. */
export function describeProbe(probe: SutProbe): string {
  if (probe.http !== undefined) return probe.http;
  if (probe.sipOptions) return `SIP OPTIONS from the ${probe.sipOptions.zone} zone`;
  if (probe.tcp) return `a TCP connection from the ${probe.tcp.zone} zone`;
  if (probe.udp) return `a UDP socket on the ${probe.udp.zone} address`;
  return `\`${probe.command}\``;
}

/**
 * Polls `ready` until it succeeds; `gaveUp()` returning true (the process died) ends the wait at once.
 * The timeout error carries the last probe's detail.
 */
export async function waitForProbe(ready: SutReadiness, ctx: ProbeContext, o: { name: string; gaveUp?: () => boolean }): Promise<ProbeOutcome> {
  let last: ProbeOutcome | undefined;
  await waitUntil(`${o.name} to answer ${describeProbe(ready)}`, async () => {
    if (o.gaveUp?.()) return true;
    last = await probeOnce(ready, ctx);
    if (!last.ok) throw new Error(last.detail);
    return true;
  }, ready.timeoutMs, 200);
  return last ?? { ok: false, status: 0, detail: 'gave up' };
}
