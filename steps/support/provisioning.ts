import { provision, type ProvisionName } from '../../harness/sut/provision';
import type { SbcWorld } from '../world';

/** Runs a provisioning action; undefined when the profile cannot do it (the step is then skipped). */
export async function provisionIp(world: SbcWorld, action: ProvisionName, ip: string): Promise<boolean> {
  const outcome = await provision(world.ctx.profile, action, { ip }, { vars: world.ctx.state.vars, netns: world.ctx.state.namespaces.sbc });
  if (!outcome) {
    world.notes.push(`the SUT profile has no provision.${action}: not run`);
    return false;
  }
  world.notes.push(`provision.${action}: ${outcome.ran} -> ${outcome.status}`);
  return true;
}

/** Unblocks `ip` after the scenario, whatever happened, so no block leaks into later scenarios. */
export function unblockAtEnd(world: SbcWorld, ip: string): void {
  world.onScenarioEnd(async () => {
    await provisionIp(world, 'unblockIp', ip);
  });
}
