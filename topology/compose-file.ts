import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ADDRESSES, type AddressPlan } from './addresses';

/**
 * docker-compose.yml as the compose provider reads it: the zones (networks), the hosts (services) and
 * their addresses. The provider starts exactly what the file says (no Compose binary is needed), so the
 * file is checked against the address plan every provider shares before anything starts.
 */
export interface ComposeService {
  name: string;
  image: string;
  build?: { context: string; target: string; args: Record<string, string> };
  /** Network name to the service's fixed address, in the file's order (the first is the container's eth0). */
  networks: [string, string][];
  privileged: boolean;
  capAdd: string[];
  securityOpt: string[];
  pidHost: boolean;
  init: boolean;
  sysctls: Record<string, string>;
  volumes: string[];
  workingDir?: string;
}

export interface ComposeNetwork {
  name: string;
  subnet: string;
  internal: boolean;
}

export interface ComposeFile {
  networks: ComposeNetwork[];
  services: ComposeService[];
}

export class ComposeFileError extends Error {
  constructor(file: string, problems: string[]) {
    super(`${file}: ${problems.join('; ')}`);
    this.name = 'ComposeFileError';
  }
}

type Raw = Record<string, unknown>;
const obj = (v: unknown): Raw => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : {});

/** `${NAME}`, `${NAME:-default}` and `${NAME:?message}` as Compose interpolates them. */
export function interpolate(text: string, env: Record<string, string | undefined>): string {
  return text.replace(/\$\{([A-Z0-9_]+)(?::([-?])([^}]*))?\}/g, (_, name: string, op: string | undefined, arg: string | undefined) => {
    const value = env[name];
    if (value !== undefined && value !== '') return value;
    if (op === '?') throw new Error(`\${${name}} is not set: ${arg ?? ''}`);
    return op === '-' ? (arg ?? '') : '';
  });
}

export function readComposeFile(file: string, env: Record<string, string | undefined>): ComposeFile {
  let data: Raw;
  try {
    data = obj(parse(interpolate(readFileSync(file, 'utf8'), env), { merge: true }));
  } catch (err) {
    throw new ComposeFileError(file, [(err as Error).message]);
  }
  const problems: string[] = [];
  const networks: ComposeNetwork[] = Object.entries(obj(data.networks)).map(([name, raw]) => {
    const n = obj(raw);
    const config = obj(n.ipam).config;
    const subnet = Array.isArray(config) ? String(obj(config[0]).subnet ?? '') : '';
    if (!subnet) problems.push(`networks.${name}: no ipam subnet (every zone has a fixed subnet)`);
    return { name, subnet, internal: n.internal === true };
  });
  const services: ComposeService[] = Object.entries(obj(data.services)).map(([name, raw]) => {
    const s = obj(raw);
    // The short form (a list of names) gives no address: every entry then lacks its ipv4_address.
    const nets: Raw = Array.isArray(s.networks) ? Object.fromEntries(s.networks.map((n) => [String(n), {}])) : obj(s.networks);
    if (Object.keys(nets).length === 0) problems.push(`services.${name}.networks: none (every host is on a zone network)`);
    const build = obj(s.build);
    if (typeof s.image !== 'string') problems.push(`services.${name}.image: missing`);
    const service: ComposeService = {
      name,
      image: String(s.image),
      networks: Object.entries(nets).map(([net, v]) => {
        const address = obj(v).ipv4_address;
        if (typeof address !== 'string') problems.push(`services.${name}.networks.${net}.ipv4_address: missing (every host has its plan address)`);
        if (!networks.some((n) => n.name === net)) problems.push(`services.${name}.networks.${net}: no such network`);
        return [net, String(address)];
      }),
      privileged: s.privileged === true,
      capAdd: Array.isArray(s.cap_add) ? s.cap_add.map(String) : [],
      securityOpt: Array.isArray(s.security_opt) ? s.security_opt.map(String) : [],
      pidHost: s.pid === 'host',
      init: s.init === true,
      sysctls: Object.fromEntries(Object.entries(obj(s.sysctls)).map(([k, v]) => [k, String(v)])),
      volumes: Array.isArray(s.volumes) ? s.volumes.map(String) : [],
      ...(typeof s.working_dir === 'string' ? { workingDir: s.working_dir } : {}),
    };
    if (typeof build.target === 'string') {
      service.build = {
        context: String(build.context ?? '.'),
        target: build.target,
        args: Object.fromEntries(Object.entries(obj(build.args)).map(([k, v]) => [k, String(v)])),
      };
    }
    return service;
  });
  if (problems.length) throw new ComposeFileError(file, problems);
  return { networks, services };
}

/** Where each host of the plan must be, by service name: what the provider checks the file against. */
export function expectedHosts(plan: AddressPlan = ADDRESSES): Record<string, string[]> {
  return {
    runner: [plan.publicHosts[0]!],
    sbc: [plan.sbcPublic, plan.sbcCore],
    ...Object.fromEntries(plan.coreServers.map((a, i) => [`core${i + 1}`, [a]])),
    'enum-dns': [plan.enumDns],
    postgres: [plan.postgres],
  };
}

/**
 * The problems of `f` against the address plan: a missing host, a host at another address, a zone with
 * another subnet, a core zone that is not internal. Empty when the file builds the plan's topology.
 */
export function planProblems(f: ComposeFile, plan: AddressPlan = ADDRESSES): string[] {
  const problems: string[] = [];
  const net = (name: string): ComposeNetwork | undefined => f.networks.find((n) => n.name === name);
  if (net('public')?.subnet !== plan.publicNet) problems.push(`network public: subnet ${net('public')?.subnet ?? '(none)'}, the plan's is ${plan.publicNet}`);
  if (net('core')?.subnet !== plan.coreNet) problems.push(`network core: subnet ${net('core')?.subnet ?? '(none)'}, the plan's is ${plan.coreNet}`);
  if (net('core') && !net('core')!.internal) problems.push('network core: not internal (the core zone has no way out but the SBC)');
  for (const [name, addresses] of Object.entries(expectedHosts(plan))) {
    const s = f.services.find((x) => x.name === name);
    if (!s) {
      problems.push(`service ${name}: missing`);
      continue;
    }
    const has = s.networks.map(([, a]) => a);
    if (has.join(' ') !== addresses.join(' ')) problems.push(`service ${name}: addresses ${has.join(', ') || '(none)'}, the plan's are ${addresses.join(', ')}`);
  }
  return problems;
}
