/** IPv4 literals and CIDR membership, for telling core and public addresses apart in evidence. */

export function ipv4ToInt(a: string): number | undefined {
  const parts = a.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

/** Whether `address` lies in `cidr` ('10.20.0.0/24'; a bare address is a /32). False for anything not IPv4. */
export function inNet(address: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const a = ipv4ToInt(address);
  const b = ipv4ToInt(base ?? '');
  const len = Number(bits ?? 32);
  if (a === undefined || b === undefined || !(Number.isInteger(len) && len >= 0 && len <= 32)) return false;
  const size = 2 ** (32 - len);
  return Math.floor(a / size) === Math.floor(b / size);
}

export function inAnyNet(address: string, nets: string[]): boolean {
  return nets.some((net) => inNet(address, net));
}
