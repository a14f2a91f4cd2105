import { describe, expect, it } from 'vitest';
import { parseSipText, type TracedMessage } from './messages';
import type { SippResult } from './runner';
import { scenarioLadder } from './scenario-ladder';

const traced = (at: string, direction: 'sent' | 'received', text: string): TracedMessage =>
  ({ at: new Date(at), direction, transport: 'udp', text, ...parseSipText(text) }) as TracedMessage;
const invite = 'INVITE sip:+31205001@203.0.113.10 SIP/2.0\r\nCSeq: 1 INVITE\r\n\r\n';
const ok = 'SIP/2.0 200 OK\r\nCSeq: 1 INVITE\r\n\r\n';

describe('a scenario\'s ladder', () => {
  it('lists each SIPp run, then what the core servers exchanged for each dialled number', () => {
    const run = { summary: 'caller: 1 call, all succeeded', messages: [traced('2026-12-02T10:00:00.100Z', 'sent', invite), traced('2026-12-02T10:00:00.250Z', 'received', ok)] } as SippResult;
    const text = scenarioLadder('A call', [run], [['the number', '+31205001']], (n) =>
      n === '+31205001' ? [{ server: '10.20.0.21', messages: [traced('2026-12-02T10:00:00.180Z', 'received', invite)] }] : []);
    expect(text).toBe([
      '# A call',
      '',
      '## caller: 1 call, all succeeded',
      '  10:00:00.100 --> INVITE sip:+31205001@203.0.113.10',
      '  10:00:00.250 <-- 200 (1 INVITE)',
      '',
      '## core server 10.20.0.21, the number +31205001',
      '  10:00:00.180 <-- INVITE sip:+31205001@203.0.113.10',
      '',
    ].join('\n'));
  });
});
