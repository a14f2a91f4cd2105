import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { descendants, isGone, killTree, start, waitUntil } from './process';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kill-tree-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Pids a shell script wrote, one per line, once there are `n` of them. */
async function pidsIn(file: string, n: number): Promise<number[]> {
  let pids: number[] = [];
  await waitUntil(`${n} pids in ${file}`, () => {
    try {
      pids = readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);
    } catch {
      pids = [];
    }
    return Promise.resolve(pids.length >= n);
  }, 5000, 20);
  return pids;
}

describe('killTree', () => {
  it('kills a forking process with its children and grandchildren', async () => {
    const file = join(dir, 'pids');
    // A daemon-like tree: the parent forks two workers, one of which forks again; all ignore SIGTERM.
    const script = `trap '' TERM; (trap '' TERM; sleep 60 & echo $! >> ${file}; wait) & echo $! >> ${file}; sleep 60 & echo $! >> ${file}; wait`;
    const proc = start({ name: 'forker', command: 'sh', args: ['-c', script] });
    const children = await pidsIn(file, 3);
    expect(descendants(proc.child.pid!)).toEqual(expect.arrayContaining(children));
    const killed = await killTree(proc.child.pid);
    expect(killed).toEqual(expect.arrayContaining([proc.child.pid!, ...children]));
    expect(await proc.exited).toBe('SIGKILL');
    for (const p of children) expect(isGone(p)).toBe(true);
  });

  it('also kills what `also` lists (a process that left the tree) and spares `keep`', async () => {
    const orphan = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
    const kept = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
    orphan.unref();
    kept.unref();
    try {
      const killed = await killTree(undefined, { also: () => Promise.resolve([orphan.pid!, kept.pid!]), keep: [kept.pid!] });
      expect(killed).toEqual([orphan.pid]);
      expect(isGone(orphan.pid!)).toBe(true);
      expect(isGone(kept.pid!)).toBe(false);
    } finally {
      kept.kill('SIGKILL');
      orphan.kill('SIGKILL');
    }
  });

  it('never kills the calling process itself', async () => {
    expect(await killTree(undefined, { also: () => Promise.resolve([process.pid]) })).toEqual([]);
  });
});
