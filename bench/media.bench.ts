import { buildRtp, buildTestPayload, generateCryptoAttr, SrtpContext } from '../harness/media/index';
import { timeOps, type BenchResult } from './measure';

/**
 * The suite's SRTP generator: how many packets per second one core protects and checks. A G.711
 * stream is 50 packets/s each way, so this bounds the concurrent SRTP calls one harness process can
 * drive and analyse.
 */
export function srtpBench(): BenchResult[] {
  const attr = generateCryptoAttr();
  const tx = SrtpContext.fromCryptoAttr(attr);
  const rx = SrtpContext.fromCryptoAttr(attr);
  let seq = 1;
  const payload = buildTestPayload({ codec: 'PCMU', streamId: 7, counter: 1 });
  const protect = timeOps(() => {
    tx.protectRtp(buildRtp({ payloadType: 0, sequenceNumber: seq++ & 0xffff, timestamp: seq * 160, ssrc: 0x1234, payload }));
  });
  const tx2 = SrtpContext.fromCryptoAttr(attr);
  let seq2 = 1;
  const roundTrip = timeOps(() => {
    const p = tx2.protectRtp(buildRtp({ payloadType: 0, sequenceNumber: seq2 & 0xffff, timestamp: seq2 * 160, ssrc: 0x4321, payload }));
    seq2++;
    const r = rx.unprotectRtp(p);
    if (!r.ok) throw new Error(`bench packet failed to authenticate: ${r.error.message}`);
  });
  return [
    { name: 'srtp protect (AES_CM_128_HMAC_SHA1_80, 160 B)', value: protect.opsPerSec, unit: 'packets/s', details: { nsPerOp: protect.nsPerOp, streamsAt50pps: Math.floor(protect.opsPerSec / 50) } },
    { name: 'srtp protect+unprotect+auth', value: roundTrip.opsPerSec, unit: 'packets/s', details: { nsPerOp: roundTrip.nsPerOp, bidirectionalCallsAt50pps: Math.floor(roundTrip.opsPerSec / 100) } },
  ];
}
