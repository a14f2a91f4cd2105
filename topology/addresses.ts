/**
 * The address plan of DESIGN.md, the same in every provider. Scenarios and profiles refer to hosts by
 * these names, never by literal addresses, so a provider may move them (the loopback provider does).
 */
export interface AddressPlan {
  publicNet: string;
  coreNet: string;
  sbcPublic: string;
  sbcCore: string;
  /** Public-side hosts: callers, carriers, devices (203.0.113.20-59). */
  publicHosts: string[];
  attacker: string;
  coreServers: string[];
  enumDns: string;
  postgres: string;
}

function range(prefix: string, from: number, to: number): string[] {
  const out: string[] = [];
  for (let i = from; i <= to; i++) out.push(`${prefix}${i}`);
  return out;
}

export const ADDRESSES: Readonly<AddressPlan> = Object.freeze({
  publicNet: '203.0.113.0/24',
  coreNet: '10.20.0.0/24',
  sbcPublic: '203.0.113.10',
  sbcCore: '10.20.0.10',
  publicHosts: range('203.0.113.', 20, 59),
  attacker: '203.0.113.66',
  coreServers: ['10.20.0.21', '10.20.0.22', '10.20.0.23'],
  enumDns: '10.20.0.53',
  postgres: '10.20.0.54',
});

/** Every address of the core zone, for the isolation and topology-hiding checks. */
export function coreAddresses(plan: AddressPlan = ADDRESSES): string[] {
  return [plan.sbcCore, ...plan.coreServers, plan.enumDns, plan.postgres];
}
