import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The SBC namespace's resolver. `ip netns exec <ns>` bind-mounts every file of /etc/netns/<ns>/ over
 * its /etc counterpart (the iproute2 convention), so an SBC that resolves through the system resolver
 * (getaddrinfo, res_query: Kamailio's enum module does) asks the topology's DNS, not the host's.
 * Removed at teardown, and by the stale-run cleanup for a run killed outright.
 */
export const NETNS_ETC = '/etc/netns';

export function resolverDir(netns: string, root = NETNS_ETC): string {
  return join(root, netns);
}

/** Writes /etc/netns/<netns>/resolv.conf naming only `nameserver` (no search domain, short timeouts). */
export function writeNetnsResolver(netns: string, nameserver: string, root = NETNS_ETC): string {
  const dir = resolverDir(netns, root);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'resolv.conf');
  writeFileSync(file, `# written by sbc-certify for this run's namespace ${netns}; removed at teardown\nnameserver ${nameserver}\noptions timeout:1 attempts:2\n`);
  return file;
}

/** Removes what writeNetnsResolver wrote (the whole per-namespace directory, which only it creates). */
export function removeNetnsResolver(netns: string, root = NETNS_ETC): void {
  rmSync(resolverDir(netns, root), { recursive: true, force: true });
}

/** Per-namespace directories of this suite's namespaces (prefix) whose run is gone. */
export function staleResolvers(prefix: string, isLive: (id: string) => boolean, root = NETNS_ETC): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root).filter((n) => n.startsWith(prefix) && !isLive(n.slice(prefix.length).split('-')[0]!));
}
