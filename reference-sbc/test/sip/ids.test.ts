import { describe, expect, it } from 'vitest';
import { newBranch, newCallId, newTag } from '../../src/sip/ids';

describe('identifiers of the legs the SBC originates', () => {
  it('are hex of the stated length, the branch behind the RFC 3261 magic cookie', () => {
    expect(newCallId()).toMatch(/^[0-9a-f]{32}$/);
    expect(newTag()).toMatch(/^[0-9a-f]{12}$/);
    expect(newBranch()).toMatch(/^z9hG4bK[0-9a-f]{20}$/);
  });

  it('never repeat, across many refills of the random pool', () => {
    // 20,000 Call-IDs of 16 bytes use the 4 KB pool about 80 times over.
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) seen.add(newCallId());
    expect(seen.size).toBe(20_000);
    const tags = new Set(Array.from({ length: 5000 }, () => newTag()));
    expect(tags.size).toBe(5000);
  });

  it('do not share bytes: consecutive identifiers are not slices of each other', () => {
    const a = newCallId();
    const b = newCallId();
    expect(a).not.toBe(b);
    expect(b.startsWith(a.slice(2))).toBe(false);
  });
});
