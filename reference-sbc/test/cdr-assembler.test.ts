import { describe, expect, it } from 'vitest';
import { CdrAssembler } from '../src/cdr/assembler';
import type { Logger } from '../src/cdr/index';
import { fromSpoolLine, toSpoolLine } from '../src/cdr/record';
import type { CallStarted } from '../src/events';

function recordingLog(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, info: () => {}, warn: (msg) => warnings.push(msg), error: (msg) => warnings.push(msg) };
}

const t0 = new Date('2026-03-04T05:06:07.000Z');
const at = (ms: number): Date => new Date(t0.getTime() + ms);

function started(key: string, over: Partial<CallStarted> = {}): CallStarted {
  return {
    kind: 'started', key, publicCallId: `${key}@203.0.113.20`, direction: 'inbound', attemptAt: t0,
    srcNumber: '+4930111', dstNumber: '+4940222', remoteIp: '203.0.113.20', remotePort: 5062, transport: 'udp', ...over,
  };
}

describe('CdrAssembler', () => {
  it('builds an answered inbound call with duration counted from the answer', () => {
    const a = new CdrAssembler(recordingLog());
    expect(a.accept(started('k1'))).toBeNull();
    expect(a.accept({ kind: 'routed', key: 'k1', coreCallId: 'core-1', peer: '10.20.0.21:5060' })).toBeNull();
    expect(a.accept({ kind: 'answered', key: 'k1', answerAt: at(2000), mediaEncrypted: true })).toBeNull();
    expect(a.openCalls).toBe(1);
    const r = a.accept({ kind: 'ended', key: 'k1', endAt: at(9600), finalStatus: 200, endReason: 'caller-bye' });
    expect(r).toEqual({
      callId: 'k1@203.0.113.20', coreCallId: 'core-1', attemptAt: t0, answerAt: at(2000), endAt: at(9600),
      durationS: 8, durationMs: 7600, srcNumber: '+4930111', dstNumber: '+4940222', remoteIp: '203.0.113.20',
      remotePort: 5062, transport: 'udp', direction: 'in', coreServer: '10.20.0.21:5060', finalStatus: 200,
      endReason: 'caller-bye', mediaEncrypted: true,
    });
    expect(a.openCalls).toBe(0);
  });

  it('gives a rejected call duration 0 and no answer time', () => {
    const a = new CdrAssembler(recordingLog());
    a.accept(started('k2'));
    const r = a.accept({ kind: 'ended', key: 'k2', endAt: at(300), finalStatus: 486, endReason: 'rejected' });
    expect(r).toMatchObject({ answerAt: null, durationS: 0, durationMs: 0, finalStatus: 486, coreCallId: null, coreServer: null });
  });

  it('takes an outbound call public leg from the last routing and leaves core_server empty', () => {
    const a = new CdrAssembler(recordingLog());
    a.accept(started('k3', { direction: 'outbound', publicCallId: '', remoteIp: '', remotePort: 0 }));
    a.accept({ kind: 'routed', key: 'k3', coreCallId: 'c3', peer: '198.51.100.1:5060', publicCallId: 'p3a', remoteIp: '198.51.100.1', remotePort: 5060, transport: 'udp' });
    a.accept({ kind: 'routed', key: 'k3', coreCallId: 'c3', peer: '198.51.100.2:5061', publicCallId: 'p3b', remoteIp: '198.51.100.2', remotePort: 5061, transport: 'tls' });
    const r = a.accept({ kind: 'ended', key: 'k3', endAt: at(100), finalStatus: 503, endReason: 'failed' });
    expect(r).toMatchObject({ callId: 'p3b', coreCallId: 'c3', remoteIp: '198.51.100.2', remotePort: 5061, transport: 'tls', direction: 'out', coreServer: null });
  });

  it('falls back to the core Call-ID when an outbound call never had a public leg', () => {
    const a = new CdrAssembler(recordingLog());
    a.accept(started('k4', { direction: 'outbound', publicCallId: '', remoteIp: '', remotePort: 0 }));
    a.accept({ kind: 'routed', key: 'k4', coreCallId: 'core-4', peer: '' });
    const r = a.accept({ kind: 'ended', key: 'k4', endAt: at(50), finalStatus: 404, endReason: 'rejected' });
    expect(r).toMatchObject({ callId: 'core-4', remoteIp: null, remotePort: null, transport: null });
  });

  it('generates a key, with a warning, when no Call-ID is known at all', () => {
    const log = recordingLog();
    const a = new CdrAssembler(log);
    a.accept(started('k5', { publicCallId: '' }));
    const r = a.accept({ kind: 'ended', key: 'k5', endAt: at(1), finalStatus: 500, endReason: 'failed' });
    expect(r?.callId).toMatch(/^sbc-k5-\d+$/);
    expect(log.warnings).toHaveLength(1);
  });

  it('never gives a negative duration when the clock stepped back', () => {
    const a = new CdrAssembler(recordingLog());
    a.accept(started('k6'));
    a.accept({ kind: 'answered', key: 'k6', answerAt: at(5000), mediaEncrypted: false });
    const r = a.accept({ kind: 'ended', key: 'k6', endAt: at(4000), finalStatus: 200, endReason: 'callee-bye' });
    expect(r).toMatchObject({ durationS: 0, durationMs: 0 });
  });

  it('ignores, with a warning, events for calls it does not know and a second end', () => {
    const log = recordingLog();
    const a = new CdrAssembler(log);
    expect(a.accept({ kind: 'answered', key: 'nope', answerAt: t0, mediaEncrypted: false })).toBeNull();
    a.accept(started('k7'));
    expect(a.accept({ kind: 'ended', key: 'k7', endAt: at(1), finalStatus: 487, endReason: 'cancelled' })).not.toBeNull();
    expect(a.accept({ kind: 'ended', key: 'k7', endAt: at(2), finalStatus: 487, endReason: 'cancelled' })).toBeNull();
    expect(log.warnings).toHaveLength(2);
  });

  it('replaces invalid timestamps instead of throwing into the call logic', () => {
    const log = recordingLog();
    const a = new CdrAssembler(log);
    a.accept(started('k9', { attemptAt: new Date('garbage') }));
    a.accept({ kind: 'answered', key: 'k9', answerAt: new Date(NaN), mediaEncrypted: false });
    const r = a.accept({ kind: 'ended', key: 'k9', endAt: at(10), finalStatus: 200, endReason: 'caller-bye' })!;
    expect(r).toMatchObject({ attemptAt: at(10), answerAt: null, endAt: at(10), durationS: 0 });
    expect(() => fromSpoolLine(toSpoolLine(r))).not.toThrow();
    expect(log.warnings).toHaveLength(2);
  });

  it('stores an address that is not an IP as NULL', () => {
    const log = recordingLog();
    const a = new CdrAssembler(log);
    a.accept(started('k8', { remoteIp: 'carrier.example' }));
    const r = a.accept({ kind: 'ended', key: 'k8', endAt: at(1), finalStatus: 403, endReason: 'rejected' });
    expect(r).toMatchObject({ remoteIp: null, remotePort: null });
    expect(log.warnings).toHaveLength(1);
  });
});

