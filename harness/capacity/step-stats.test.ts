import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { callersFor, measureCallers, measureStep, offeredRate, splitEvenly, parseCounts, parseRtt, parseSippDuration, parseSippTimestamp, parseStatRows, percentile, StepStatsError, summarizeSippErrors } from './step-stats';

const data = (f: string): string => readFileSync(join(import.meta.dirname, 'testdata', f), 'utf8');
const sippData = (f: string): string => readFileSync(join(import.meta.dirname, '..', 'sipp', 'testdata', f), 'utf8');

describe('SIPp periodic statistics', () => {
  it('reads every row of a one-call run, (P) and (C) columns', () => {
    const rows = parseStatRows(sippData('uac-one-call.stats.csv'));
    expect(rows.length).toBeGreaterThan(1);
    expect(rows[1]!['OutgoingCall(P)']).toBe('1');
    expect(rows[1]!['ResponseTime1(P)']).toBe('00:00:00:004000');
    expect(rows.at(-1)!['SuccessfulCall(C)']).toBe('1');
  });

  it('reads SIPp durations and time stamps', () => {
    expect(parseSippDuration('00:00:00:004000')).toBe(4);
    expect(parseSippDuration('01:02:03:500000')).toBe(3723500);
    expect(parseSippDuration('00:00:01')).toBe(1000);
    // SIPp prints this for the deviation of a single sample.
    expect(parseSippDuration('2562047788015:12:55:808000')).toBeNaN();
    expect(parseSippTimestamp('2026-11-23\t08:00:37.158976\t1795420837.158976')).toBeCloseTo(1795420837.158976, 6);
    expect(() => parseSippTimestamp('yesterday')).toThrow(StepStatsError);
  });

  it('measures the offered rate over the full creation periods only', () => {
    const rows = parseStatRows(data('rate-20cps.stats.csv'));
    // 100 calls at 20 cps: five periods create calls, the last of them is partial.
    expect(offeredRate(rows)).toBeGreaterThan(19);
    expect(offeredRate(rows)).toBeLessThan(20.5);
  });

  it('refuses a statistics file without rows', () => {
    expect(() => parseStatRows('StartTime;CurrentCall\n')).toThrow(/1 line/);
  });
});

describe('SIPp response times and message counts', () => {
  it('reads per-call response times of the first rtd', () => {
    const rtt = parseRtt(data('rate-20cps.rtt.csv'));
    expect(rtt).toHaveLength(100);
    expect(rtt.every((t) => t >= 0 && t < 1000)).toBe(true);
    expect(parseRtt('Date_ms;response_time_ms;rtd_no\n1;5;1\n2;7;2\n3;9;1\n')).toEqual([5, 9]);
    expect(parseRtt('')).toEqual([]);
  });

  it('computes nearest-rank percentiles', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(samples, 95)).toBe(95);
    expect(percentile(samples, 50)).toBe(50);
    expect(percentile(samples, 100)).toBe(100);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 95)).toBeUndefined();
  });

  it('sums sent and received messages and retransmissions from the last counts row', () => {
    // INVITE, 100, 180, 200, ACK, BYE, 200 for each of 100 calls.
    expect(parseCounts(data('rate-20cps.counts.csv'))).toEqual({ messages: 700, retransmissions: 0 });
    const text = 'CurrentTime;ElapsedTime;0_INVITE_Sent;0_INVITE_Retrans;0_INVITE_Timeout;1_200_Recv;1_200_Retrans;1_200_Timeout;1_200_Unexp;\n' +
      't;e;10;3;0;10;2;0;1;\n';
    expect(parseCounts(text)).toEqual({ messages: 25, retransmissions: 5 });
  });
});

describe('a step measurement', () => {
  it('combines statistics, response times and counts of a real 20 cps step', () => {
    const m = measureStep({
      targetCps: 20,
      statsText: data('rate-20cps.stats.csv'),
      rttText: data('rate-20cps.rtt.csv'),
      countsText: data('rate-20cps.counts.csv'),
    });
    expect(m).toMatchObject({ targetCps: 20, callsCreated: 100, callsSucceeded: 100, callsFailed: 0, callsUnfinished: 0, failures: {}, messages: 700, retransmissions: 0 });
    expect(m.offeredCps).toBeCloseTo(20, 0);
    expect(m.successfulCps).toBe(m.offeredCps);
    expect(m.setupMs.samples).toBe(100);
    expect(m.setupMs.p95).toBeGreaterThanOrEqual(m.setupMs.p50!);
    expect(m.setupMs.max).toBeGreaterThanOrEqual(m.setupMs.p99!);
    expect(m.setupMs.mean).toBeGreaterThan(0);
    // 20 cps held 1.5 s plus setup: about 30 calls up at once.
    expect(m.peakConcurrent).toBeGreaterThanOrEqual(25);
    expect(m.peakConcurrent).toBeLessThanOrEqual(40);
    expect(m.durationS).toBeGreaterThan(5);
  });

  it('takes failures by reason and unfinished calls from the last row', () => {
    const header = 'StartTime;LastResetTime;CurrentTime;OutgoingCall(P);TotalCallCreated;CurrentCall;SuccessfulCall(C);FailedCall(C);FailedMaxUDPRetrans(P);FailedMaxUDPRetrans(C);FailedUnexpectedMessage(C);ResponseTime1(C)';
    const t = (s: number): string => `d\tt\t${1000 + s}`;
    const stats = [
      header,
      `${t(0)};${t(0)};${t(1)};10;10;10;0;0;0;0;0;00:00:00:000000`,
      `${t(0)};${t(1)};${t(2)};10;20;12;5;2;1;1;1;00:00:00:250000`,
      `${t(0)};${t(2)};${t(3)};0;20;3;15;2;0;1;1;00:00:00:250000`,
    ].join('\n');
    const m = measureStep({ targetCps: 10, statsText: stats, rttText: '', countsText: '' });
    expect(m).toMatchObject({ callsCreated: 20, callsSucceeded: 15, callsFailed: 2, callsUnfinished: 3, peakConcurrent: 12, durationS: 3, messages: 0 });
    expect(m.failures).toEqual({ FailedMaxUDPRetrans: 1, FailedUnexpectedMessage: 1 });
    expect(m.offeredCps).toBe(10);
    expect(m.setupMs).toEqual({ p50: undefined, p95: undefined, p99: undefined, max: undefined, mean: 250, samples: 0 });
  });
});

