import { describe, expect, it } from 'vitest';
import { parseSutProfile, substitute, SutProfileError } from './profile';

const minimal = `
name: x
sbc:
  public: { address: 203.0.113.10, tls: 5061 }
  core: { address: 10.20.0.10 }
`;

describe('SUT profile', () => {
  it('accepts a minimal profile and fills defaults', () => {
    const p = parseSutProfile(minimal, 'x.yaml');
    expect(p.sbc.public.udp).toBe(5060);
    expect(p.sbc.public.tls).toBe(5061);
    expect(p.sbc.core.tls).toBeUndefined();
    expect(p.provision).toEqual({});
  });

  it('names the field that is wrong', () => {
    const bad = minimal.replace('203.0.113.10', 'not-an-ip');
    expect(() => parseSutProfile(bad, 'bad.yaml')).toThrow(/sbc\.public\.address: expected an IPv4 address/);
  });

  it('rejects unknown fields (a typo is not silently ignored)', () => {
    const bad = `${minimal}cdrs: {}\n`;
    try {
      parseSutProfile(bad, 'bad.yaml');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(SutProfileError);
      expect((err as Error).message).toMatch(/Unrecognized key.*cdrs/);
    }
  });

  it('reports YAML syntax errors with the file name', () => {
    expect(() => parseSutProfile('name: [', 'broken.yaml')).toThrow(/broken\.yaml[\s\S]*not valid YAML/);
  });

  it('substitutes placeholders and refuses unknown ones', () => {
    expect(substitute('${A}/x', { A: '/run' }, 'here')).toBe('/run/x');
    expect(() => substitute('${B}', { A: '1' }, 'start.command')).toThrow(/start\.command: unknown placeholder \$\{B\}/);
  });
});
