import { describe, expect, it } from 'vitest';
import { inWindow, scenarioWindows } from './scenario-evidence';
import { result } from './test-messages';
import type { LadderMessage } from './sip-ladder';

describe('scenario windows in the whole-run capture', () => {
  it('end plus a tail, clamped before the next scenario starts; an unfinished one reaches to the next start', () => {
    const w = scenarioWindows([
      result('b', [], { pickleId: 'b', startedAt: 5000, finishedAt: 5100 }),
      result('a', [], { pickleId: 'a', startedAt: 1000, finishedAt: 2000 }),
      result('c', [], { pickleId: 'c', startedAt: 9000, finishedAt: undefined, finished: false }),
      result('d', [], { pickleId: 'd', selected: false, finished: false, startedAt: undefined, finishedAt: undefined }),
    ], 300);
    expect(w.get('a')).toEqual({ fromMs: 1000, toMs: 2300 });
    expect(w.get('b')).toEqual({ fromMs: 5000, toMs: 5400 });
    expect(w.get('c')).toEqual({ fromMs: 9000, toMs: 9000 + 3_600_000 });
    expect(w.has('d')).toBe(false);
    const tight = scenarioWindows([result('x', [], { pickleId: 'x', startedAt: 0, finishedAt: 100 }), result('y', [], { pickleId: 'y', startedAt: 150, finishedAt: 200 })], 300);
    expect(tight.get('x')!.toMs).toBeCloseTo(149.999, 6);
  });

  it('takes the messages of a window from the time-sorted capture', () => {
    const m = (time: number): LadderMessage => ({ time, src: 'a', srcPort: 1, dst: 'b', dstPort: 2, transport: 'udp', text: '' });
    const sorted = [m(1), m(2), m(3), m(4)];
    expect(inWindow(sorted, 2000, 3000).map((x) => x.time)).toEqual([2, 3]);
    expect(inWindow(sorted, 5000, 6000)).toEqual([]);
  });
});

describe('the SBC\'s own banner', () => {
  it('is the first Server or User-Agent header one of the SBC\'s addresses sent', async () => {
    const { softwareBanner } = await import('./scenario-evidence');
    const m = (src: string, text: string): LadderMessage => ({ time: 0, src, srcPort: 5060, dst: 'x', dstPort: 5060, transport: 'udp', text });
    const msgs = [
      m('203.0.113.20', 'INVITE sip:a SIP/2.0\r\nUser-Agent: sipp\r\n\r\n'),
      m('203.0.113.10', 'SIP/2.0 100 Trying\r\nCSeq: 1 INVITE\r\n\r\nServer: in the body'),
      m('10.20.0.10', 'OPTIONS sip:b SIP/2.0\r\nuser-agent:  acme-sbc 5.2.1  \r\n\r\n'),
    ];
    expect(softwareBanner(msgs, ['203.0.113.10', '10.20.0.10'])).toBe('user-agent: acme-sbc 5.2.1');
    expect(softwareBanner(msgs, ['203.0.113.10'])).toBeUndefined();
  });
});
