import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { sendUdp } from './malformed-send';

let peer: Socket | undefined;
afterEach(() => new Promise<void>((r) => (peer ? peer.close(() => r()) : r())));

describe('the fixed malformed corpus over UDP', () => {
  it('attributes each answer to its case: by Call-ID when it carries one, else to the case just sent', async () => {
    peer = createSocket('udp4');
    await new Promise<void>((r) => peer!.bind(0, '127.0.0.1', () => r()));
    const port = peer.address().port;
    // A slow answer to the first case arrives while the second is current: its Call-ID names the first.
    peer.on('message', (m, from) => {
      const text = m.toString('latin1');
      if (text.startsWith('FIRST')) setTimeout(() => peer!.send('SIP/2.0 400 Bad Request\r\nCall-ID: c-first\r\n\r\n', from.port, from.address), 200);
      if (text.startsWith('THIRD')) peer!.send('SIP/2.0 413 Request Entity Too Large\r\n\r\n', from.port, from.address);
    });
    const cases = [
      { name: 'first', transport: 'udp' as const, data: Buffer.from('FIRST'), callId: 'c-first' },
      { name: 'second', transport: 'udp' as const, data: Buffer.from('SECOND') },
      { name: 'third', transport: 'udp' as const, data: Buffer.from('THIRD') },
    ];
    const answers = await sendUdp(cases, { ip: '127.0.0.1', port: 0 }, { ip: '127.0.0.1', port });
    expect(answers.get('first')).toEqual(['SIP/2.0 400 Bad Request']);
    expect(answers.get('second')).toBeUndefined();
    expect(answers.get('third')).toEqual(['SIP/2.0 413 Request Entity Too Large']);
  });
});
