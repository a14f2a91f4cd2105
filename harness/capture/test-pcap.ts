/**
 * Test helper: builds pcap files packet by packet (Ethernet, IPv4, UDP/TCP/ICMP, ARP), so the reader is
 * tested on exact, known bytes without capturing anything.
 */
import { writeFileSync } from 'node:fs';

const MAC_A = Buffer.from([2, 0, 0, 0, 0, 1]);
const MAC_B = Buffer.from([2, 0, 0, 0, 0, 2]);

function ip4(a: string): Buffer {
  return Buffer.from(a.split('.').map(Number));
}

function checksum(b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < b.length; i += 2) sum += (b[i]! << 8) + (b[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function ipv4Packet(src: string, dst: string, proto: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + payload.length, 2);
  h.writeUInt16BE(0x4000, 6); // don't fragment
  h[8] = 64;
  h[9] = proto;
  ip4(src).copy(h, 12);
  ip4(dst).copy(h, 16);
  h.writeUInt16BE(checksum(h), 10);
  return Buffer.concat([h, payload]);
}

function ethernet(type: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(14);
  MAC_B.copy(h, 0);
  MAC_A.copy(h, 6);
  h.writeUInt16BE(type, 12);
  return Buffer.concat([h, payload]);
}

export function udpFrame(src: string, sport: number, dst: string, dport: number, payload: Buffer | string): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload, 'latin1') : payload;
  const u = Buffer.alloc(8);
  u.writeUInt16BE(sport, 0);
  u.writeUInt16BE(dport, 2);
  u.writeUInt16BE(8 + data.length, 4);
  // Checksum 0: "not computed", valid for UDP over IPv4.
  return ethernet(0x0800, ipv4Packet(src, dst, 17, Buffer.concat([u, data])));
}

export function tcpFrame(
  src: string, sport: number, dst: string, dport: number,
  o: { seq: number; ack?: number; flags: { syn?: boolean; ack?: boolean; fin?: boolean; rst?: boolean; psh?: boolean }; payload?: string },
): Buffer {
  const data = Buffer.from(o.payload ?? '', 'latin1');
  const t = Buffer.alloc(20);
  t.writeUInt16BE(sport, 0);
  t.writeUInt16BE(dport, 2);
  t.writeUInt32BE(o.seq >>> 0, 4);
  t.writeUInt32BE((o.ack ?? 0) >>> 0, 8);
  t[12] = 5 << 4;
  t[13] = (o.flags.fin ? 1 : 0) | (o.flags.syn ? 2 : 0) | (o.flags.rst ? 4 : 0) | (o.flags.psh ? 8 : 0) | (o.flags.ack ? 16 : 0);
  t.writeUInt16BE(65535, 14);
  return ethernet(0x0800, ipv4Packet(src, dst, 6, Buffer.concat([t, data])));
}

/** ICMP port unreachable from `src` about a UDP datagram `quoted` (an Ethernet frame built by udpFrame). */
export function icmpPortUnreachable(src: string, dst: string, quoted: Buffer): Buffer {
  const inner = quoted.subarray(14, 14 + 28 + 8);
  const h = Buffer.alloc(8);
  h[0] = 3;
  h[1] = 3;
  const msg = Buffer.concat([h, inner]);
  msg.writeUInt16BE(checksum(msg), 2);
  return ethernet(0x0800, ipv4Packet(src, dst, 1, msg));
}

export function arpRequest(sender: string, target: string): Buffer {
  const a = Buffer.alloc(28);
  a.writeUInt16BE(1, 0);
  a.writeUInt16BE(0x0800, 2);
  a[4] = 6;
  a[5] = 4;
  a.writeUInt16BE(1, 6);
  MAC_A.copy(a, 8);
  ip4(sender).copy(a, 14);
  ip4(target).copy(a, 24);
  return ethernet(0x0806, a);
}

/** Writes a classic pcap (Ethernet link type) holding `frames`, one per millisecond from `t0` (epoch seconds). */
export function writePcap(file: string, frames: Buffer[], t0 = 1_795_000_000): void {
  const g = Buffer.alloc(24);
  g.writeUInt32LE(0xa1b2c3d4, 0);
  g.writeUInt16LE(2, 4);
  g.writeUInt16LE(4, 6);
  g.writeUInt32LE(262144, 16);
  g.writeUInt32LE(1, 20);
  const records = frames.map((f, i) => {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(t0, 0);
    h.writeUInt32LE(i * 1000, 4);
    h.writeUInt32LE(f.length, 8);
    h.writeUInt32LE(f.length, 12);
    return Buffer.concat([h, f]);
  });
  writeFileSync(file, Buffer.concat([g, ...records]));
}
