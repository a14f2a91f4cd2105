import { join } from 'node:path';
import { loadSutProfile, type SutProfile } from '../../harness/sut/profile';
import { CoreServers } from '../../topology/core-servers';
import { readState, type TopologyState } from '../../topology/state';
import { namespaceOf } from '../../topology/hosts';

/** State shared by every scenario of a run: the topology and the long-running core servers. */
export interface RunContext {
  state: TopologyState;
  profile: SutProfile;
  core: CoreServers;
}

let run: RunContext | undefined;

export function openRun(): RunContext {
  const state = readState();
  const profile = loadSutProfile(state.profileFile);
  run = {
    state,
    profile,
    core: new CoreServers({ netns: (address) => namespaceOf(state, address), addresses: state.addresses.coreServers, port: 5060, evidenceDir: join(state.reportDir, 'core') }),
  };
  return run;
}

export function currentRun(): RunContext | undefined {
  return run;
}
