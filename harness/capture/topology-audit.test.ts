import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CapturedPayload, CapturedSip, Flow } from './pcap-read';
import { auditPublicCapture, coreFinder, formatAudit, writeAuditReport, type AuditOptions } from './topology-audit';

const CORE: AuditOptions = {
  coreAddresses: ['10.20.0.10', '10.20.0.21', '10.20.0.22', '10.20.0.23', '10.20.0.53', '10.20.0.54'],
  coreHostNames: ['core.example.internal'],
  sbcAddresses: ['203.0.113.10'],
};

let frame = 0;
function fromSbc(text: string): CapturedSip {
  frame++;
  return { frame, time: 1_795_000_000 + frame, src: '203.0.113.10', srcPort: 5060, dst: '203.0.113.21', dstPort: 5062, transport: 'udp', text };
}

const clean200 = [
  'SIP/2.0 200 OK',
  'Via: SIP/2.0/UDP 203.0.113.21:5062;branch=z9hG4bK-1;rport=5062;received=203.0.113.21',
  'From: <sip:+31201110000@203.0.113.21:5062>;tag=a',
  'To: <sip:+31205000001@203.0.113.10:5060>;tag=sbc-1',
  'Call-ID: call-1@203.0.113.21',
  'CSeq: 1 INVITE',
  'Contact: <sip:sbc@203.0.113.10:5060>',
  'Record-Route: <sip:203.0.113.10;lr>',
  'Server: sbc',
  'Content-Type: application/sdp',
  'Content-Length: 100',
  '',
  'v=0',
  'o=sbc 1 1 IN IP4 203.0.113.10',
  's=-',
  'c=IN IP4 203.0.113.10',
  't=0 0',
  'm=audio 30000 RTP/AVP 0',
  '',
].join('\r\n');

