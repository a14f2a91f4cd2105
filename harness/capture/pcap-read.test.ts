import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCapture, sipFromTcp, type CapturedPayload } from './pcap-read';
import { arpRequest, icmpPortUnreachable, tcpFrame, udpFrame, writePcap } from './test-pcap';

const dir = mkdtempSync(join(tmpdir(), 'capture-read-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Bare LF line ends and a folded header on purpose: the reader must hand back the bytes, not a repaired message.
const INVITE = [
  'INVITE sip:+31205000001@203.0.113.10:5060 SIP/2.0',
  'Via: SIP/2.0/UDP 203.0.113.21:5062;branch=z9hG4bK-1;rport',
  'From: <sip:+31201110000@203.0.113.21:5062>;tag=a',
  'To: <sip:+31205000001@203.0.113.10:5060>',
  'Call-ID: call-1@203.0.113.21',
  'CSeq: 1 INVITE',
  'Subject: folded',
  '  over two lines',
  'Content-Type: application/sdp',
  'Content-Length: 58',
  '',
  'v=0\r\no=caller 1 1 IN IP4 203.0.113.21\r\nc=IN IP4 203.0.113.21\r\n',
].join('\n');

const OK = 'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 203.0.113.21:5062;branch=z9hG4bK-1\r\nCall-ID: call-1@203.0.113.21\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n';
const OPTIONS = 'OPTIONS sip:203.0.113.10 SIP/2.0\r\nVia: SIP/2.0/TCP 203.0.113.22:40000;branch=z9hG4bK-2\r\nCall-ID: tcp-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 4\r\n\r\nbody';
const BYE = 'BYE sip:203.0.113.10 SIP/2.0\r\nVia: SIP/2.0/TCP 203.0.113.22:40000;branch=z9hG4bK-3\r\nCall-ID: tcp-1\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n';

describe('readCapture on a crafted pcap', () => {
  const file = join(dir, 'crafted.pcap');
  const rtp = Buffer.from([0x80, 0x00, 0, 1, 0, 0, 0, 160, 1, 2, 3, 4, ...Array(160).fill(0xff)]);
  const probe = udpFrame('203.0.113.66', 40001, '203.0.113.10', 5432, 'x');
  const twoMessages = `${OPTIONS}\r\n\r\n${BYE}`;
  const split = twoMessages.length - 30;
  writePcap(file, [
    /* 1 */ udpFrame('203.0.113.21', 5062, '203.0.113.10', 5060, INVITE),
    /* 2 */ udpFrame('203.0.113.10', 5060, '203.0.113.21', 5062, OK),
    /* 3 */ udpFrame('203.0.113.21', 20000, '203.0.113.10', 30000, rtp),
    /* 4 */ tcpFrame('203.0.113.22', 40000, '203.0.113.10', 5060, { seq: 1000, flags: { syn: true } }),
    /* 5 */ tcpFrame('203.0.113.10', 5060, '203.0.113.22', 40000, { seq: 5000, ack: 1001, flags: { syn: true, ack: true } }),
    // The OPTIONS, a keep-alive and the start of the BYE in one segment, the rest of the BYE in the next.
    /* 6 */ tcpFrame('203.0.113.22', 40000, '203.0.113.10', 5060, { seq: 1001, ack: 5001, flags: { ack: true, psh: true }, payload: twoMessages.slice(0, split) }),
    /* 7 */ tcpFrame('203.0.113.22', 40000, '203.0.113.10', 5060, { seq: 1001 + split, ack: 5001, flags: { ack: true, psh: true }, payload: twoMessages.slice(split) }),
    // A retransmission of segment 6 must not duplicate the OPTIONS.
    /* 8 */ tcpFrame('203.0.113.22', 40000, '203.0.113.10', 5060, { seq: 1001, ack: 5001, flags: { ack: true, psh: true }, payload: twoMessages.slice(0, split) }),
    /* 9 */ tcpFrame('203.0.113.10', 5060, '203.0.113.22', 40000, { seq: 5001, ack: 1001, flags: { rst: true } }),
    /* 10 */ probe,
    /* 11 */ icmpPortUnreachable('203.0.113.10', '203.0.113.66', probe),
    /* 12 */ arpRequest('10.20.0.10', '10.20.0.21'),
  ]);

  it('lists every packet as a flow with its protocol, addresses and ports', async () => {
    const { flows } = await readCapture(file);
    expect(flows.map((f) => f.frame)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(flows[0]).toMatchObject({ src: '203.0.113.21', dst: '203.0.113.10', proto: 'udp', srcPort: 5062, dstPort: 5060 });
    expect(flows[0]!.time).toBeCloseTo(1_795_000_000, 3);
    expect(flows[3]).toMatchObject({ proto: 'tcp', tcpFlags: 'S', dstPort: 5060 });
    expect(flows[4]!.tcpFlags).toBe('SA');
    expect(flows[8]!.tcpFlags).toBe('R');
    // The ICMP error quotes a UDP header; its ports are not this packet's.
    expect(flows[10]).toMatchObject({ proto: 'icmp', icmpType: 3, src: '203.0.113.10', dst: '203.0.113.66' });
    expect(flows[10]!.srcPort).toBeUndefined();
    expect(flows[11]).toMatchObject({ proto: 'arp', src: '10.20.0.10', dst: '10.20.0.21' });
  });

  it('returns SIP over UDP byte for byte, and ignores non-SIP datagrams', async () => {
    const { sip, payloads } = await readCapture(file);
    const udp = sip.filter((m) => m.transport === 'udp');
    expect(udp.map((m) => m.text)).toEqual([INVITE, OK]);
    expect(udp[0]).toMatchObject({ frame: 1, src: '203.0.113.21', srcPort: 5062, dst: '203.0.113.10', dstPort: 5060 });
    expect(payloads.find((p) => p.frame === 3)!.payload.equals(rtp)).toBe(true);
  });

  it('frames SIP over TCP across segments, skipping keep-alives and retransmissions', async () => {
    const tcp = (await readCapture(file)).sip.filter((m) => m.transport === 'tcp');
    expect(tcp.map((m) => m.text)).toEqual([OPTIONS, BYE]);
    expect(tcp.map((m) => m.frame)).toEqual([6, 6]);
    expect(tcp[1]!.truncated).toBeUndefined();
  });

  it('reads a capture cut short in the middle of a packet (a live capture) up to the last whole packet', async () => {
    const cut = join(dir, 'cut.pcap');
    const whole = readFileSync(file);
    writeFileSync(cut, whole.subarray(0, whole.length - 10));
    const { flows } = await readCapture(cut);
    expect(flows).toHaveLength(11);
  });

  it('fails with tshark\'s reason on a file that is not a capture', async () => {
    const bad = join(dir, 'bad.pcap');
    writeFileSync(bad, 'not a pcap at all');
    await expect(readCapture(bad)).rejects.toThrow(/tshark could not read/);
  });
});

describe('sipFromTcp', () => {
  const seg = (frame: number, seq: number, payload: string): CapturedPayload => ({
    frame, time: frame, src: '203.0.113.22', dst: '203.0.113.10', transport: 'tcp', srcPort: 40000, dstPort: 5060,
    payload: Buffer.from(payload, 'latin1'), tcpStream: 0, tcpSeq: seq,
  });

  it('orders segments by sequence number and names the frame holding each message\'s first byte', () => {
    const half = 40;
    const out = sipFromTcp([seg(3, 1 + half, BYE.slice(half)), seg(2, 1, BYE.slice(0, half))]);
    expect(out.map((m) => [m.frame, m.text])).toEqual([[2, BYE]]);
  });

  it('takes the new tail of a segment that overlaps bytes already seen', () => {
    const out = sipFromTcp([seg(1, 1, BYE.slice(0, 50)), seg(2, 21, BYE.slice(20))]);
    expect(out.map((m) => m.text)).toEqual([BYE]);
  });

  it('flags a message the capture ended in', () => {
    const out = sipFromTcp([seg(1, 1, OPTIONS.slice(0, OPTIONS.length - 2))]);
    expect(out).toHaveLength(1);
    expect(out[0]!.truncated).toBe(true);
  });
});
