import { describe, expect, it } from 'vitest';
import { Blocklist, entryView } from '../src/policy/security/blocklist';
import { CidrMap, cidrSet, enclosingCidr, ipv4ToNumber, parseCidr } from '../src/policy/security/cidr';
import { validateConfig } from '../src/config';
import { zoneGuardFromConfig } from '../src/policy/security/zone-guard';

describe('CIDR', () => {
  it('parses addresses as /32 and ranges canonically', () => {
    expect(parseCidr('203.0.113.66').text).toBe('203.0.113.66/32');
    expect(parseCidr(' 198.51.100.0/24 ').text).toBe('198.51.100.0/24');
    expect(parseCidr('0.0.0.0/0').prefix).toBe(0);
    expect(enclosingCidr('10.20.0.10', 24).text).toBe('10.20.0.0/24');
  });

  it.each(['10.0.0.5/24', '256.1.1.1', '1.2.3', '1.2.3.4/33', '01.2.3.4', '::1', 'example.org', '1.2.3.4/8/1', ''])('refuses %j', (text) => {
    expect(() => parseCidr(text)).toThrow();
  });

  it('reads IPv4-mapped IPv6 sources as IPv4 and nothing else', () => {
    expect(ipv4ToNumber('::ffff:203.0.113.66')).toBe(ipv4ToNumber('203.0.113.66'));
    expect(ipv4ToNumber('2001:db8::1')).toBeUndefined();
  });

  it('matches by range, most specific first, at the edges of each range', () => {
    const m = new CidrMap<string>();
    m.set(parseCidr('10.0.0.0/8'), 'wide');
    m.set(parseCidr('10.20.0.0/24'), 'narrow');
    m.set(parseCidr('10.20.0.7'), 'host');
    expect([...m.matches(ipv4ToNumber('10.20.0.7')!)]).toEqual(['host', 'narrow', 'wide']);
    expect([...m.matches(ipv4ToNumber('10.20.0.255')!)]).toEqual(['narrow', 'wide']);
    expect([...m.matches(ipv4ToNumber('10.21.0.0')!)]).toEqual(['wide']);
    expect([...m.matches(ipv4ToNumber('11.0.0.0')!)]).toEqual([]);
    expect([...m.matches(ipv4ToNumber('9.255.255.255')!)]).toEqual([]);
    m.delete(parseCidr('10.0.0.0/8'));
    expect(m.contains('10.21.0.0')).toBe(false);
    expect(cidrSet(['0.0.0.0/0']).contains('255.255.255.255')).toBe(true);
    expect(cidrSet(['192.0.2.0/31']).contains('192.0.2.1')).toBe(true);
    expect(cidrSet(['192.0.2.0/31']).contains('192.0.2.2')).toBe(false);
  });
});