describe('SIPp error trace', () => {
  it('counts the kinds of event, without call identifiers, most frequent first', () => {
    const ts = (n: number): string => `2026-11-23\t08:28:40.0241${n}0\t1795422520.0241${n}0: `;
    const text = [
      'The following events occurred:',
      `${ts(1)}Call-Id: 1297-31197@203.0.113.20, receive timeout on message uac-capacity-call:2 without label to jump to (ontimeout attribute): aborting call` +
        `${ts(2)}Call-Id: 1298-31197@203.0.113.20, receive timeout on message uac-capacity-call:2 without label to jump to (ontimeout attribute): aborting call` +
        `${ts(3)}Dead call 1297-31197@203.0.113.20 (aborted at index 2), received 'SIP/2.0 487 Request Terminated\r`,
      'Via: SIP/2.0/UDP 203.0.113.20:5062;branch=z9hG4bK-31197-1297-0\r',
      `'${ts(4)}Aborting call on unexpected message for Call-Id '38624272e03e895dc54a09c0b04489b6': while expecting 'ACK' (index 5), received 'INVITE sip:+31209990000@10.20.0.21:5060 SIP/2.0`,
      'Via: SIP/2.0/UDP 10.20.0.10:5060',
    ].join('\n');
    expect(summarizeSippErrors(text)).toEqual([
      '2 x receive timeout on message uac-capacity-call:2 without label to jump to (ontimeout attribute): aborting call',
      "1 x Dead call <call> (aborted at index 2), received 'SIP/2.0 487 Request Terminated",
      "1 x Aborting call on unexpected message for Call-Id <call>: while expecting 'ACK' (index 5), received 'INVITE sip:+31209990000@10.20.0.21:5060 SIP/2.0",
    ]);
    expect(summarizeSippErrors('')).toEqual([]);
  });
});

describe('a step from several callers', () => {
  const one = { statsText: data('rate-20cps.stats.csv'), rttText: data('rate-20cps.rtt.csv'), countsText: data('rate-20cps.counts.csv') };

  it('adds up the callers\' calls, rates and messages, with percentiles over every call', () => {
    const single = measureStep({ targetCps: 20, ...one });
    // A second caller whose calls all took 500 ms to set up.
    const slowRtt = ['Date_ms;response_time_ms;rtd_no', ...Array.from({ length: 100 }, (_, i) => `${i};500;1`)].join('\n');
    const m = measureCallers({ targetCps: 40, callers: [one, { ...one, rttText: slowRtt }] });
    expect(m).toMatchObject({ targetCps: 40, callsCreated: 200, callsSucceeded: 200, messages: 1400, peakConcurrent: single.peakConcurrent * 2 });
    expect(m.offeredCps).toBeCloseTo(single.offeredCps * 2, 1);
    expect(m.setupMs.samples).toBe(200);
    // Half the calls took 500 ms: p50 is the fast half's highest, p95 and p99 the slow caller's.
    expect(m.setupMs.p50).toBe(single.setupMs.max);
    expect(m.setupMs.p95).toBe(500);
    expect(measureCallers({ targetCps: 20, callers: [one] })).toEqual(single);
    expect(() => measureCallers({ targetCps: 20, callers: [] })).toThrow(StepStatsError);
  });

  it('gives a step one caller per N cps, as many as there are addresses, and splits its calls evenly', () => {
    expect(callersFor(5, 10, 38)).toBe(1);
    expect(callersFor(25, 10, 38)).toBe(3);
    expect(callersFor(1000, 10, 38)).toBe(38);
    expect(splitEvenly(41, 2)).toEqual([21, 20]);
    expect(splitEvenly(7, 3)).toEqual([3, 2, 2]);
  });
});
