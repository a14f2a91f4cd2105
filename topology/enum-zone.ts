/**
 * The e164.arpa zone the topology's DNS server answers from, generated from scenario data
 * (RFC 6116: +31 20 1234567 -> 7.6.5.4.3.2.1.0.2.1.3.e164.arpa).
 */
export interface EnumRecord {
  /** E.164 number, with or without the leading '+'. */
  number: string;
  order: number;
  preference: number;
  /** NAPTR flags: 'u' for a terminal E2U record. */
  flags?: string;
  service?: string;
  /** The replacement URI; the regexp becomes `!^.*$!<uri>!`. */
  uri?: string;
  /** A full NAPTR regexp, when a test needs one other than the catch-all. */
  regexp?: string;
}

export function e164ToDomain(number: string, suffix = 'e164.arpa'): string {
  const digits = number.replace(/^\+/, '');
  if (!/^[0-9]{1,15}$/.test(digits)) throw new Error(`not an E.164 number: ${JSON.stringify(number)}`);
  return `${[...digits].reverse().join('.')}.${suffix}`;
}

function quote(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function renderZone(records: EnumRecord[], o: { serial: number; nsAddress: string; suffix?: string; ttl?: number }): string {
  const suffix = o.suffix ?? 'e164.arpa';
  const ttl = o.ttl ?? 60;
  const lines = [
    `$ORIGIN ${suffix}.`,
    `$TTL ${ttl}`,
    `@ IN SOA ns1.${suffix}. hostmaster.${suffix}. ${o.serial} 3600 600 86400 ${ttl}`,
    `@ IN NS ns1.${suffix}.`,
    `ns1 IN A ${o.nsAddress}`,
  ];
  for (const r of records) {
    if (!r.regexp && !r.uri) throw new Error(`ENUM record for ${r.number} needs a uri or a regexp`);
    const regexp = r.regexp ?? `!^.*$!${r.uri}!`;
    lines.push(
      `${e164ToDomain(r.number, suffix)}. IN NAPTR ${r.order} ${r.preference} ${quote(r.flags ?? 'u')} ${quote(r.service ?? 'E2U+sip')} ${quote(regexp)} .`,
    );
  }
  return `${lines.join('\n')}\n`;
}
