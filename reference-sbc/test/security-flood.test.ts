import { describe, expect, it } from 'vitest';
import { FloodGuard } from '../src/policy/security/flood-guard';
import { ScannerFilter, userAgentOf } from '../src/policy/security/scanner-filter';

function guard(o: Partial<ConstructorParameters<typeof FloodGuard>[0]> = {}): { g: FloodGuard; at(ms: number): void } {
  let now = 0;
  const g = new FloodGuard({ windowMs: 2000, maxRequests: 50, maxSources: 100, now: () => now, ...o });
  return { g, at: (ms) => (now = ms) };
}

describe('FloodGuard', () => {
  it('allows exactly maxRequests in a window and flags the next one', () => {
    const { g, at } = guard();
    at(100);
    for (let i = 0; i < 50; i++) expect(g.hit('a')).toBe(false);
    expect(g.hit('a')).toBe(true);
    expect(g.hit('b')).toBe(false);
  });

  it('weighs the previous window by the share still inside the sliding window', () => {
    const { g, at } = guard();
    at(1000);
    for (let i = 0; i < 40; i++) g.hit('a');
    at(2500); // a quarter into the next window: 40 * 0.75 = 30 still count
    expect(g.rate('a')).toBe(30);
    for (let i = 0; i < 20; i++) expect(g.hit('a')).toBe(false); // 30 + 20 = 50
    expect(g.hit('a')).toBe(true);
  });

  it('forgets a window two windows back', () => {
    const { g, at } = guard();
    at(0);
    for (let i = 0; i < 50; i++) g.hit('a');
    at(4000);
    expect(g.rate('a')).toBe(0);
    for (let i = 0; i < 50; i++) expect(g.hit('a')).toBe(false);
  });

  it('a steady legitimate rate under the limit is never flagged', () => {
    const { g, at } = guard();
    // 20 messages/s for a minute = 40 per 2 s window, under 50.
    for (let t = 0; t < 60_000; t += 50) {
      at(t);
      expect(g.hit('caller')).toBe(false);
    }
  });

  it('a flood of 200 messages/s is flagged within the first second', () => {
    const { g, at } = guard();
    let flaggedAt: number | undefined;
    for (let t = 0; t < 2000 && flaggedAt === undefined; t += 5) {
      at(t);
      if (g.hit('attacker')) flaggedAt = t;
    }
    expect(flaggedAt).toBeLessThan(1000);
  });

  it('tracks at most maxSources, forgetting the least recently seen', () => {
    const { g, at } = guard({ maxSources: 3 });
    at(0);
    for (let i = 0; i < 10; i++) g.hit('old');
    g.hit('b');
    g.hit('c');
    g.hit('old'); // touched: now the most recent
    g.hit('d'); // evicts b
    expect(g.trackedSources).toBe(3);
    expect(g.rate('b')).toBe(0);
    expect(g.rate('old')).toBe(11);
    for (let i = 0; i < 10_000; i++) g.hit(`spoofed-${i}`);
    expect(g.trackedSources).toBe(3);
  });
});

describe('ScannerFilter', () => {
  const msg = (ua: string): Buffer => Buffer.from(`OPTIONS sip:100@203.0.113.10 SIP/2.0\r\nVia: SIP/2.0/UDP 203.0.113.66:5060\r\n${ua}\r\nContent-Length: 0\r\n\r\n`);

  it.each(['User-Agent: friendly-scanner', 'user-agent:sipvicious', 'USER-AGENT:   SIPCLI/v1.8', 'User-Agent: VaxSIPUserAgent/3.1', 'User-Agent: sip-scan'])('recognises %j', (ua) => {
    expect(new ScannerFilter().match(msg(ua))).toBeDefined();
  });

  it('leaves ordinary agents, other headers and bodies alone', () => {
    const f = new ScannerFilter();
    expect(f.match(msg('User-Agent: Linphone/5.2'))).toBeUndefined();
    expect(f.match(msg('Subject: friendly-scanner'))).toBeUndefined();
    expect(f.match(Buffer.from('INVITE sip:1@a SIP/2.0\r\nUser-Agent: phone\r\n\r\nUser-Agent: friendly-scanner\r\n'))).toBeUndefined();
    expect(f.match(Buffer.from([0xff, 0x00, 0x13]))).toBeUndefined();
  });

  it('uses the configured list instead of the default one', () => {
    const f = new ScannerFilter(['EvilBot']);
    expect(f.match(msg('User-Agent: evilbot 1.0'))).toBe('evilbot');
    expect(f.match(msg('User-Agent: friendly-scanner'))).toBeUndefined();
    expect(new ScannerFilter([]).match(msg('User-Agent: friendly-scanner'))).toBeUndefined();
  });

  it('reads the first User-Agent of the header section only', () => {
    expect(userAgentOf(msg('User-Agent: a\r\nUser-Agent: b'))).toBe('a');
    expect(userAgentOf(Buffer.from('garbage'))).toBeUndefined();
  });
});
