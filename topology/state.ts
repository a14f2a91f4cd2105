import { readFileSync } from 'node:fs';
import type { AddressPlan } from './addresses';
import type { EnumDnsInfo } from './services/knot';
import type { Namespaces } from './netns';
import type { TestPki } from './certs';

/**
 * What a running topology looks like to the processes that use it (cucumber runs in another process,
 * inside the public namespace): serialisable, written to `<runDir>/topology.json`.
 */
export interface TopologyState {
  /** netns: namespaces made for the run; compose: containers, their namespaces attached in the runner. */
  provider: 'netns' | 'compose';
  runId: string;
  runDir: string;
  /** Where scenario evidence goes: reports/<run-id>/. */
  reportDir: string;
  namespaces: Namespaces;
  addresses: AddressPlan;
  profileFile: string;
  /** Values for the SUT profile's placeholders. */
  vars: Record<string, string>;
  enumDns: EnumDnsInfo;
  postgres: { localUrl: string; url: string; socketDir: string; dataDir: string; serverOptions: string[]; logFile: string };
  pki: TestPki;
  sbc: { pid?: number; logFile?: string };
  /** The topology's rtpengine in the SBC namespace; absent when the profile brings its own media relay. */
  rtpengine?: { pid?: number | undefined };
  /**
   * The compose topology: every host is a container with its own namespace (attached under the name
   * given here inside the runner container), so the core zone is several namespaces, one per address.
   */
  compose?: {
    /** Host address to the name of its namespace (topology/hosts.ts). */
    namespaceOf: Record<string, string>;
    /** Service name to its container and that container's first process (a host pid). */
    containers: Record<string, { name: string; pid: number }>;
    /** The container the features run in (the public zone). */
    runner: string;
    /**
     * The core-zone capture, in the engine's host namespace (namespaces.core): every interface, each
     * core packet once, where it leaves a container (`inbound` on the host's end of its veth).
     */
    coreCapture: { interface: string; filter: string };
  };
}

export const STATE_ENV = 'SBCX_TOPOLOGY';

export function readState(file = process.env[STATE_ENV]): TopologyState {
  if (!file) throw new Error(`no topology: ${STATE_ENV} is not set (run the features through 'npm test' or 'npm run certify')`);
  return JSON.parse(readFileSync(file, 'utf8')) as TopologyState;
}