describe('auditPublicCapture', () => {
  it('finds nothing in a message that carries only public addresses', () => {
    const r = auditPublicCapture([fromSbc(clean200)], CORE);
    expect(r.leaks).toEqual([]);
    expect(r.summary).toMatchObject({ sipMessages: 1, fromSbc: 1, notAudited: 0, leaks: 0 });
  });

  it('reports a core address in a Via header with frame, direction, header and value', () => {
    const via = 'SIP/2.0/UDP 10.20.0.10:5060;branch=z9hG4bK-core';
    const msg = fromSbc(clean200.replace('Via: SIP', `Via: ${via}\r\nVia: SIP`));
    const r = auditPublicCapture([msg], CORE);
    expect(r.leaks).toHaveLength(1);
    expect(r.leaks[0]).toMatchObject({
      frame: msg.frame, direction: 'from-sbc', from: '203.0.113.10:5060', to: '203.0.113.21:5062', message: '200 OK (1 INVITE)', where: 'Via', value: via, found: '10.20.0.10',
    });
  });

  it('reports a core address in the SDP c= and o= lines, each on its own', () => {
    const msg = fromSbc(clean200.replace('c=IN IP4 203.0.113.10', 'c=IN IP4 10.20.0.21').replace('o=sbc 1 1 IN IP4 203.0.113.10', 'o=core 1 1 IN IP4 10.20.0.21'));
    const r = auditPublicCapture([msg], CORE);
    expect(r.leaks.map((l) => [l.where, l.value])).toEqual([
      ['SDP o=', 'o=core 1 1 IN IP4 10.20.0.21'],
      ['SDP c=', 'c=IN IP4 10.20.0.21'],
    ]);
  });

  it('reports a core address in a Call-ID, in compact form, and in a request line', () => {
    const bye = [
      'BYE sip:core@10.20.0.22:5060 SIP/2.0',
      'v: SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bK-2',
      'i: 7f3a@10.20.0.22',
      'CSeq: 1 BYE',
      'l: 0',
      '',
      '',
    ].join('\r\n');
    const r = auditPublicCapture([fromSbc(bye)], CORE);
    expect(r.leaks.map((l) => [l.message, l.where, l.found])).toEqual([
      ['BYE sip:core@10.20.0.22:5060', 'request line', '10.20.0.22'],
      ['BYE sip:core@10.20.0.22:5060', 'i', '10.20.0.22'],
    ]);
  });

  it('reports core host names case-insensitively, also inside a longer name, in any header', () => {
    const msg = fromSbc(clean200.replace('Server: sbc', 'Server: pbx1.Core.Example.Internal\r\nWarning: 399 core.example.internal "busy"'));
    const r = auditPublicCapture([msg], CORE);
    expect(r.leaks.map((l) => [l.where, l.found])).toEqual([
      ['Server', 'pbx1.Core.Example.Internal'.slice(5)],
      ['Warning', 'core.example.internal'],
    ]);
  });

  it('does not take a longer address or a name fragment for a core one', () => {
    const msg = fromSbc(clean200.replace('Server: sbc', 'Server: 110.20.0.210 10.20.0.211 10.20.0.2 notcore.example.internalx'));
    expect(auditPublicCapture([msg], CORE).leaks).toEqual([]);
  });

  it('catches any address of a core network when one is given, listed or not', () => {
    const msg = fromSbc(clean200.replace('Server: sbc', 'Server: 10.20.0.99'));
    expect(auditPublicCapture([msg], CORE).leaks).toEqual([]);
    const r = auditPublicCapture([msg], { ...CORE, coreNets: ['10.20.0.0/24'] });
    expect(r.leaks.map((l) => l.found)).toEqual(['10.20.0.99']);
  });

  it('audits lines of a malformed head and a non-SDP body too', () => {
    const text = 'SIP/2.0 486 Busy Here\r\nCSeq: 1 INVITE\r\nthis line has no colon 10.20.0.23\r\nContent-Type: text/plain\r\n\r\ncall core.example.internal';
    const r = auditPublicCapture([fromSbc(text)], CORE);
    expect(r.leaks.map((l) => [l.where, l.found])).toEqual([
      ['malformed line', '10.20.0.23'],
      ['body', 'core.example.internal'],
    ]);
  });

  it('does not audit what public hosts sent, unless no SBC address is given', () => {
    const ack: CapturedSip = { ...fromSbc('ACK sip:core@10.20.0.21 SIP/2.0\r\nCSeq: 1 ACK\r\n\r\n'), src: '203.0.113.21', dst: '203.0.113.10' };
    const r = auditPublicCapture([ack], CORE);
    expect(r.leaks).toEqual([]);
    expect(r.summary).toMatchObject({ sipMessages: 0, notAudited: 1 });
    expect(auditPublicCapture([ack], { ...CORE, sbcAddresses: [] }).leaks.map((l) => [l.direction, l.where])).toEqual([['other', 'request line']]);
  });

  it('audits a message that reached the public side from a core address', () => {
    const fromCore: CapturedSip = { ...fromSbc('SIP/2.0 200 OK\r\nContact: <sip:core@10.20.0.22>\r\nCSeq: 1 OPTIONS\r\n\r\n'), src: '10.20.0.22' };
    const r = auditPublicCapture([fromCore], CORE);
    expect(r.leaks.map((l) => [l.direction, l.where, l.found])).toEqual([['from-core', 'Contact', '10.20.0.22']]);
  });

  it('exempts a core address a public host addressed itself, and nothing else', () => {
    const flows: Flow[] = [
      { frame: 1, time: 1, src: '203.0.113.66', dst: '10.20.0.10', proto: 'tcp', srcPort: 40000, dstPort: 5432, length: 60 },
      { frame: 2, time: 1, src: '10.20.0.10', dst: '203.0.113.66', proto: 'tcp', srcPort: 5432, dstPort: 40000, length: 60, tcpFlags: 'RA' },
      { frame: 3, time: 1, src: '10.20.0.10', dst: '203.0.113.21', proto: 'udp', srcPort: 30000, dstPort: 20000, length: 200 },
    ];
    const answer: CapturedSip = {
      frame: 4, time: 1, src: '10.20.0.10', srcPort: 5060, dst: '203.0.113.66', dstPort: 40001, transport: 'udp',
      text: 'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 203.0.113.66\r\nContact: <sip:10.20.0.10>\r\nServer: pbx at 10.20.0.21\r\nCSeq: 1 OPTIONS\r\n\r\n',
    };
    const r = auditPublicCapture([answer], { ...CORE, flows });
    expect(r.leaks.map((l) => [l.frame, l.where, l.found])).toEqual([
      [3, 'IP source', '10.20.0.10'],
      [4, 'Server', '10.20.0.21'],
    ]);
    // The RST of frame 2 and the answer's Contact.
    expect(r.summary.exempt).toBe(2);
  });

  it('reports core addresses in IP headers and in non-SIP datagrams such as RTCP', () => {
    const flows: Flow[] = [
      { frame: 90, time: 1, src: '10.20.0.10', dst: '203.0.113.21', proto: 'udp', srcPort: 30000, dstPort: 20000, length: 200 },
      { frame: 91, time: 1, src: '203.0.113.10', dst: '203.0.113.21', proto: 'udp', srcPort: 30000, dstPort: 20000, length: 200 },
    ];
    const sdes = Buffer.concat([Buffer.from([0x81, 202, 0, 6, 0, 0, 0, 1, 1, 16]), Buffer.from('core@10.20.0.21'), Buffer.alloc(3)]);
    const rtp = Buffer.from([0x80, 0, 0, 1, 0, 0, 0, 160, 0, 0, 0, 1, 0x31, 0x30, 0x2e, 0x32]);
    const payloads: CapturedPayload[] = [
      { frame: 92, time: 1, src: '203.0.113.10', dst: '203.0.113.21', transport: 'udp', srcPort: 30001, dstPort: 20001, payload: sdes },
      { frame: 93, time: 1, src: '203.0.113.10', dst: '203.0.113.21', transport: 'udp', srcPort: 30000, dstPort: 20000, payload: rtp },
    ];
    const r = auditPublicCapture([], { ...CORE, flows, payloads });
    expect(r.leaks.map((l) => [l.frame, l.direction, l.where, l.found])).toEqual([
      [90, 'from-core', 'IP source', '10.20.0.10'],
      [92, 'from-sbc', 'RTCP packet (e.g. SDES CNAME)', '10.20.0.21'],
    ]);
    expect(r.leaks[1]!.value).toContain('core@10.20.0.21');
    expect(r.summary).toMatchObject({ otherPayloads: 2, packets: 2 });
  });
});