describe('Blocklist', () => {
  function clocked(): { list: Blocklist; advance(ms: number): void } {
    let now = 1_000_000;
    return { list: new Blocklist({ now: () => now }), advance: (ms) => (now += ms) };
  }

  it('blocks an address and every address of a range', () => {
    const { list } = clocked();
    list.add('api', { address: '203.0.113.66' });
    list.add('config', { address: '198.51.100.0/24' });
    expect(list.blocking('203.0.113.66')?.source).toBe('api');
    expect(list.blocking('203.0.113.67')).toBeUndefined();
    expect(list.blocking('198.51.100.200')?.source).toBe('config');
    expect(list.blocking('not an address')).toBeUndefined();
  });

  it('lets an entry expire at its time and sweeps it out', () => {
    const { list, advance } = clocked();
    list.add('flood', { address: '203.0.113.66', expiresInMs: 60_000, reason: 'flood' });
    advance(59_999);
    expect(list.blocking('203.0.113.66')).toBeDefined();
    advance(1);
    expect(list.blocking('203.0.113.66')).toBeUndefined();
    expect(list.list()).toEqual([]);
    list.add('flood', { address: '203.0.113.67', expiresInMs: 10 });
    advance(10);
    expect(list.sweep()).toBe(1);
  });

  it('keeps each source apart: a refresh of one leaves the others, removal takes all', () => {
    const { list } = clocked();
    list.add('api', { address: '203.0.113.66' });
    list.replaceSource('db', [{ address: '203.0.113.66' }, { address: '192.0.2.0/24' }, { address: 'garbage' }]);
    expect(list.list().map((e) => `${e.cidr.text} ${e.source}`)).toEqual(['192.0.2.0/24 db', '203.0.113.66/32 api', '203.0.113.66/32 db']);
    expect(list.replaceSource('db', [])).toEqual([]);
    expect(list.blocking('203.0.113.66')?.source).toBe('api');
    expect(list.blocking('192.0.2.1')).toBeUndefined();
    list.add('flood', { address: '203.0.113.66', expiresInMs: 1000 });
    expect(list.remove('203.0.113.66').sort()).toEqual(['api', 'flood']);
    expect(list.blocking('203.0.113.66')).toBeUndefined();
    expect(list.remove('203.0.113.66')).toEqual([]);
  });

  it('shows entries as the admin API lists them', () => {
    const { list } = clocked();
    const host = entryView(list.add('flood', { address: '203.0.113.66', expiresInMs: 1000, reason: 'r' }));
    expect(host).toEqual({ address: '203.0.113.66', source: 'flood', addedAt: new Date(1_000_000).toISOString(), expiresAt: new Date(1_001_000).toISOString(), reason: 'r' });
    expect(entryView(list.add('config', { address: '192.0.2.0/24' }))).toMatchObject({ address: '192.0.2.0/24', expiresAt: null });
  });
});

describe('security configuration', () => {
  const base = {
    zones: { public: { address: '203.0.113.10', udp: 5060 }, core: { address: '10.20.0.10', udp: 5060 } },
    coreServers: [{ host: '10.20.0.21' }],
    admin: { socket: '/tmp/x.sock' },
  };

  it('has safe defaults: flood guard on, scanners dropped and banned, no banner', () => {
    const c = validateConfig(base);
    expect(c.security.flood).toMatchObject({ enabled: true, windowMs: 2000, maxRequests: 200, banS: 60 });
    expect(c.security.scanners.userAgents).toContain('friendly-scanner');
    expect(c.security.scanners.banS).toBeGreaterThan(0);
    expect(c.security.serverHeader).toBeUndefined();
    expect(c.security.blocklist).toEqual([]);
  });

  it('names a bad address in the block list or the zone sources', () => {
    expect(() => validateConfig({ ...base, security: { blocklist: ['203.0.113.5/24'] } })).toThrow(/security\.blocklist\.0: expected IPv4 address or CIDR/);
    expect(() => validateConfig({ ...base, zones: { ...base.zones, core: { ...base.zones.core, allowedSources: ['core'] } } })).toThrow(/zones\.core\.allowedSources\.0/);
    expect(() => validateConfig({ ...base, security: { serverHeader: 'x\r\ny' } })).toThrow(/serverHeader/);
  });

  it('the zone guard: core reads the core servers and its /24, public refuses the core servers and the core address', () => {
    const g = zoneGuardFromConfig(validateConfig(base));
    expect(g.admits('core', '10.20.0.21')).toBe(true);
    expect(g.admits('core', '10.20.0.99')).toBe(true);
    expect(g.admits('core', '203.0.113.66')).toBe(false);
    expect(g.admits('public', '203.0.113.66')).toBe(true);
    expect(g.admits('public', '10.20.0.21')).toBe(false);
    expect(g.admits('public', '10.20.0.10')).toBe(false);
    const strict = zoneGuardFromConfig(validateConfig({
      ...base,
      zones: { public: { ...base.zones.public, deniedSources: ['10.0.0.0/8'] }, core: { ...base.zones.core, allowedSources: ['10.20.0.21'] } },
    }));
    expect(strict.admits('core', '10.20.0.99')).toBe(false);
    expect(strict.admits('public', '10.99.0.1')).toBe(false);
  });
});
