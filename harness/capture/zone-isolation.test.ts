import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import type { Flow } from './pcap-read';
import { auditCoreCapture, formatCoreFinding, probePayload, probeUdp } from './zone-isolation';

const ZONES = { coreServers: ['10.20.0.21', '10.20.0.22', '10.20.0.23', '10.20.0.53', '10.20.0.54'], sbcCore: '10.20.0.10', publicNets: ['203.0.113.0/24'] };

let n = 0;
const flow = (src: string, dst: string, extra: Partial<Flow> = {}): Flow => ({ frame: ++n, time: 1_795_000_000, src, dst, proto: 'udp', srcPort: 5060, dstPort: 5060, length: 100, ...extra });

describe('auditCoreCapture', () => {
  it('accepts traffic between the SBC\'s core address and the core servers, and among the servers', () => {
    const r = auditCoreCapture([flow('10.20.0.10', '10.20.0.21'), flow('10.20.0.21', '10.20.0.10'), flow('10.20.0.21', '10.20.0.54'), flow('10.20.0.10', '10.20.0.21', { proto: 'arp' })], ZONES);
    expect(r).toMatchObject({ checked: 4, fromSbc: 2, findings: [] });
  });

  it('ignores loopback (capture markers) and IPv6 link-local control traffic', () => {
    const r = auditCoreCapture([flow('127.0.0.1', '127.0.0.1'), flow('fe80::1', 'ff02::2', { proto: 'icmpv6' }), flow('::', 'ff02::16', { proto: 'ip-0' })], ZONES);
    expect(r).toMatchObject({ checked: 0, ignored: 3, findings: [] });
  });

  it('flags a public source address anywhere in the core zone, and any other outside source', () => {
    const r = auditCoreCapture([flow('203.0.113.66', '10.20.0.21', { dstPort: 5432 }), flow('10.20.0.99', '10.20.0.53', { proto: 'icmp', srcPort: undefined, dstPort: undefined }), flow('2001:db8::1', '10.20.0.21')], ZONES);
    expect(r.findings.map((f) => [f.src, f.reason])).toEqual([
      ['203.0.113.66', 'public-source'],
      ['10.20.0.99', 'not-from-sbc'],
      ['2001:db8::1', 'not-from-sbc'],
    ]);
    expect(formatCoreFinding(r.findings[0]!)).toMatch(/udp 203\.0\.113\.66 -> 10\.20\.0\.21 5060 -> 5432: a public source address in the core zone/);
  });
});

describe('probePayload', () => {
  it('speaks each service\'s protocol so that silence means unreachable', () => {
    expect(probePayload(5060, '10.20.0.21', '203.0.113.66').toString()).toMatch(/^OPTIONS sip:10\.20\.0\.21:5060 SIP\/2\.0\r\n[\s\S]*Via: SIP\/2\.0\/UDP 203\.0\.113\.66;/);
    const dns = probePayload(53, '10.20.0.53');
    expect(dns.readUInt16BE(4)).toBe(1); // one question
    expect(dns.subarray(12).toString('latin1')).toContain('\x04e164\x04arpa\x00');
    expect([...probePayload(5432, '10.20.0.54')]).toEqual([0, 0, 0, 8, 4, 210, 22, 47]);
  });
});

describe('probeUdp on loopback', () => {
  const sockets: Socket[] = [];
  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
  });
  const listen = async (answer: boolean): Promise<number> => {
    const s = createSocket('udp4');
    sockets.push(s);
    if (answer) s.on('message', (m, from) => s.send(`SIP/2.0 200 OK\r\n\r\n(${m.length} bytes)`, from.port, from.address));
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    return s.address().port;
  };

  it('reports an answer with what came back', async () => {
    const port = await listen(true);
    const r = await probeUdp('127.0.0.1', port, 2000, { localIp: '127.0.0.1' });
    expect(r.outcome).toBe('answered');
    expect(r.received).toMatch(/^SIP\/2\.0 200 OK/);
  });

  it('reports silence as no answer after the timeout', async () => {
    const port = await listen(false);
    const r = await probeUdp('127.0.0.1', port, 300);
    expect(r).toMatchObject({ outcome: 'no-answer', target: `127.0.0.1:${port}` });
    expect(r.elapsedMs).toBeGreaterThanOrEqual(290);
  });

  it('reports an ICMP port unreachable as refused', async () => {
    const port = await listen(false);
    sockets.pop()!.close();
    const r = await probeUdp('127.0.0.1', port, 2000);
    expect(r).toMatchObject({ outcome: 'refused', errorCode: 'ECONNREFUSED' });
  });
});