describe('coreFinder', () => {
  it('returns each distinct find once', () => {
    const find = coreFinder({ coreAddresses: ['10.20.0.21'], coreHostNames: [], coreNets: ['10.20.0.0/24'] });
    expect(find('a 10.20.0.21 b 10.20.0.21 c 10.20.0.5')).toEqual(['10.20.0.21', '10.20.0.5']);
  });
});

describe('audit report', () => {
  const dir = mkdtempSync(join(tmpdir(), 'audit-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes JSON and text, the text listing every leak on one line', () => {
    const r = auditPublicCapture([fromSbc(clean200.replace('Server: sbc', 'Server: core-pbx-10.20.0.21'))], CORE);
    const files = writeAuditReport(dir, r, 'public-audit');
    expect(existsSync(files.json)).toBe(true);
    expect(JSON.parse(readFileSync(files.json, 'utf8')).leaks).toHaveLength(1);
    const text = readFileSync(files.text, 'utf8');
    expect(text).toMatch(/1 SIP messages received on the public side \(1 from the SBC; 0 sent by public hosts, not audited\).*; 1 leak of/);
    expect(text).toMatch(/frame \d+ \S+ 203\.0\.113\.10:5060 -> 203\.0\.113\.21:5062 \(from-sbc\) 200 OK \(1 INVITE\): Server: core-pbx-10\.20\.0\.21 {2}\[10\.20\.0\.21\]/);
  });

  it('shortens a long list when asked', () => {
    const many = Array.from({ length: 5 }, () => fromSbc('OPTIONS sip:10.20.0.21 SIP/2.0\r\n\r\n'));
    expect(formatAudit(auditPublicCapture(many, CORE), 2)).toMatch(/\.\.\. and 3 more$/);
  });
});
