/**
 * Interoperability with a real SRTP implementation: rtpengine (userspace) bridges an SRTP leg to a
 * plain leg on loopback, so our SRTP must decrypt in rtpengine and rtpengine's must decrypt here.
 * Skipped when rtpengine is not installed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomInt, randomUUID } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaEndpoint } from './media-endpoint';
import { cryptoAttrValue, firstSupportedCrypto, generateCryptoAttr } from './sdes-crypto';

type Bencode = string | number | Bencode[] | { [key: string]: Bencode };

function bencode(v: Bencode): string {
  if (typeof v === 'number') return `i${v}e`;
  if (typeof v === 'string') return `${Buffer.byteLength(v)}:${v}`;
  if (Array.isArray(v)) return `l${v.map(bencode).join('')}e`;
  return `d${Object.keys(v).sort().map((k) => bencode(k) + bencode(v[k]!)).join('')}e`;
}

function bdecode(buf: Buffer): Bencode {
  let at = 0;
  const next = (): Bencode => {
    const c = String.fromCharCode(buf[at]!);
    if (c === 'i') {
      const end = buf.indexOf('e', at);
      const n = Number(buf.subarray(at + 1, end).toString());
      at = end + 1;
      return n;
    }
    if (c === 'l' || c === 'd') {
      at++;
      const items: Bencode[] = [];
      while (buf[at] !== 0x65) items.push(next());
      at++;
      if (c === 'l') return items;
      const dict: Record<string, Bencode> = {};
      for (let i = 0; i < items.length; i += 2) dict[items[i] as string] = items[i + 1]!;
      return dict;
    }
    const colon = buf.indexOf(':', at);
    const len = Number(buf.subarray(at, colon).toString());
    at = colon + 1 + len;
    return buf.subarray(colon + 1, at).toString();
  };
  return next();
}

async function ng(port: number, command: Record<string, Bencode>): Promise<Record<string, Bencode>> {
  const socket = createSocket('udp4');
  const cookie = randomUUID().slice(0, 8);
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ng answer to ${String(command.command)}`)), 3000);
      socket.on('message', (msg) => {
        const space = msg.indexOf(' ');
        if (msg.subarray(0, space).toString() !== cookie) return;
        clearTimeout(timer);
        resolve(bdecode(msg.subarray(space + 1)) as Record<string, Bencode>);
      });
      socket.send(`${cookie} ${bencode(command)}`, port, '127.0.0.1');
    });
  } finally {
    socket.close();
  }
}

function sdp(port: number, profile: string, crypto?: string): string {
  return [
    'v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
    `m=audio ${port} ${profile} 0`, 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp-mux',
    ...(crypto ? [`a=crypto:${crypto}`] : []), '',
  ].join('\r\n');
}

function mediaOf(sdpText: string): { port: number; profile: string; crypto: string[] } {
  const m = /^m=audio (\d+) (\S+)/m.exec(sdpText);
  if (!m) throw new Error(`no audio in ${sdpText}`);
  return { port: Number(m[1]), profile: m[2]!, crypto: [...sdpText.matchAll(/^a=crypto:(.*)$/gm)].map((x) => x[1]!.trim()) };
}

const installed = spawnSync('rtpengine', ['--version']).status === 0;

describe.skipIf(!installed)('SRTP interop with rtpengine', () => {
  let proc: ChildProcess;
  let ngPort: number;
  let log = '';

  beforeAll(async () => {
    ngPort = randomInt(42000, 42999);
    const portMin = 2 * randomInt(21500, 23000);
    proc = spawn('rtpengine', [
      '--config-file=none', '--foreground', '--log-stderr', '--table=-1', '--interface=127.0.0.1',
      `--listen-ng=127.0.0.1:${ngPort}`, `--port-min=${portMin}`, `--port-max=${portMin + 200}`, '--log-level=6', '--delete-delay=0',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    proc.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    for (let i = 0; i < 50; i++) {
      try {
        await ng(ngPort, { command: 'ping' });
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error(`rtpengine did not answer ping:\n${log}`);
  }, 15000);

  afterAll(async () => {
    if (proc && proc.exitCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    }
  });

  it('bridges our SRTP (both suites) to plain RTP and back across a sequence wrap, every packet authenticated and intact', async () => {
    for (const suite of ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] as const) {
      const phone = await MediaEndpoint.open({ localIp: '127.0.0.1' });
      const core = await MediaEndpoint.open({ localIp: '127.0.0.1' });
      try {
        const callId = randomUUID();
        const ours = generateCryptoAttr({ suite });
        const offer = await ng(ngPort, {
          command: 'offer', 'call-id': callId, 'from-tag': 'phone', sdp: sdp(phone.localPort, 'RTP/SAVP', cryptoAttrValue(ours)),
          'transport-protocol': 'RTP/AVP', ICE: 'remove',
        });
        expect(offer.result, JSON.stringify(offer)).toBe('ok');
        const towardsCore = mediaOf(offer.sdp as string);
        expect(towardsCore.profile).toBe('RTP/AVP');
        const answer = await ng(ngPort, {
          command: 'answer', 'call-id': callId, 'from-tag': 'phone', 'to-tag': 'core', sdp: sdp(core.localPort, 'RTP/AVP'), ICE: 'remove',
        });
        expect(answer.result, JSON.stringify(answer)).toBe('ok');
        const towardsPhone = mediaOf(answer.sdp as string);
        expect(towardsPhone.profile).toBe('RTP/SAVP');
        const theirs = firstSupportedCrypto(towardsPhone.crypto);
        expect(theirs?.suite).toBe(suite);

        await Promise.all([
          phone.start({ remoteIp: '127.0.0.1', remotePort: towardsPhone.port, payloadType: 0, packets: 50, expectPackets: 50, srtp: { send: ours, recv: theirs! }, initialSequence: 65500 }),
          core.start({ remoteIp: '127.0.0.1', remotePort: towardsCore.port, payloadType: 0, packets: 50, expectPackets: 50, initialSequence: 65510 }),
        ]);
        await Promise.all([phone.waitForReceived(50, 3000), core.waitForReceived(50, 3000)]);
        const atCore = core.stats().received;
        const atPhone = phone.stats().received;
        expect(atCore, log.slice(-3000)).toMatchObject({ accepted: 50, payloadCheckFailures: 0, malformed: 0, streamIds: [phone.stats().sent.streamId] });
        expect(atPhone, log.slice(-3000)).toMatchObject({ authenticated: 50, authFailures: 0, accepted: 50, streamIds: [core.stats().sent.streamId] });
        expect(atCore.lost + atPhone.lost).toBe(0);
        await ng(ngPort, { command: 'delete', 'call-id': callId });
      } finally {
        await Promise.all([phone.close(), core.close()]);
      }
    }
  }, 20000);
});
