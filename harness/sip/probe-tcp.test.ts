import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { probeTcp } from './probe-tcp';

const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function listen(onConnection: (socket: Socket) => void): Promise<number> {
  const server = createServer((socket) => {
    sockets.push(socket);
    onConnection(socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

/** A port nobody listens on: bind one, then close it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address ? address.port : 0;
}

describe('probeTcp', () => {
  it('reports a closed port as refused', async () => {
    const result = await probeTcp('127.0.0.1', await closedPort(), 1000);
    expect(result).toMatchObject({ outcome: 'refused', connected: false, errorCode: 'ECONNREFUSED', received: '', sent: '' });
  });

  it('reports a listener that never answers as a timeout, after sending OPTIONS', async () => {
    let heard = '';
    const port = await listen((socket) => socket.on('data', (d: Buffer) => (heard += d.toString())));
    const result = await probeTcp('127.0.0.1', port, 300);
    expect(result).toMatchObject({ outcome: 'timeout', connected: true, received: '' });
    expect(result.elapsedMs).toBeGreaterThanOrEqual(290);
    expect(result.sent).toMatch(/^OPTIONS sip:127\.0\.0\.1:\d+;transport=tcp SIP\/2\.0\r\n/);
    expect(heard).toBe(result.sent);
  });

  it('reports a listener that hangs up without a byte', async () => {
    const port = await listen((socket) => socket.end());
    const result = await probeTcp('127.0.0.1', port, 1000);
    expect(result).toMatchObject({ outcome: 'closed-without-answer', connected: true, received: '' });
  });

  it('reports and returns an answer', async () => {
    const port = await listen((socket) => socket.once('data', () => socket.write('SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n')));
    const result = await probeTcp('127.0.0.1', port, 1000);
    expect(result.outcome).toBe('answered');
    expect(result.received).toBe('SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n');
  });
});
