import { afterEach, describe, expect, it } from 'vitest';
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { SipClient } from './client';
import { SipTimeoutError } from './errors';
import { buildResponse, getHeader, getHeaders } from './message';
import type { SipRequest } from './message';
import { parseMessage } from './parse';
import { delay } from './wait';

const timers = { t1Ms: 40, t2Ms: 160, t4Ms: 100 };
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((f) => f()));
});

/** A UDP peer that records what it gets and answers only through `reply`. */
async function silentPeer(): Promise<{ socket: Socket; port: number; got: Array<{ at: number; msg: SipRequest; port: number }> }> {
  const socket = createSocket('udp4');
  const got: Array<{ at: number; msg: SipRequest; port: number }> = [];
  socket.on('message', (data, rinfo) => got.push({ at: Date.now(), msg: parseMessage(data) as SipRequest, port: rinfo.port }));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise((resolve) => socket.close(() => resolve())));
  return { socket, port: socket.address().port, got };
}

async function client(): Promise<SipClient> {
  const c = await SipClient.udp({ ip: '127.0.0.1', timers });
  cleanup.push(() => c.close());
  return c;
}

function replyTo(socket: Socket, req: SipRequest, port: number, status: number, toTag = 'peer'): void {
  const raw = buildResponse({
    status,
    headers: [
      ...getHeaders(req, 'via').map((v): [string, string] => ['Via', v]),
      ['From', getHeader(req, 'from') ?? ''],
      ['To', `${getHeader(req, 'to') ?? ''};tag=${toTag}`],
      ['Call-ID', getHeader(req, 'call-id') ?? ''],
      ['CSeq', getHeader(req, 'cseq') ?? ''],
      ['Contact', `<sip:peer@127.0.0.1:${socket.address().port}>`],
    ],
  });
  socket.send(raw, port, '127.0.0.1');
}

describe('UDP retransmission', () => {
  it('retransmits an unanswered INVITE with Timer A doubling, then fails with 408 at Timer B', async () => {
    const peer = await silentPeer();
    const uac = await client();
    const call = await uac.invite({ to: `sip:1@127.0.0.1:${peer.port}` });
    const error = await call.waitFinal(5000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SipTimeoutError);
    expect(error).toMatchObject({ code: 'SIP_TIMEOUT', status: 408 });
    // 64*T1 = 2560 ms: sends at 0, 40, 120, 280, 600, 1240, 2520 (the last may slip past Timer B on a busy host).
    expect(peer.got.length).toBeGreaterThanOrEqual(6);
    expect(peer.got.length).toBeLessThanOrEqual(7);
    const gaps = peer.got.slice(1).map((g, i) => g.at - (peer.got[i]?.at ?? 0));
    expect(gaps[0]).toBeGreaterThanOrEqual(30);
    expect(gaps[4]).toBeGreaterThan(gaps[3] ?? 0);
    expect(new Set(peer.got.map((g) => g.msg.raw)).size).toBe(1);
    expect(call.state).toBe('failed');
  });

  it('stops retransmitting the INVITE once a provisional arrives', async () => {
    const peer = await silentPeer();
    const uac = await client();
    const call = await uac.invite({ to: `sip:1@127.0.0.1:${peer.port}` });
    await delay(60);
    const first = peer.got[0];
    if (!first) throw new Error('no INVITE');
    replyTo(peer.socket, first.msg, first.port, 180);
    await call.waitProvisional(180, 1000);
    const count = peer.got.length;
    await delay(400);
    expect(peer.got.length).toBe(count);
  });

  it('caps non-INVITE retransmission at T2 (Timer E)', async () => {
    const peer = await silentPeer();
    const uac = await client();
    const result = await uac.options(`sip:1@127.0.0.1:${peer.port}`).catch((e: unknown) => e);
    expect(result).toMatchObject({ code: 'SIP_TIMEOUT' });
    const gaps = peer.got.slice(1).map((g, i) => g.at - (peer.got[i]?.at ?? 0));
    expect(Math.max(...gaps)).toBeLessThan(timers.t2Ms + 150);
    expect(peer.got.length).toBeGreaterThan(10);
  });

  it('re-sends the ACK when the 2xx is retransmitted, and leaves a late ACK to the test', async () => {
    const peer = await silentPeer();
    const uac = await client();
    const call = await uac.invite({ to: `sip:1@127.0.0.1:${peer.port}`, autoAck: false });
    await delay(20);
    const invite = peer.got[0];
    if (!invite) throw new Error('no INVITE');
    replyTo(peer.socket, invite.msg, invite.port, 200);
    expect((await call.waitFinal(1000)).status).toBe(200);
    await delay(50);
    expect(peer.got.filter((g) => g.msg.method === 'ACK')).toHaveLength(0);
    const ack = await call.ack();
    expect(getHeader(ack, 'cseq')).toBe('1 ACK');
    replyTo(peer.socket, invite.msg, invite.port, 200);
    await delay(50);
    const acks = peer.got.filter((g) => g.msg.method === 'ACK');
    expect(acks).toHaveLength(2);
    expect(acks[1]?.msg.raw).toBe(acks[0]?.msg.raw);
  });

  it('keeps sending its 2xx as UAS until the ACK comes (RFC 3261 §13.3.1.4)', async () => {
    const peer = await silentPeer();
    const uas = await client();
    const invite = [
      'INVITE sip:1@127.0.0.1 SIP/2.0',
      `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bKretr`,
      'From: <sip:a@127.0.0.1>;tag=a1', 'To: <sip:1@127.0.0.1>', 'Call-ID: retr-1', 'CSeq: 5 INVITE',
      `Contact: <sip:a@127.0.0.1:${peer.port}>`, 'Content-Length: 0', '', '',
    ].join('\r\n');
    peer.socket.send(invite, uas.local.port, '127.0.0.1');
    const call = await uas.waitInvite(1000);
    await call.answer('');
    // A retransmitted INVITE is answered with the last response, not taken as a new call.
    peer.socket.send(invite, uas.local.port, '127.0.0.1');
    await expect(uas.waitInvite(50)).rejects.toBeInstanceOf(SipTimeoutError);
    await delay(250);
    const oks = peer.got.filter((g) => g.msg.raw.startsWith('SIP/2.0 200'));
    expect(oks.length).toBeGreaterThanOrEqual(4);
    const toTag = /tag=([^;\s]+)/.exec(getHeader(parseMessage(oks[0]?.msg.raw ?? ''), 'to') ?? '')?.[1];
    const ack = [
      'ACK sip:a@127.0.0.1 SIP/2.0', `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bKack`,
      'From: <sip:a@127.0.0.1>;tag=a1', `To: <sip:1@127.0.0.1>;tag=${toTag}`, 'Call-ID: retr-1', 'CSeq: 5 ACK', 'Content-Length: 0', '', '',
    ].join('\r\n');
    peer.socket.send(ack, uas.local.port, '127.0.0.1');
    await call.waitAck(500);
    const settled = peer.got.length;
    await delay(300);
    expect(peer.got.length).toBe(settled);
  });
});
