import { run } from '../harness/util/process';
import type { SutHost } from '../harness/sut/lifecycle';
import { netnsExec } from '../harness/sut/probe';
import type { SutProfile } from '../harness/sut/profile';
import type { AddressPlan } from './addresses';
import type { Namespaces } from './netns';
import type { TopologyState } from './state';

/**
 * How the netns topology presents itself to a SUT: the placeholder values of its profile (every name
 * of harness/sut/placeholders.ts) and the SutHost the lifecycle and the steps use.
 */
export interface TopologyFacts {
  runDir: string;
  repoRoot: string;
  plan: AddressPlan;
  interfaces: { sbcPublic: string; sbcCore: string };
  corePort: number;
  enum: { address: string; port: number; suffix: string };
  db: { host: string; port: number; name: string; user: string; password: string; socketDir: string; url: string; localUrl: string };
  tls: { cert: string; key: string; ca: string };
  /** Absent when the profile brings its own media relay. */
  rtpengine?: { ngHost: string; ngPort: number; publicIf: string; coreIf: string } | undefined;
}

/** The placeholder values for `profile` (PROFILE_DIR is the profile's own directory). */
export function sutVars(f: TopologyFacts, profile: Pick<SutProfile, 'dir'>): Record<string, string> {
  const [c1, c2, c3] = f.plan.coreServers;
  const vars: Record<string, string> = {
    RUN_DIR: f.runDir,
    PROFILE_DIR: profile.dir,
    REPO: f.repoRoot,
    SBC_PUBLIC_IF: f.interfaces.sbcPublic,
    SBC_CORE_IF: f.interfaces.sbcCore,
    PUBLIC_NET: f.plan.publicNet,
    CORE_NET: f.plan.coreNet,
    CORE_SERVER_1: c1!,
    CORE_SERVER_2: c2!,
    CORE_SERVER_3: c3!,
    CORE_SERVER_PORT: String(f.corePort),
    CORE_SERVERS: f.plan.coreServers.map((a) => `${a}:${f.corePort}`).join(' '),
    ENUM_DNS: f.enum.address,
    ENUM_DNS_PORT: String(f.enum.port),
    ENUM_SUFFIX: f.enum.suffix,
    DB_HOST: f.db.host,
    DB_PORT: String(f.db.port),
    DB_NAME: f.db.name,
    DB_USER: f.db.user,
    DB_PASSWORD: f.db.password,
    DB_SOCKET_DIR: f.db.socketDir,
    CDR_DB_URL: f.db.url,
    CDR_DB_LOCAL_URL: f.db.localUrl,
    TLS_CERT: f.tls.cert,
    TLS_KEY: f.tls.key,
    TLS_CA: f.tls.ca,
  };
  if (f.rtpengine) {
    Object.assign(vars, {
      RTPENGINE_NG_HOST: f.rtpengine.ngHost,
      RTPENGINE_NG_PORT: String(f.rtpengine.ngPort),
      RTPENGINE_PUBLIC_IF: f.rtpengine.publicIf,
      RTPENGINE_CORE_IF: f.rtpengine.coreIf,
    });
  }
  return vars;
}

/** Every process in a namespace (`ip netns pids`). */
export async function namespacePids(netns: string): Promise<number[]> {
  const r = await run('ip', ['netns', 'pids', netns], { check: false });
  return r.stdout.split(/\s+/).filter(Boolean).map(Number);
}

/**
 * The SutHost of the netns topology: probes run through `ip netns exec`, a kill reaches every process
 * in the SBC namespace except the topology's rtpengine.
 */
export function netnsSutHost(o: { profile: SutProfile; vars: Record<string, string>; namespaces: Namespaces; keepPids: number[]; logFile?: string | undefined }): SutHost {
  return {
    profile: o.profile,
    vars: o.vars,
    netns: o.namespaces.sbc,
    exec: netnsExec(o.namespaces),
    zonePids: () => namespacePids(o.namespaces.sbc),
    keepPids: o.keepPids,
    logFile: o.logFile,
  };
}

/** The SutHost for a running topology, as another process (cucumber) sees it. */
export function sutHostOf(state: TopologyState, profile: SutProfile): SutHost {
  return netnsSutHost({ profile, vars: state.vars, namespaces: state.namespaces, keepPids: topologyPids(state), logFile: state.sbc.logFile });
}

/**
 * The topology's own processes in the SBC's zone, which a kill of the SUT spares: its rtpengine and,
 * in the compose topology, the SBC container's first process (the container ends with it).
 */
export function topologyPids(state: TopologyState): number[] {
  return [...new Set([state.rtpengine?.pid, state.compose?.containers.sbc?.pid].filter((p): p is number => p !== undefined))];
}
