import { describe, expect, it } from 'vitest';
import { plainError, scrubPaths } from './plain-words';

const where = { reportDir: '/work/repo/reports/20261202-0700-ab12', repoRoot: '/work/repo' };

describe('plain words', () => {
  it('takes the assertion message as the reason and puts the stack apart', () => {
    const p = plainError('AssertionError [ERR_ASSERTION]: GEN-08: TCP 5060 was accepted by 203.0.113.10\n    at World.<anonymous> (/work/repo/steps/isolation.steps.ts:40:11)\n    at async run (/work/repo/node_modules/x.js:1:1)', where);
    expect(p.reason).toBe('GEN-08: TCP 5060 was accepted by 203.0.113.10');
    expect(p.details).toBe('at World.<anonymous> (steps/isolation.steps.ts:40:11)\n    at async run (node_modules/x.js:1:1)');
  });

  it('keeps a multi-line message (a ladder) whole when short, cuts a long one into the fold', () => {
    const short = plainError('Error: the BYE was not relayed:\n  --> BYE\n  <-- 408', where);
    expect(short.reason).toBe('the BYE was not relayed:\n  --> BYE\n  <-- 408');
    const long = plainError(`Error: the caller got no answer:\n${'  --> INVITE sip:+3120 retransmitted\n'.repeat(40)}`, where);
    expect(long.reason.length).toBeLessThan(650);
    expect(long.reason.endsWith('…')).toBe(true);
    expect(long.details).toContain('retransmitted');
  });

  it('shows no absolute path: the report and the repository become relative, any other folder is dropped', () => {
    const text = scrubPaths('see /work/repo/reports/20261202-0700-ab12/scenarios/003-x/ladder.txt and /tmp/sbcx-3f2a/sbc.yaml, file:///work/repo/steps/a.ts', where);
    expect(text).toBe('see scenarios/003-x/ladder.txt and …/sbc.yaml, steps/a.ts');
    expect(text).not.toMatch(/\/tmp|\/work/);
  });

  it('leaves SIP URIs, addresses and relative paths alone', () => {
    const text = 'INVITE sip:+31205@203.0.113.10:5060;transport=udp SIP/2.0 from features/a.feature:3 (a/b)';
    expect(scrubPaths(text, where)).toBe(text);
  });

  it('a message that is empty still gives a reason', () => {
    expect(plainError(undefined, where).reason).toBe('the step failed without a message');
    expect(plainError('Error: \n    at x', where).reason).toBe('the step failed without a message');
  });
});
