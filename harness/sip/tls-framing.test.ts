import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:tls';
import type { Server, TLSSocket } from 'node:tls';
import { SipClient } from './client';
import { buildRequest, buildResponse, getHeader, getHeaders } from './message';
import type { SipMessage, SipRequest } from './message';
import { parseMessage, StreamFramer } from './parse';
import { makeTestPki } from './test-pki';
import type { TestPki } from './test-pki';
import { delay } from './wait';

let pki: TestPki;
let server: Server;
let port = 0;
/** What the raw server got from the client, parsed. */
const got: SipMessage[] = [];
let served = 0;

function okFor(req: SipRequest, body = ''): string {
  return buildResponse({
    status: 200,
    headers: [
      ...getHeaders(req, 'via').map((v): [string, string] => ['Via', v]),
      ['From', getHeader(req, 'from') ?? ''],
      ['To', `${getHeader(req, 'to') ?? ''};tag=srv`],
      ['Call-ID', getHeader(req, 'call-id') ?? ''],
      ['CSeq', getHeader(req, 'cseq') ?? ''],
      ...(body ? [['Content-Type', 'text/plain'] as [string, string]] : []),
    ],
    body,
  });
}

const serverOptions = buildRequest({
  method: 'OPTIONS',
  uri: 'sip:harness@127.0.0.1',
  headers: [
    ['Via', 'SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bKsrv1'], ['From', '<sip:srv@127.0.0.1>;tag=s1'],
    ['To', '<sip:harness@127.0.0.1>'], ['Call-ID', 'srv-options'], ['CSeq', '1 OPTIONS'], ['Max-Forwards', '70'],
  ],
});

/** Answers the client's first OPTIONS together with its own OPTIONS in one write; the next answer in three writes. */
async function serve(socket: TLSSocket, req: SipRequest): Promise<void> {
  served++;
  if (served === 1) {
    socket.write(okFor(req) + serverOptions);
  } else if (served === 2) {
    const bytes = Buffer.from(okFor(req, 'split body ✓'));
    const cuts = [17, bytes.length - 5];
    socket.write(bytes.subarray(0, cuts[0]));
    await delay(30);
    socket.write(bytes.subarray(cuts[0], cuts[1]));
    await delay(30);
    socket.write(bytes.subarray(cuts[1]));
  } else {
    socket.end('SIP/2.0 200 OK\r\nVia: cut');
  }
}

beforeAll(async () => {
  pki = await makeTestPki();
  server = createServer({ cert: pki.cert, key: pki.key, minVersion: 'TLSv1.2' }, (socket) => {
    const framer = new StreamFramer();
    socket.on('data', (chunk: Buffer) => {
      for (const raw of framer.push(chunk)) {
        const msg = parseMessage(raw);
        got.push(msg);
        if (msg.kind === 'request') void serve(socket, msg);
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : 0;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await pki.cleanup();
});

describe('TLS stream framing', () => {
  it('reads two messages from one chunk, one message from three chunks, and records a cut tail', async () => {
    const client = await SipClient.connectTls({ remote: { ip: '127.0.0.1', port }, ca: pki.ca, servername: 'sbc.test' });
    try {
      const first = await client.options('sip:sbc@127.0.0.1', { timeoutMs: 2000 });
      expect(first.status).toBe(200);
      // The OPTIONS that shared the chunk was read and answered by the client.
      await client.waitReceived({ method: 'OPTIONS', callId: 'srv-options' }, 1000);
      await expect.poll(() => got.some((m) => m.kind === 'response' && getHeader(m, 'call-id') === 'srv-options')).toBe(true);

      const second = await client.options('sip:sbc@127.0.0.1', { timeoutMs: 2000 });
      expect(second.status).toBe(200);
      expect(second.body).toBe('split body ✓');
      expect(second.problems).toEqual([]);

      // The peer cuts a message short and hangs up: the pending request fails at once, the tail is evidence.
      const started = Date.now();
      await expect(client.options('sip:sbc@127.0.0.1', { timeoutMs: 5000 })).rejects.toMatchObject({ code: 'SIP_TRANSPORT' });
      expect(Date.now() - started).toBeLessThan(2000);
      expect(client.connected).toBe(false);
      const last = client.ladder.entries[client.ladder.entries.length - 1];
      expect(last?.raw).toBe('SIP/2.0 200 OK\r\nVia: cut');
      expect(last?.message?.problems).toContain('no blank line after the headers');
    } finally {
      await client.close();
    }
  });
});
