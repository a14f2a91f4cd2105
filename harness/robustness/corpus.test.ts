import { describe, expect, it } from 'vitest';
import { baseRequest, corpusCounts, generateCorpus } from './corpus';
import { serializeDraft, viewWire } from './draft';
import { GROUPS, MUTATIONS } from './mutations';

const options = { seed: 42, cases: 1200, sbc: { ip: '203.0.113.10', port: 5060 }, numberPrefix: '+3120999', token: 'rbT' };
const local = { ip: '203.0.113.21', port: 31000 };

/** A strict reading of the base requests, independent of the mutations' own checks. */
function wellFormed(data: Buffer): string | undefined {
  const w = viewWire(data);
  if (!/^(INVITE|REGISTER|OPTIONS|BYE) sip:\S+ SIP\/2\.0$/.test(w.startLine)) return `start line ${w.startLine}`;
  for (const name of ['via', 'from', 'to', 'call-id', 'cseq', 'max-forwards', 'content-length']) {
    if (w.headers.filter(([n]) => n.toLowerCase() === name).length !== 1) return `${name} not exactly once`;
  }
  if ([...data.toString('latin1')].some((c) => (c.charCodeAt(0) < 0x20 && c !== '\r' && c !== '\n') || c.charCodeAt(0) > 0x7e)) return 'non-printable byte';
  const cl = Number(w.headers.find(([n]) => n === 'Content-Length')?.[1]);
  if (cl !== Buffer.byteLength(w.body, 'latin1')) return 'Content-Length';
  return undefined;
}

describe('robustness corpus', () => {
  it('is the same for the same seed, byte for byte, and different for another seed', () => {
    const a = generateCorpus(options).map((c) => c.build(local).toString('hex'));
    const b = generateCorpus(options).map((c) => c.build(local).toString('hex'));
    const other = generateCorpus({ ...options, seed: 43 }).map((c) => c.build(local).toString('hex'));
    expect(a).toEqual(b);
    expect(other).not.toEqual(a);
    expect(generateCorpus(options).map((c) => c.id)).toEqual(generateCorpus(options).map((c) => c.id));
  });

  it('covers every group and, past the catalogue size, every mutation', () => {
    const { byGroup, byMutation } = corpusCounts(generateCorpus(options));
    for (const g of GROUPS) expect(byGroup[g] ?? 0).toBeGreaterThan(0);
    for (const m of MUTATIONS) expect(byMutation[`${m.group}/${m.name}`] ?? 0, `${m.group}/${m.name}`).toBeGreaterThan(0);
    const small = corpusCounts(generateCorpus({ ...options, cases: GROUPS.length * 10 })).byGroup;
    for (const g of GROUPS) expect(small[g] ?? 0).toBeGreaterThan(0);
  });

  it('names the transport in Via and Contact', () => {
    const c = generateCorpus(options).find((x) => x.group === 'baseline' && x.method === 'INVITE')!;
    expect(c.build(local, 'tls').toString('latin1')).toMatch(/Via: SIP\/2\.0\/TLS 203\.0\.113\.21:31000;branch=[^;\r]+\r\n[\s\S]*Contact: <sip:caller@203\.0\.113\.21:31000;transport=tls>/);
    expect(c.build(local).toString('latin1')).toMatch(/Via: SIP\/2\.0\/UDP 203\.0\.113\.21:31000;branch=\S+;rport/);
  });

  it('starts every case from a well-formed request', () => {
    for (const method of ['INVITE', 'REGISTER', 'OPTIONS', 'BYE'] as const) {
      const d = baseRequest(method, { sbc: options.sbc, local, number: '+3120999123', callId: 'c@h', branch: 'z9hG4bKx', index: 7 });
      expect(wellFormed(serializeDraft(d)), method).toBeUndefined();
    }
    for (const c of generateCorpus(options).filter((x) => x.group === 'baseline')) expect(wellFormed(c.build(local)), c.id).toBeUndefined();
  });

  it('malforms every mutated case the way it claims, and the unmutated base does not show that fault', () => {
    const byName = new Map(MUTATIONS.map((m) => [m.name, m]));
    for (const c of generateCorpus(options).filter((x) => x.group !== 'baseline')) {
      const m = byName.get(c.mutation)!;
      const data = c.build(local);
      expect(m.holds(data), `${c.id}: ${c.claim}`).toBe(true);
      expect(m.holds(c.build(local, 'tls')), `${c.id} over TLS: ${c.claim}`).toBe(true);
      expect(c.callerFault).toBe(true);
    }
    for (const m of MUTATIONS) {
      for (const method of (['INVITE', 'REGISTER', 'OPTIONS', 'BYE'] as const).filter((x) => !m.methods || m.methods.includes(x))) {
        const base = serializeDraft(baseRequest(method, { sbc: options.sbc, local, number: '+3120999123', callId: 'c@h', branch: 'z9hG4bKx', index: 7 }));
        expect(m.holds(base), `${m.name} on an unmutated ${method}`).toBe(false);
      }
    }
  });

  it('fits every case in a UDP datagram and numbers the cases uniquely', () => {
    const cases = generateCorpus(options);
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
    expect(new Set(cases.map((c) => c.number)).size).toBe(cases.length);
    for (const c of cases) expect(c.build(local).length).toBeLessThanOrEqual(65_507);
  });

  it('refuses a bad case count or seed with the field named', () => {
    expect(() => generateCorpus({ ...options, cases: 0 })).toThrow(/cases must be a positive integer/);
    expect(() => generateCorpus({ ...options, seed: 1.5 })).toThrow(/seed must be an integer/);
  });
});
