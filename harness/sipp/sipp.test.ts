import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { outcomeOf } from './exit-codes';
import { parseMessageLog, userOf } from './messages';
import { buildArgs } from './options';
import { CORE_MEDIA_PORT } from './scenario-keys';
import { runSipp, startSipp } from './runner';
import { parseStats, SippStatsError } from './stats';

const data = (f: string): string => readFileSync(join(import.meta.dirname, 'testdata', f), 'utf8');

describe('SIPp command line', () => {
  it('builds a caller with rate, limit, keys and traces, remote last', () => {
    const args = buildArgs({
      scenario: { file: 'uac.xml' },
      localIp: '203.0.113.20',
      localPort: 5062,
      remote: '203.0.113.10:5060',
      service: '+31201234567',
      rate: 20,
      calls: 100,
      maxConcurrent: 50,
      keys: { from: '+3120111' },
      messageFile: 'm.log',
      statFile: 's.csv',
      injectionFile: 'users.csv',
    });
    expect(args.slice(0, 4)).toEqual(['-sf', 'uac.xml', '-i', '203.0.113.20']);
    expect(args).toContain('-nostdin');
    expect(args.join(' ')).toContain('-r 20 -m 100 -l 50 -inf users.csv -key from +3120111');
    expect(args.join(' ')).toContain('-trace_msg -message_file m.log -trace_stat -stf s.csv -fd 1');
    expect(args.at(-1)).toBe('203.0.113.10:5060');
  });

  it('passes the shared scenario keys to a scenario file, the run\'s own keys winning', () => {
    const shared = buildArgs({ scenario: { file: 'uas-answer-media.xml' }, localIp: '10.20.0.21' }).join(' ');
    expect(shared).toContain(`-key core_media_port ${CORE_MEDIA_PORT}`);
    const own = buildArgs({ scenario: { file: 'uas-answer-media.xml' }, localIp: '10.20.0.21', keys: { core_media_port: 41500 } }).join(' ');
    expect(own).toContain('-key core_media_port 41500');
    expect(own).not.toContain(`-key core_media_port ${CORE_MEDIA_PORT}`);
  });

  it('builds a built-in UAS without a remote', () => {
    const args = buildArgs({ scenario: { builtin: 'uas' }, localIp: '10.20.0.21', localPort: 5060 });
    expect(args).toEqual(['-sn', 'uas', '-i', '10.20.0.21', '-p', '5060', '-nostdin']);
  });
});

describe('SIPp exit codes', () => {
  it('maps the documented codes', () => {
    expect(outcomeOf(0)).toBe('all-calls-succeeded');
    expect(outcomeOf(1)).toBe('some-calls-failed');
    expect(outcomeOf(97)).toBe('stopped-by-command');
    expect(outcomeOf(99)).toBe('no-calls-processed');
    expect(outcomeOf(255)).toBe('fatal-error');
    expect(outcomeOf(254)).toBe('socket-bind-failed');
    expect(outcomeOf('SIGKILL')).toBe('killed');
    expect(outcomeOf(42)).toBe('unknown');
  });
});

describe('SIPp statistics file', () => {
  it('reads the cumulative counters of the last row', () => {
    const s = parseStats(data('uac-one-call.stats.csv'));
    expect(s.totalCallsCreated).toBe(1);
    expect(s.successfulCalls).toBe(1);
    expect(s.failedCalls).toBe(0);
    expect(s.failures).toEqual({});
  });

  it('names the failure counters that are non-zero', () => {
    const text = data('uac-one-call.stats.csv');
    const [header, ...rows] = text.trim().split('\n');
    const cols = header!.split(';');
    const last = rows.at(-1)!.split(';');
    last[cols.indexOf('FailedCall(C)')] = '2';
    last[cols.indexOf('FailedTimeoutOnRecv(C)')] = '2';
    const s = parseStats([header, last.join(';')].join('\n'));
    expect(s.failedCalls).toBe(2);
    expect(s.failures).toEqual({ FailedTimeoutOnRecv: 2 });
  });

  it('refuses a file without rows, or without the expected columns', () => {
    expect(() => parseStats('StartTime;CurrentCall(C)\n')).toThrow(SippStatsError);
    expect(() => parseStats('A;B\n1;2\n')).toThrow(/no column TotalCallCreated/);
  });
});

describe('SIPp message trace', () => {
  it('splits the trace into sent and received messages with their headers', () => {
    const msgs = parseMessageLog(data('uac-one-call.messages.log'));
    expect(msgs.map((m) => m.method ?? m.status)).toEqual(['INVITE', 180, 200, 'ACK', 'BYE', 200]);
    const invite = msgs[0]!;
    expect(invite.direction).toBe('sent');
    expect(invite.transport).toBe('UDP');
    expect(userOf(invite.requestUri)).toBe('1234');
    expect(invite.header('CSeq')).toBe('1 INVITE');
    expect(invite.header('i')).toBe(invite.header('call-id'));
    expect(invite.body).toContain('m=audio');
    expect(msgs[2]!.direction).toBe('received');
    expect(msgs[2]!.at.getTime()).toBeGreaterThanOrEqual(invite.at.getTime());
  });

  it('ignores garbage around entries', () => {
    expect(parseMessageLog('no trace here\n')).toEqual([]);
  });
});

const hasSipp = (() => {
  try {
    execFileSync('sipp', ['-v'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    return (err as { status?: number }).status !== undefined; // sipp -v exits non-zero but exists
  }
})();

describe.skipIf(!hasSipp)('SIPp runner on loopback', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sipp-runner-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs a caller against a UAS and returns traces, statistics and the outcome', async () => {
    const uas = startSipp({ name: 'uas', evidenceDir: dir, options: { scenario: { builtin: 'uas' }, localIp: '127.0.0.1', localPort: 15060 } });
    await new Promise((r) => setTimeout(r, 200));
    const r = await runSipp({
      name: 'uac',
      evidenceDir: dir,
      options: { scenario: { builtin: 'uac' }, localIp: '127.0.0.1', localPort: 15062, remote: '127.0.0.1:15060', calls: 2, service: '555' },
    });
    const uasResult = await uas.stop();
    expect(r.outcome).toBe('all-calls-succeeded');
    expect(r.stats?.successfulCalls).toBe(2);
    expect(r.messages.filter((m) => m.method === 'INVITE')).toHaveLength(2);
    expect(uasResult.messages.filter((m) => m.direction === 'received' && m.method === 'BYE')).toHaveLength(2);
    // SIPp handles SIGTERM by finishing cleanly: its outcome reflects its calls, not the signal.
    expect(uasResult.outcome).toBe('all-calls-succeeded');
  });

  it('reports a call to nobody as failed, with the reason', async () => {
    const r = await runSipp({
      name: 'lonely',
      evidenceDir: dir,
      options: { scenario: { builtin: 'uac' }, localIp: '127.0.0.1', localPort: 15064, remote: '127.0.0.1:15999', calls: 1, recvTimeoutMs: 500, timeoutS: 10 },
    });
    expect(r.outcome).toBe('some-calls-failed');
    expect(r.stats?.failedCalls).toBe(1);
    expect(r.summary).toMatch(/failed 1/);
  });
});
