import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeNetnsResolver, staleResolvers, writeNetnsResolver } from './netns-resolver';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'netns-etc-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('the SBC namespace resolver', () => {
  it('writes /etc/netns/<ns>/resolv.conf naming only the topology DNS, and removes it', () => {
    const file = writeNetnsResolver('sbcx1a2b-sbc', '10.20.0.53', root);
    expect(file).toBe(join(root, 'sbcx1a2b-sbc', 'resolv.conf'));
    const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
    expect(lines.filter((l) => l.startsWith('nameserver'))).toEqual(['nameserver 10.20.0.53']);
    expect(lines.some((l) => l.startsWith('search'))).toBe(false);
    removeNetnsResolver('sbcx1a2b-sbc', root);
    expect(existsSync(join(root, 'sbcx1a2b-sbc'))).toBe(false);
  });

  it('lists the directories of runs that are gone, never a live run\'s or another program\'s', () => {
    writeNetnsResolver('sbcxdead-sbc', '10.20.0.53', root);
    writeNetnsResolver('sbcxlive-sbc', '10.20.0.53', root);
    mkdirSync(join(root, 'vpn0'));
    expect(staleResolvers('sbcx', (id) => id === 'live', root)).toEqual(['sbcxdead-sbc']);
  });
});