describe('spool line format', () => {
  it('round-trips a record', () => {
    const a = new CdrAssembler(recordingLog());
    a.accept(started('r1'));
    a.accept({ kind: 'answered', key: 'r1', answerAt: at(1000), mediaEncrypted: false });
    const r = a.accept({ kind: 'ended', key: 'r1', endAt: at(3000), finalStatus: 200, endReason: 'caller-bye' })!;
    expect(fromSpoolLine(toSpoolLine(r))).toEqual(r);
  });

  it('rejects torn, foreign and ill-typed lines', () => {
    const a = new CdrAssembler(recordingLog());
    a.accept(started('r2'));
    const line = toSpoolLine(a.accept({ kind: 'ended', key: 'r2', endAt: at(1), finalStatus: 486, endReason: 'rejected' })!);
    expect(() => fromSpoolLine(line.slice(0, 40))).toThrow('not JSON');
    expect(() => fromSpoolLine(line.replace('"v":1', '"v":9'))).toThrow('unknown spool format');
    expect(() => fromSpoolLine(line.replace('"durationS":0', '"durationS":"0"'))).toThrow('durationS');
    expect(() => fromSpoolLine(line.replace('"remoteIp":"203.0.113.20"', '"remoteIp":"x"'))).toThrow('remoteIp');
    expect(() => fromSpoolLine(line.replace(/"endAt":"[^"]*",/, ''))).toThrow('endAt');
  });
});
