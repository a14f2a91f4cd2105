import { afterEach, describe, expect, it } from 'vitest';
import { decodeAnswer, DnsError, encodeQuery, queryNaptr } from '../../src/policy/routing/dns-naptr';
import { applyNaptrRegexp, enumDomain, enumTargets, EnumResolver, normaliseE164 } from '../../src/policy/routing/enum-resolver';
import { FakeClock } from '../helpers/fake-clock';
import { answerFor, FakeDnsServer } from '../helpers/fake-dns';

/** OUT-01: numbers to e164.arpa names, NAPTR on the wire, RFC 3402 regexps, order and preference, TTL cache. */
describe('ENUM', () => {
  it('normalises dialled strings to E.164 and names them per RFC 6116', () => {
    expect(normaliseE164('+31 20-123.4567')).toBe('+31201234567');
    expect(normaliseE164('0031201234567')).toBe('+31201234567');
    expect(normaliseE164('0201234567', '31')).toBe('+31201234567');
    expect(normaliseE164('0201234567')).toBeUndefined();
    expect(normaliseE164('alice')).toBeUndefined();
    expect(normaliseE164('+1234567890123456')).toBeUndefined();
    expect(enumDomain('+31201234567')).toBe('7.6.5.4.3.2.1.0.2.1.3.e164.arpa');
    expect(enumDomain('+4930', 'e164.example.')).toBe('0.3.9.4.e164.example');
  });

  it('applies RFC 3402 substitution expressions with any delimiter, escapes, back-references and the i flag', () => {
    expect(applyNaptrRegexp('!^.*$!sip:info@example.com!', '+31201234567')).toBe('sip:info@example.com');
    expect(applyNaptrRegexp('!^\\+(31)(.*)$!sip:0\\2@gw.example;user=phone!', '+31201234567')).toBe('sip:0201234567@gw.example;user=phone');
    expect(applyNaptrRegexp('/^\\+(.*)$/sip:\\1@a\\/b.example/', '+4930')).toBe('sip:4930@a/b.example');
    expect(applyNaptrRegexp('!^\\+4!sip:x@y!', '+31')).toBeUndefined();
    expect(applyNaptrRegexp('!^.*$!sip:x@y!g', '+31')).toBeUndefined();
    expect(applyNaptrRegexp('!^.*$!sip:x@y', '+31')).toBeUndefined();
    expect(applyNaptrRegexp('1^.*1sip:x@y1', '+31')).toBeUndefined();
    expect(applyNaptrRegexp('!^A.*$!sip:x@y!i', 'abc')).toBe('sip:x@y');
  });

  it('keeps terminal E2U+sip records, sorted by order then preference', () => {
    const r = (order: number, preference: number, uri: string, extra: Partial<{ service: string; flags: string }> = {}) => ({
      order, preference, flags: extra.flags ?? 'u', service: extra.service ?? 'E2U+sip', regexp: `!^.*$!${uri}!`, replacement: '', ttl: 60,
    });
    const targets = enumTargets([
      r(20, 10, 'sip:c@h'), r(10, 20, 'sip:b@h'), r(10, 10, 'sip:a@h'), r(5, 5, 'mailto:x@h', { service: 'E2U+email:mailto' }),
      r(1, 1, 'sip:nonterminal@h', { flags: '' }), r(30, 1, 'sips:d@h', { service: 'e2u+SIP' }),
    ], '+31');
    expect(targets.map((t) => t.uri)).toEqual(['sip:a@h', 'sip:b@h', 'sip:c@h', 'sips:d@h']);
  });

  it('encodes a query and decodes answers with compressed names, NXDOMAIN with the SOA minimum as TTL', () => {
    const q = encodeQuery(0x1234, '7.6.5.e164.arpa');
    const a = decodeAnswer(answerFor(q, [{ order: 10, preference: 20, regexp: '!^.*$!sip:x@h!', ttl: 42 }]), 0x1234);
    expect(a).toEqual({ records: [{ order: 10, preference: 20, flags: 'u', service: 'E2U+sip', regexp: '!^.*$!sip:x@h!', replacement: '', ttl: 42 }], ttl: 42 });
    expect(decodeAnswer(answerFor(q, undefined, { negativeTtl: 7 }), 0x1234)).toEqual({ records: [], ttl: 7 });
    expect(() => decodeAnswer(answerFor(q, undefined, { rcode: 2 }), 0x1234)).toThrow(DnsError);
    expect(() => decodeAnswer(answerFor(q, undefined), 0x9999)).toThrow(DnsError);
  });

  describe('over UDP', () => {
    const dns = new FakeDnsServer();
    afterEach(() => {
      dns.close();
      dns.silent = false;
    });

    it('queries a server and gives up with DnsError after the configured tries of a silent one', async () => {
      const port = await dns.start();
      dns.zone.set('7.6.5.e164.arpa', [{ order: 1, preference: 1, regexp: '!^.*$!sip:x@h!' }]);
      const a = await queryNaptr({ address: '127.0.0.1', port }, '7.6.5.e164.arpa', { timeoutMs: 200, attempts: 1 });
      expect(a.records).toHaveLength(1);
      dns.silent = true;
      const started = Date.now();
      await expect(queryNaptr({ address: '127.0.0.1', port }, '7.6.5.e164.arpa', { timeoutMs: 100, attempts: 2 })).rejects.toThrow(DnsError);
      expect(Date.now() - started).toBeLessThan(1000);
      expect(dns.queries).toHaveLength(3);
    });
  });

  it('caches answers for their TTL (negative ones too) and shares a query between concurrent look-ups', async () => {
    const clock = new FakeClock();
    let queries = 0;
    const resolver = new EnumResolver({
      server: { address: '127.0.0.1', port: 53 }, suffix: 'e164.arpa', timeoutMs: 100, attempts: 1, maxCacheS: 3600, clock,
      query: async (_s, name) => {
        queries++;
        return name.startsWith('1.')
          ? { records: [{ order: 1, preference: 1, flags: 'u', service: 'E2U+sip', regexp: '!^.*$!sip:a@h!', replacement: '', ttl: 60 }], ttl: 60 }
          : { records: [], ttl: 10 };
      },
    });
    const [a, b] = await Promise.all([resolver.resolve('+31'), resolver.resolve('+31')]);
    expect(a).toEqual(b);
    expect(queries).toBe(1);
    clock.advance(59_000);
    await resolver.resolve('+31');
    expect(queries).toBe(1);
    clock.advance(2000);
    await resolver.resolve('+31');
    expect(queries).toBe(2);
    expect(await resolver.resolve('+32')).toEqual([]);
    clock.advance(5000);
    await resolver.resolve('+32');
    expect(queries).toBe(3);
    clock.advance(6000);
    await resolver.resolve('+32');
    expect(queries).toBe(4);
  });
});
