import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blast, silenceOnset } from './udp-blaster';

/** A responder on loopback that answers 200 until it has seen `answerUpTo` requests, then goes silent. */
describe('UDP blaster', () => {
  let server: Socket;
  let port = 0;
  let seen = 0;
  const answerUpTo = 30;

  beforeAll(async () => {
    server = createSocket('udp4');
    server.on('message', (msg, rinfo) => {
      seen++;
      if (seen > answerUpTo) return;
      const callId = /^Call-ID: (\S+)/m.exec(msg.toString())?.[1] ?? '';
      server.send(Buffer.from(`SIP/2.0 200 OK\r\nCall-ID: ${callId}\r\nContent-Length: 0\r\n\r\n`), rinfo.port, rinfo.address);
    });
    await new Promise<void>((r) => server.bind(0, '127.0.0.1', () => r()));
    port = server.address().port;
  });

  afterAll(() => server.close());

  it('paces the requests, matches answers by Call-ID and finds where the answers stopped', async () => {
    const result = await blast({
      localIp: '127.0.0.1',
      target: { ip: '127.0.0.1', port },
      ratePerS: 200,
      durationMs: 500,
      settleMs: 200,
      build: (i, local) => ({
        callId: `blast-${i}`,
        method: 'OPTIONS',
        data: Buffer.from(`OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP ${local.ip}:${local.port}\r\nCall-ID: blast-${i}\r\nContent-Length: 0\r\n\r\n`),
      }),
    });
    expect(result.records).toHaveLength(100);
    expect(result.endedAt - result.startedAt).toBeGreaterThanOrEqual(450);
    expect(result.endedAt - result.startedAt).toBeLessThan(900);
    const onset = silenceOnset(result);
    expect(onset.answered).toBe(answerUpTo);
    expect(onset.first?.index).toBe(answerUpTo);
    expect(onset.silent).toBe(70);
    expect(onset.afterMs).toBeGreaterThanOrEqual(100);
    expect(onset.afterMs).toBeLessThan(300);
  });

  it('reports no onset when the last request was answered', () => {
    const r = (i: number, answered: boolean) => ({ index: i, method: 'OPTIONS', callId: `${i}`, sentAt: i, answers: answered ? [{ status: 200, at: i }] : [] });
    expect(silenceOnset({ startedAt: 0, records: [r(0, false), r(1, true)] })).toEqual({ silent: 0, answered: 1, unanswered: 1 });
    expect(silenceOnset({ startedAt: 0, records: [r(0, true), r(1, false), r(2, true), r(3, false)] })).toMatchObject({ afterMs: 3, silent: 1 });
  });
});
