import { describe, expect, it } from 'vitest';
import type { CapturedPayload } from './pcap-read';
import { parseAppDataRecords, parseFollowOutput, sipFromFollowed, tlsStreams } from './tls-follow';

const hex = (s: string): string => Buffer.from(s, 'latin1').toString('hex');
const OPTIONS = 'OPTIONS sip:203.0.113.10 SIP/2.0\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n';
const OK = 'SIP/2.0 200 OK\r\nContact: <sip:10.20.0.21>\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n';

// tshark 4.0 prints the blocks of several -z follow in reverse order and sometimes cannot name node 1.
const FOLLOW = [
  '',
  '===================================================================',
  'Follow: tls,raw',
  'Filter: tcp.stream eq 3',
  'Node 0: :0',
  'Node 1: :0',
  '===================================================================',
  '',
  '===================================================================',
  'Follow: tls,raw',
  'Filter: tcp.stream eq 1',
  'Node 0: 203.0.113.10:5061',
  'Node 1: :0',
  `\t${hex(OPTIONS.slice(0, 20))}`,
  `\t${hex(OPTIONS.slice(20))}`,
  hex(OK),
  '===================================================================',
].join('\n');

const seg = (frame: number, stream: number, from: 'client' | 'server', first: number): CapturedPayload => {
  const client = { ip: '203.0.113.30', port: 40000 };
  const server = { ip: '203.0.113.10', port: 5061 };
  const [s, d] = from === 'client' ? [client, server] : [server, client];
  return { frame, time: frame, src: s.ip, srcPort: s.port, dst: d.ip, dstPort: d.port, transport: 'tcp', tcpStream: stream, tcpSeq: frame, payload: Buffer.from([first, 3, 3, 0, 1, 0]) };
};

describe('parseFollowOutput', () => {
  it('reads each block by its stream, nodes and directions', () => {
    const [a, b] = parseFollowOutput(FOLLOW);
    expect(a).toEqual({ stream: 3, node0: ':0', node1: ':0', chunks: [] });
    expect(b!.stream).toBe(1);
    expect(b!.node0).toBe('203.0.113.10:5061');
    expect(b!.chunks.map((c) => [c.fromNode0, c.bytes.toString('latin1')])).toEqual([
      [false, OPTIONS.slice(0, 20)],
      [false, OPTIONS.slice(20)],
      [true, OK],
    ]);
  });
});

describe('sipFromFollowed', () => {
  const payloads = [seg(4, 1, 'client', 0x16), seg(5, 1, 'server', 0x16), seg(6, 1, 'client', 0x17), seg(7, 1, 'server', 0x17), seg(9, 3, 'client', 0x16)];

  const client = '203.0.113.30:40000';
  const server = '203.0.113.10:5061';

  it('places each direction\'s messages on the capture\'s endpoints, at the frame of the record holding their first byte', () => {
    const records = parseAppDataRecords([
      `6\t6.5\t1\t203.0.113.30\t40000\t20,22,23,23`,
      `7\t7.5\t1\t203.0.113.10\t5061\t22,22,23`,
      `9\t9.5\t3\t203.0.113.30\t40000\t22`,
    ].join('\n'));
    expect(records).toEqual([
      { stream: 1, frame: 6, time: 6.5, sender: client },
      { stream: 1, frame: 6, time: 6.5, sender: client },
      { stream: 1, frame: 7, time: 7.5, sender: server },
    ]);
    const { sip, decrypted } = sipFromFollowed(parseFollowOutput(FOLLOW), payloads, records);
    expect(decrypted).toBe(1);
    expect(sip.map((m) => [m.frame, m.transport, `${m.src}:${m.srcPort}`, `${m.dst}:${m.dstPort}`, m.text])).toEqual([
      [7, 'tls', server, client, OK],
      [6, 'tls', client, server, OPTIONS],
    ]);
  });

  it('falls back to the first frame of the direction when records and follow lines disagree', () => {
    const { sip } = sipFromFollowed(parseFollowOutput(FOLLOW), payloads, []);
    expect(sip.map((m) => [m.frame, `${m.src}:${m.srcPort}`])).toEqual([[5, server], [4, client]]);
  });

  it('finds the TLS streams by their records', () => {
    expect(tlsStreams([...payloads, { ...seg(10, 8, 'client', 0x16), payload: Buffer.from('OPTIONS sip:x SIP/2.0\r\n') }])).toEqual([1, 3]);
  });
});
