import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseMessage } from '../reference-sbc/src/sip/parser';
import { serializeMessage } from '../reference-sbc/src/sip/serializer';
import { retainedBytesPerOp, timeOps, type BenchResult } from './measure';

const INVITE = Buffer.from(
  [
    'INVITE sip:+31201234567@203.0.113.10:5060 SIP/2.0',
    'Via: SIP/2.0/UDP 203.0.113.20:5062;branch=z9hG4bK-524287-1---0d4b0ac5f3f3c0e2;rport',
    'Max-Forwards: 70',
    'Contact: <sip:+31209876543@203.0.113.20:5062;transport=udp>',
    'To: <sip:+31201234567@203.0.113.10>',
    'From: "Caller" <sip:+31209876543@203.0.113.20>;tag=6a3c1f9e',
    'Call-ID: 4f7c2b1e-9a3d-4e55-8c1a-2b7d9e0f1a2b',
    'CSeq: 1 INVITE',
    'Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO',
    'Supported: replaces, timer',
    'User-Agent: bench',
    'Content-Type: application/sdp',
    'Content-Length: 173',
    '',
    'v=0\r\no=- 3912 3912 IN IP4 203.0.113.20\r\ns=-\r\nc=IN IP4 203.0.113.20\r\nt=0 0\r\nm=audio 20000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n',
  ].join('\r\n'),
);

/** The reference SBC's parser: a typical INVITE with SDP, the RFC 4475 corpus, and what parsing retains. */
export function sbcParserBench(): BenchResult[] {
  const parse = timeOps(() => parseMessage(INVITE));
  const roundTrip = timeOps(() => serializeMessage(parseMessage(INVITE)));
  // What every request costs the B2BUA: parse, then the headers a transaction and dialog need.
  const headerAccess = timeOps(() => {
    const m = parseMessage(INVITE);
    m.topVia();
    m.from();
    m.to();
    m.headers.get('call-id');
  });
  const dir = join(import.meta.dirname, '..', 'reference-sbc', 'test', 'data', 'torture');
  const corpus = readdirSync(dir).filter((f) => f.endsWith('.sip')).map((f) => readFileSync(join(dir, f)));
  let i = 0;
  const torture = timeOps(() => {
    try {
      parseMessage(corpus[i++ % corpus.length]!);
    } catch {
      // invalid messages are part of the corpus: rejecting them is the work measured
    }
  });
  const retained = retainedBytesPerOp(() => parseMessage(INVITE), 50_000);
  return [
    { name: 'sbc parse INVITE+SDP', value: parse.opsPerSec, unit: 'messages/s', details: { nsPerOp: parse.nsPerOp, bytes: INVITE.length } },
    { name: 'sbc parse+serialize INVITE+SDP', value: roundTrip.opsPerSec, unit: 'messages/s', details: { nsPerOp: roundTrip.nsPerOp } },
    { name: 'sbc parse + Via/From/To/Call-ID', value: headerAccess.opsPerSec, unit: 'messages/s', details: { nsPerOp: headerAccess.nsPerOp } },
    { name: 'sbc parse RFC 4475 corpus mix', value: torture.opsPerSec, unit: 'messages/s', details: { nsPerOp: torture.nsPerOp, messages: corpus.length } },
    { name: 'sbc parse retained heap', value: retained, unit: 'bytes/message', details: { messages: 50_000, gcExposed: String(Boolean((globalThis as { gc?: unknown }).gc)) } },
  ];
}
