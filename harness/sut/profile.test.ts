import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
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

describe('SUT profile placeholders and paths', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sut-profile-'));
    mkdirSync(join(dir, 'conf'));
    writeFileSync(join(dir, 'conf', 'main.cfg'), 'listen ${SBC_PUBLIC_IF}\nrtp ${RTPENGINE_NG_HOST}:${RTPENGINE_NG_PORT}\n');
    writeFileSync(join(dir, 'conf', 'peers.list'), 'peer ${CORE_SERVER_1}:${CORE_SERVER_PORT}\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const withStart = (extra: string): string => `${minimal}
start:
  command: [sbcd, -f, "\${RUN_DIR}/main.cfg"]
  config:
    - { template: conf/main.cfg, path: "\${RUN_DIR}/main.cfg" }
    - { template: conf/peers.list, path: "\${RUN_DIR}/peers.list" }
  ready: { sipOptions: { zone: public } }
${extra}`;

  it('resolves template and SQL paths relative to the profile file, with several templates', () => {
    const p = parseSutProfile(withStart('database: { sql: [conf/schema.sql] }'), join(dir, 'profile.yaml'));
    expect(p.dir).toBe(dir);
    expect(p.start?.config.map((c) => c.template)).toEqual([join(dir, 'conf', 'main.cfg'), join(dir, 'conf', 'peers.list')]);
    expect(p.start?.config[0]?.path).toBe('${RUN_DIR}/main.cfg');
    expect(p.database).toEqual({ sql: [join(dir, 'conf', 'schema.sql')] });
    expect(p.start?.ready).toEqual({ sipOptions: { zone: 'public' }, timeoutMs: 20000 });
  });

  it('refuses an unknown placeholder in a field, naming the field', () => {
    const text = withStart('provision: { blockIp: { shell: "ban ${ip} ${BAN_TIME}" } }').replace('"${RUN_DIR}/main.cfg"]', '"${RUNDIR}/main.cfg"]');
    expect(() => parseSutProfile(text, join(dir, 'p.yaml'))).toThrow(/start\.command\.2: unknown placeholder \$\{RUNDIR\}[\s\S]*provision\.blockIp\.shell: unknown placeholder \$\{BAN_TIME\}/);
  });

  it('allows an action only its own values (${user} is not a value of blockIp)', () => {
    expect(() => parseSutProfile(`${minimal}provision: { blockIp: { shell: "ban \${user}" } }`, join(dir, 'p.yaml'))).toThrow(/provision\.blockIp\.shell: unknown placeholder \$\{user\}/);
    expect(parseSutProfile(`${minimal}provision: { addUser: { shell: "add \${user} \${password}" } }`, join(dir, 'p.yaml')).provision.addUser).toBeDefined();
  });

  it('refuses an unknown placeholder inside a template, with the file and line', () => {
    writeFileSync(join(dir, 'conf', 'peers.list'), 'peer ${CORE_SERVER_1}\npeer ${CORE_SERVER_9}\n');
    expect(() => parseSutProfile(withStart(''), join(dir, 'p.yaml'))).toThrow(new RegExp(`start\\.config\\.1\\.template \\(${join(dir, 'conf', 'peers.list')}:2\\): unknown placeholder \\$\\{CORE_SERVER_9\\}`));
  });

  it('refuses a template that cannot be read', () => {
    rmSync(join(dir, 'conf', 'main.cfg'));
    expect(() => parseSutProfile(withStart(''), join(dir, 'p.yaml'))).toThrow(/start\.config\.0\.template: cannot read .*main\.cfg: ENOENT/);
  });

  it('has no rtpengine placeholders for a profile that brings its own media relay', () => {
    expect(() => parseSutProfile(withStart('media: { relay: own }'), join(dir, 'p.yaml'))).toThrow(/unknown placeholder \$\{RTPENGINE_NG_HOST\}/);
    expect(parseSutProfile(withStart('media: { relay: rtpengine }'), join(dir, 'p.yaml')).media.relay).toBe('rtpengine');
  });
});

describe('SUT profile probes', () => {
  const ready = (probe: string): string => `${minimal}start: { command: [x], ready: ${probe} }\n`;

  it('accepts each kind of probe', () => {
    for (const probe of ['{ http: "http://127.0.0.1:1/health" }', '{ sipOptions: {} }', '{ tcp: { zone: core } }', '{ udp: { port: 5070 } }', '{ command: "true" }']) {
      expect(() => parseSutProfile(ready(probe), 'x.yaml')).not.toThrow();
    }
    expect(parseSutProfile(ready('{ sipOptions: {} }'), 'x.yaml').start?.ready.sipOptions).toEqual({ zone: 'public' });
  });

  it('wants exactly one probe', () => {
    expect(() => parseSutProfile(ready('{ timeoutMs: 100 }'), 'x.yaml')).toThrow(/start\.ready: exactly one of http, sipOptions, tcp, udp, command \(got none\)/);
    expect(() => parseSutProfile(ready('{ sipOptions: {}, command: "true" }'), 'x.yaml')).toThrow(/got sipOptions, command/);
    expect(() => parseSutProfile(`${minimal}health: { sipOptions: { zone: dmz } }\n`, 'x.yaml')).toThrow(/health\.sipOptions\.zone/);
  });
});

describe('the vendor guide\'s placeholder table', () => {
  it('lists every placeholder a profile may use', async () => {
    const { renderPlaceholderTable, TOPOLOGY_PLACEHOLDERS, RTPENGINE_PLACEHOLDERS } = await import('./placeholders');
    const table = renderPlaceholderTable();
    for (const d of [...TOPOLOGY_PLACEHOLDERS, ...RTPENGINE_PLACEHOLDERS]) expect(table).toContain(`| \`\${${d.name}}\` |`);
    expect(table).toContain('`provision.addUser` only');
  });
});
