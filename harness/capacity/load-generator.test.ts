import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { g711Wav } from '../media/g711-wav';
import { LoadGenerator, parseUdpReceiveBufferErrors } from './load-generator';
import { DEFAULT_SERVICE_LEVEL, evaluateStep } from './service-level';

const hasSipp = ((): boolean => {
  try {
    execFileSync('sipp', ['-v'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    // sipp -v exits non-zero on some builds; only a missing binary means "no SIPp".
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
})();

const scenarios = join(import.meta.dirname, '..', '..', 'scenarios');
const dir = mkdtempSync(join(tmpdir(), 'capacity-lg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type GeneratorOptions = ConstructorParameters<typeof LoadGenerator>[0];

/** One SIPp caller on 127.0.0.1:<port+1> to one SIPp UAS on 127.0.0.1:<port>; `o` replaces any default. */
function loopbackGenerator(port: number, o: Partial<GeneratorOptions>): LoadGenerator {
  return new LoadGenerator({
    callers: [{ address: '127.0.0.1', port: port + 1 }],
    targets: [`127.0.0.1:${port}`],
    coreServers: [{ address: '127.0.0.1', port }],
    service: '+31209990000',
    from: '+3120555',
    callerScenario: join(scenarios, 'uac-capacity-call.xml'),
    coreScenario: join(scenarios, 'uas-answer.xml'),
    dir,
    answerTimeoutMs: 5000,
    ...o,
  });
}


describe('UDP receive buffer drops', () => {
  it('reads RcvbufErrors from /proc/net/snmp', () => {
    const snmp = [
      'Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors',
      'Udp: 299621 714 5649 305985 5648 0 0 0 0',
      'UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors',
      'UdpLite: 0 0 0 0 7 0 0 0 0',
    ].join('\n');
    expect(parseUdpReceiveBufferErrors(snmp)).toBe(5648);
    expect(parseUdpReceiveBufferErrors('Ip: Forwarding\nIp: 1\n')).toBeUndefined();
  });
});

// One real step against a SIPp UAS on loopback: the whole measuring path without a topology or root.
describe.skipIf(!hasSipp)('load generator on loopback', () => {
  it('runs a caller step against a SIPp UAS and measures it', async () => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const gen = loopbackGenerator(port, { zones: [{ name: 'host' }] });
    await gen.startCore(10000);
    try {
      const run = await gen.runCaller({ name: 'rate-01-20cps', rateCps: 20, calls: 40, maxConcurrent: 100, holdMs: 300 });
      expect(run.exitCode).toBe(0);
      expect(run.measurement).toMatchObject({ callsCreated: 40, callsSucceeded: 40, callsFailed: 0, callsUnfinished: 0, retransmissions: 0 });
      expect(run.measurement.messages).toBe(40 * 7);
      // The UAS saw the same 40 calls: INVITE, 100, 180, 200, ACK, BYE, 200.
      expect(run.measurement.core).toEqual({ messages: 40 * 7, retransmissions: 0, failedCalls: 0 });
      expect(run.measurement.setupMs.samples).toBe(40);
      expect(run.measurement.offeredCps).toBeGreaterThan(17);
      expect(evaluateStep(run.measurement, DEFAULT_SERVICE_LEVEL).verdict).toBe('pass');
      expect(gen.coreAlive()).toBe(true);
      expect(run.host.loadAverage1m).toBeGreaterThanOrEqual(0);
      expect(run.host.udpReceiveBufferDrops?.host).toBeGreaterThanOrEqual(0);
    } finally {
      await gen.stopCore();
    }
  });
});

// A 180 that arrives after the 200 (UDP reorders, and so do multi-process proxies such as Kamailio with
// several receivers on a socket) must not fail a call: RFC 3261 17.1.1 has the UAC ignore it.
describe.skipIf(!hasSipp)('a provisional answer overtaken by the 200', () => {
  for (const scenario of ['uac-capacity-call.xml', 'uac-capacity-call-rtp.xml']) {
    it(`is ignored by the capacity caller (${scenario})`, async () => {
      const port = 20000 + Math.floor(Math.random() * 20000);
      const gen = loopbackGenerator(port, {
        callerScenario: join(scenarios, scenario),
        coreScenario: join(import.meta.dirname, 'testdata', 'uas-late-180.xml'),
        callerFiles: [{ name: 'g711-tone.wav', data: g711Wav({ codec: 'PCMU', seconds: 1 }) }],
        dir: join(dir, `late-180-${scenario}`),
        answerTimeoutMs: 3000,
      });
      await gen.startCore(10000);
      try {
        const run = await gen.runCaller({ name: 'rate-01-10cps', rateCps: 10, calls: 10, maxConcurrent: 100, holdMs: 300 });
        expect(run.measurement).toMatchObject({ callsCreated: 10, callsSucceeded: 10, callsFailed: 0, callsUnfinished: 0 });
        expect(run.measurement.core?.failedCalls).toBe(0);
      } finally {
        await gen.stopCore();
      }
    });
  }
});

// SIPp's -rtp_echo can stop for good; the generator checks its echo around every step and mends it.
describe.skipIf(!hasSipp)('the core servers\' RTP echo', () => {
  it('is checked before and after a step, and restarted when it has stopped', async () => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const echoPort = port + 10;
    const gen = loopbackGenerator(port, {
      coreScenario: join(scenarios, 'uas-answer-media.xml'),
      coreMediaEchoPort: echoPort,
      dir: join(dir, 'echo'),
      answerTimeoutMs: 3000,
    });
    await gen.startCore(10000);
    try {
      expect(await gen.echoDead()).toEqual([]);
      // The UAS (and its echo) gone: the check says so, and the next step restarts it first.
      execFileSync('pkill', ['-f', `mp ${echoPort}`]);
      await new Promise((r) => setTimeout(r, 300));
      expect(await gen.echoDead()).toEqual(['127.0.0.1']);
      const run = await gen.runCaller({ name: 'rate-01-10cps', rateCps: 10, calls: 10, maxConcurrent: 100, holdMs: 300 });
      expect(run.host.generatorRepairs?.[0]).toMatch(/echo had stopped on 127\.0\.0\.1: restarted/);
      expect(run.measurement).toMatchObject({ callsCreated: 10, callsSucceeded: 10 });
      expect(run.measurement.generatorFaults).toBeUndefined();
      // The restarted server's own counts: the step's 10 calls, 7 messages each, seen at the core.
      expect(run.measurement.core).toEqual({ messages: 70, retransmissions: 0, failedCalls: 0 });
      expect(existsSync(join(dir, 'echo', 'core', 'core-1-restart-1'))).toBe(true);
      expect(await gen.echoDead()).toEqual([]);
    } finally {
      await gen.stopCore();
    }
  });
});

// The same step spread over two callers on two source addresses (127.0.0.1 and 127.0.0.2) to two UAS.
describe.skipIf(!hasSipp)('a step from several callers', () => {
  it('splits the calls over one caller per 10 cps and adds up what each measured', async () => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const uas = [{ address: '127.0.0.1', port }, { address: '127.0.0.2', port }];
    const gen = new LoadGenerator({
      callers: [{ address: '127.0.0.1', port: port + 1 }, { address: '127.0.0.2', port: port + 1 }, { address: '127.0.0.3', port: port + 1 }],
      perCallerCps: 10,
      targets: uas.map((u) => `${u.address}:${u.port}`),
      coreServers: uas,
      service: '+31209990000',
      from: '+3120555',
      callerScenario: join(scenarios, 'uac-capacity-call.xml'),
      coreScenario: join(scenarios, 'uas-answer.xml'),
      dir: join(dir, 'several'),
      answerTimeoutMs: 5000,
    });
    await gen.startCore(10000);
    try {
      const run = await gen.runCaller({ name: 'rate-02-20cps', rateCps: 20, calls: 41, maxConcurrent: 100, holdMs: 300 });
      expect(run.callers).toBe(2);
      expect(run.exitCode).toBe(0);
      expect(run.measurement).toMatchObject({ callsCreated: 41, callsSucceeded: 41, callsFailed: 0, retransmissions: 0, messages: 41 * 7 });
      expect(run.measurement.setupMs.samples).toBe(41);
      // Each UAS answered its caller's share: 21 and 20 calls.
      expect(run.measurement.core).toEqual({ messages: 41 * 7, retransmissions: 0, failedCalls: 0 });
      expect(existsSync(join(dir, 'several', 'rate-02-20cps', 'caller-01', 'caller.stats.csv'))).toBe(true);
      expect(existsSync(join(dir, 'several', 'rate-02-20cps', 'caller-03'))).toBe(false);
    } finally {
      await gen.stopCore();
    }
  });
});
