/**
 * Sends the fixed malformed corpus (harness/sip/malformed-corpus.ts) and records what came back per
 * case: over UDP one case at a time from one socket, over TLS each case on its own connection.
 */
import { createSocket } from 'node:dgram';
import { connect as netConnect } from 'node:net';
import { connect } from 'node:tls';
import type { MalformedCase } from '../sip/malformed-corpus';

/** The first line of every answer per case name, matched by Call-ID when the answer carries one of ours. */
export async function sendUdp(cases: MalformedCase[], local: { ip: string; port: number }, target: { ip: string; port: number }): Promise<Map<string, string[]>> {
  const answers = new Map<string, string[]>();
  const sock = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(local.port, local.ip, () => resolve());
  });
  let current = '';
  const byCallId = new Map(cases.filter((c) => c.callId).map((c) => [c.callId!, c.name]));
  sock.on('message', (m) => {
    const text = m.toString('latin1');
    // By Call-ID when the answer carries one of ours (a slow answer is not blamed on the next case).
    const callId = /^(?:Call-ID|i)[ \t]*:[ \t]*(\S+)/im.exec(text)?.[1];
    const name = (callId && byCallId.get(callId)) || current;
    const list = answers.get(name) ?? [];
    list.push(text.split('\r\n')[0] ?? '');
    answers.set(name, list);
  });
  for (const c of cases) {
    current = c.name;
    await new Promise<void>((resolve) => sock.send(c.data, target.port, target.ip, () => resolve()));
    // One case at a time, so that an answer is attributed to the case that caused it.
    await new Promise((r) => setTimeout(r, 150));
  }
  await new Promise<void>((r) => sock.close(() => r()));
  return answers;
}

/** Each TLS case on its own connection: the SBC may close a connection whose framing it cannot trust. */
export async function sendTls(c: MalformedCase, localIp: string, target: { ip: string; port: number }): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const raw = netConnect({ host: target.ip, port: target.port, localAddress: localIp });
    const socket = connect({ socket: raw, rejectUnauthorized: false, minVersion: 'TLSv1.2' });
    raw.on('error', () => undefined);
    const done = (how: string): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(`${how}${got ? `; received ${got.split('\r\n')[0]}` : ''}`);
    };
    const timer = setTimeout(() => done('still open after 2 s'), 2000);
    socket.on('secureConnect', () => socket.write(c.data));
    socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
    socket.on('close', () => done('closed by the SBC'));
    socket.on('error', (err) => done(`error ${(err as NodeJS.ErrnoException).code ?? err.message}`));
  });
}
