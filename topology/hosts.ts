import { join } from 'node:path';
import { REPO_ROOT } from './paths';
import type { TopologyState } from './state';

/**
 * Where a host of the topology runs its processes, whatever the provider: the name of its network
 * namespace, for `ip netns exec` (the `netns:` option of run/start). The netns provider has one
 * namespace per zone; the compose provider one per container, attached by name in the runner.
 */
export function namespaceOf(state: TopologyState, address: string): string {
  const own = state.compose?.namespaceOf[address];
  if (own) return own;
  const { addresses: a, namespaces: ns } = state;
  if (address === a.sbcPublic || address === a.sbcCore) return ns.sbc;
  if (a.publicHosts.includes(address) || address === a.attacker) return ns.pub;
  if ([...a.coreServers, a.enumDns, a.postgres].includes(address)) return ns.core;
  throw new Error(`${address} is no host of the topology`);
}

/** The runner of the compose topology, inside its container (it attaches the namespaces first). */
export const COMPOSE_RUNNER = join(REPO_ROOT, 'topology', 'compose-runner.ts');

/**
 * The command that runs the features (`argv`: node and cucumber's arguments) in the public zone: in the
 * public namespace, or in the compose topology's runner container with the variables named in `pass`.
 */
export function featuresCommand(state: TopologyState, argv: string[], pass: Record<string, string>): [string, string[]] {
  if (state.provider === 'netns' || !state.compose) return ['ip', ['netns', 'exec', state.namespaces.pub, ...argv]];
  const env = Object.entries(pass).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  // The runner's own node replaces the host's (argv[0]): the image carries its own.
  return ['docker', ['exec', ...env, '-w', REPO_ROOT, state.compose.runner, 'node', '--import', 'tsx', COMPOSE_RUNNER, '--', ...argv.slice(1)]];
}
