import { readdirSync } from 'node:fs';
import { run } from '../harness/util/process';
import { ADDRESSES, type AddressPlan } from './addresses';

/**
 * The netns provider's network: one namespace per zone plus the SBC's, joined by veth pairs.
 *
 *   [pub ns] p<id> 203.0.113.20-59,.66 <--veth--> sp<id> 203.0.113.10 [sbc ns] 10.20.0.10 sc<id> <--veth--> c<id> 10.20.0.21-23,.53,.54 [core ns]
 *
 * No namespace has a default route and the SBC namespace has IP forwarding off, so the only way
 * from one zone to the other is through a socket of the SBC (GEN-02).
 */
export const NETNS_PREFIX = 'sbcx';

export interface Namespaces {
  id: string;
  pub: string;
  sbc: string;
  core: string;
}

export function namespacesFor(id: string): Namespaces {
  return { id, pub: `${NETNS_PREFIX}${id}-pub`, sbc: `${NETNS_PREFIX}${id}-sbc`, core: `${NETNS_PREFIX}${id}-core` };
}

async function ip(args: string[], netns?: string): Promise<void> {
  await run('ip', args, { netns });
}

/** The veth names of run `id` (at most 15 characters; the run id keeps parallel runs apart). */
export function interfacesFor(id: string): { pubIf: string; sbcPubIf: string; coreIf: string; sbcCoreIf: string } {
  return { pubIf: `p${id}`, sbcPubIf: `sp${id}`, coreIf: `c${id}`, sbcCoreIf: `sc${id}` };
}

export async function createNetwork(id: string, plan: AddressPlan = ADDRESSES): Promise<Namespaces> {
  const ns = namespacesFor(id);
  for (const name of [ns.pub, ns.sbc, ns.core]) {
    await ip(['netns', 'add', name]);
    await ip(['link', 'set', 'lo', 'up'], name);
  }
  const { pubIf, sbcPubIf, coreIf, sbcCoreIf } = interfacesFor(id);
  await ip(['link', 'add', pubIf, 'netns', ns.pub, 'type', 'veth', 'peer', 'name', sbcPubIf, 'netns', ns.sbc]);
  await ip(['link', 'add', coreIf, 'netns', ns.core, 'type', 'veth', 'peer', 'name', sbcCoreIf, 'netns', ns.sbc]);

  const pubMask = plan.publicNet.split('/')[1];
  const coreMask = plan.coreNet.split('/')[1];
  await ip(['addr', 'add', `${plan.sbcPublic}/${pubMask}`, 'dev', sbcPubIf], ns.sbc);
  await ip(['addr', 'add', `${plan.sbcCore}/${coreMask}`, 'dev', sbcCoreIf], ns.sbc);
  for (const a of [...plan.publicHosts, plan.attacker]) await ip(['addr', 'add', `${a}/${pubMask}`, 'dev', pubIf], ns.pub);
  for (const a of [...plan.coreServers, plan.enumDns, plan.postgres]) await ip(['addr', 'add', `${a}/${coreMask}`, 'dev', coreIf], ns.core);
  await ip(['link', 'set', pubIf, 'up'], ns.pub);
  await ip(['link', 'set', coreIf, 'up'], ns.core);
  await ip(['link', 'set', sbcPubIf, 'up'], ns.sbc);
  await ip(['link', 'set', sbcCoreIf, 'up'], ns.sbc);
  // Forwarding off and checked: a kernel default is not evidence.
  await run('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=0'], { netns: ns.sbc });
  const fwd = await run('sysctl', ['-n', 'net.ipv4.ip_forward'], { netns: ns.sbc });
  if (fwd.stdout.trim() !== '0') throw new Error(`could not turn IP forwarding off in ${ns.sbc}`);
  return ns;
}

/** Kills every process still inside the namespaces, then deletes them. Never throws. */
export async function destroyNetwork(ns: Namespaces): Promise<string[]> {
  const problems: string[] = [];
  for (const name of [ns.pub, ns.sbc, ns.core]) {
    if (!listNamespaces().includes(name)) continue;
    for (const signal of ['TERM', 'KILL']) {
      const pids = await run('ip', ['netns', 'pids', name], { check: false });
      const list = pids.stdout.split(/\s+/).filter(Boolean);
      if (list.length === 0) break;
      await run('kill', [`-${signal}`, ...list], { check: false });
      await new Promise((r) => setTimeout(r, signal === 'TERM' ? 500 : 100));
    }
    const del = await run('ip', ['netns', 'del', name], { check: false });
    if (del.code !== 0) problems.push(`ip netns del ${name}: ${del.stderr.trim()}`);
  }
  return problems;
}

export function listNamespaces(): string[] {
  try {
    return readdirSync('/run/netns');
  } catch {
    return [];
  }
}

/**
 * Namespaces left by a run that was killed outright (SIGKILL leaves no chance to clean up).
 * A live run holds a lock file with its pid; namespaces whose run is gone are removed.
 */
export async function removeStale(isLive: (id: string) => boolean): Promise<string[]> {
  const ids = new Set(
    listNamespaces()
      .filter((n) => n.startsWith(NETNS_PREFIX))
      .map((n) => n.slice(NETNS_PREFIX.length).split('-')[0]!)
      .filter((id) => !isLive(id)),
  );
  const removed: string[] = [];
  for (const id of ids) {
    await destroyNetwork(namespacesFor(id));
    removed.push(id);
  }
  return removed;
}
