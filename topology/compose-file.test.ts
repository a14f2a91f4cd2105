import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ADDRESSES } from './addresses';
import { interpolate, planProblems, readComposeFile } from './compose-file';
import { COMPOSE_FILE } from './compose-provider';

const dir = mkdtempSync(join(tmpdir(), 'compose-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const env = { SBCX_REPO: '/src/sbc', SBCX_RUN_DIR: '/tmp/sbcx-run' };

describe('docker-compose.yml', () => {
  it('builds the address plan every provider shares: both zones, the SBC on both, three core servers', () => {
    const f = readComposeFile(COMPOSE_FILE, env);
    expect(planProblems(f, ADDRESSES)).toEqual([]);
    expect(f.networks).toContainEqual({ name: 'core', subnet: '10.20.0.0/24', internal: true });
    expect(f.services.find((s) => s.name === 'sbc')?.networks).toEqual([['public', '203.0.113.10'], ['core', '10.20.0.10']]);
    expect(f.services.filter((s) => /^core\d$/.test(s.name)).map((s) => s.networks[0]![1])).toEqual(ADDRESSES.coreServers);
  });

  it('mounts the repository and the run directory at the same path in every container', () => {
    for (const s of readComposeFile(COMPOSE_FILE, env).services) {
      expect(s.volumes, s.name).toEqual(['/src/sbc:/src/sbc', '/tmp/sbcx-run:/tmp/sbcx-run']);
    }
  });

  it('names a file whose host sits elsewhere than the plan, or whose core zone has a way out', () => {
    const text = readFileSync(COMPOSE_FILE, 'utf8').replace('10.20.0.22', '10.20.0.99').replace('internal: true', 'internal: false');
    const file = join(dir, 'moved.yml');
    writeFileSync(file, text);
    expect(planProblems(readComposeFile(file, env), ADDRESSES)).toEqual([
      'network core: not internal (the core zone has no way out but the SBC)',
      'service core2: addresses 10.20.0.99, the plan\'s are 10.20.0.22',
    ]);
  });

  it('refuses a host without its fixed address, naming the field', () => {
    const file = join(dir, 'loose.yml');
    writeFileSync(file, 'networks:\n  public: { ipam: { config: [{ subnet: 203.0.113.0/24 }] } }\nservices:\n  runner: { image: x, networks: [public] }\n');
    expect(() => readComposeFile(file, env)).toThrow(/services\.runner\.networks\.public\.ipv4_address: missing/);
  });
});

describe('interpolation', () => {
  it('takes the variable, else the default, and refuses a required one that is unset', () => {
    expect(interpolate('${A:-x}/${B:-y}', { A: 'a' })).toBe('a/y');
    expect(interpolate('${A:-x}', { A: '' })).toBe('x');
    expect(() => interpolate('${A:?set A}', {})).toThrow(/\$\{A\} is not set: set A/);
  });
});
