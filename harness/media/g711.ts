import { MediaError, fail, ok, type MediaResult } from './media-error';

/** The only codecs IN-03 lets through to the core. */
export type G711Codec = 'PCMU' | 'PCMA';

/** Static payload types (RFC 3551 §6). */
export const G711_PAYLOAD_TYPE: Record<G711Codec, number> = { PCMU: 0, PCMA: 8 };

export const G711_CLOCK_RATE = 8000;

export function codecForPayloadType(pt: number): G711Codec | undefined {
  return pt === 0 ? 'PCMU' : pt === 8 ? 'PCMA' : undefined;
}

const ULAW_BIAS = 0x84;
const ULAW_CLIP = 32635;

/** ITU-T G.711 µ-law: 16-bit linear sample to one code octet. */
export function linearToUlaw(sample: number): number {
  let s = Math.max(-32768, Math.min(32767, Math.round(sample)));
  const sign = s < 0 ? 0x80 : 0;
  if (s < 0) s = -s;
  s = Math.min(s, ULAW_CLIP) + ULAW_BIAS;
  const exponent = Math.max(0, Math.min(7, Math.floor(Math.log2(s)) - 7));
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

export function ulawToLinear(code: number): number {
  const u = ~code & 0xff;
  const exponent = (u >> 4) & 0x07;
  const magnitude = ((((u & 0x0f) << 3) + ULAW_BIAS) << exponent) - ULAW_BIAS;
  return u & 0x80 ? -magnitude : magnitude;
}

/** ITU-T G.711 A-law: 16-bit linear sample to one code octet (even bits inverted, 0x55). */
export function linearToAlaw(sample: number): number {
  let s = Math.max(-32768, Math.min(32767, Math.round(sample)));
  const sign = s >= 0 ? 0x80 : 0;
  if (s < 0) s = -s - 1;
  let code: number;
  if (s < 256) {
    code = s >> 4;
  } else {
    const exponent = Math.min(7, Math.floor(Math.log2(s)) - 7);
    code = (exponent << 4) | ((s >> (exponent + 3)) & 0x0f);
  }
  return (sign | code) ^ 0x55;
}

export function alawToLinear(code: number): number {
  const a = code ^ 0x55;
  const exponent = (a >> 4) & 0x07;
  const mantissa = a & 0x0f;
  const magnitude = exponent === 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
  return a & 0x80 ? magnitude : -magnitude;
}

export function encodeG711(codec: G711Codec, samples: ArrayLike<number>): Buffer {
  const encode = codec === 'PCMU' ? linearToUlaw : linearToAlaw;
  const out = Buffer.alloc(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = encode(samples[i]!);
  return out;
}

/*
 * The test payload. An SBC anchoring media in rtpengine may rewrite SSRC, sequence numbers and
 * timestamps, so everything the receiver checks travels inside the payload:
 *
 *   0..1  magic 0x5A 0xA5
 *   2..5  stream id (u32, chosen by the sender)
 *   6..9  packet counter (u32, 0 for the first packet of the stream)
 *   10..n-5  a continuous 440 Hz tone in the stream's codec (audible if played; differs per packet)
 *   n-4..n-1 FNV-1a 32 of octets 0..n-5
 *
 * Any corrupted, truncated, spliced or transcoded payload fails the checksum. Transcoding (e.g.
 * PCMU -> PCMA) is legitimate for some SBCs; the analyser then skips this check (`transcoded`).
 */
const MAGIC = 0x5aa5;
const PREFIX_LENGTH = 10;
const CHECKSUM_LENGTH = 4;
export const MIN_TEST_PAYLOAD_LENGTH = PREFIX_LENGTH + CHECKSUM_LENGTH;
const TONE_HZ = 440;
const TONE_AMPLITUDE = 8000;

export interface TestPayloadInit {
  codec: G711Codec;
  streamId: number;
  counter: number;
  /** Octets (= samples at 8 kHz): 160 for 20 ms. */
  length?: number;
}

export interface TestPayloadInfo {
  streamId: number;
  counter: number;
}

function fnv1a32(buf: Buffer): number {
  let h = 0x811c9dc5;
  for (const byte of buf) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  return h;
}

export function buildTestPayload(init: TestPayloadInit): Buffer {
  const length = init.length ?? 160;
  if (!Number.isInteger(length) || length < MIN_TEST_PAYLOAD_LENGTH) {
    throw new MediaError('bad-option', `test payload of ${length} octets, at least ${MIN_TEST_PAYLOAD_LENGTH}`);
  }
  const toneLength = length - MIN_TEST_PAYLOAD_LENGTH;
  const first = init.counter * length;
  const tone = Array.from({ length: toneLength }, (_, i) =>
    TONE_AMPLITUDE * Math.sin((2 * Math.PI * TONE_HZ * (first + PREFIX_LENGTH + i)) / G711_CLOCK_RATE));
  const out = Buffer.alloc(length);
  out.writeUInt16BE(MAGIC, 0);
  out.writeUInt32BE(init.streamId >>> 0, 2);
  out.writeUInt32BE(init.counter >>> 0, 6);
  encodeG711(init.codec, tone).copy(out, PREFIX_LENGTH);
  out.writeUInt32BE(fnv1a32(out.subarray(0, length - CHECKSUM_LENGTH)), length - CHECKSUM_LENGTH);
  return out;
}

/** Verifies a payload built by buildTestPayload, from the payload alone. */
export function checkTestPayload(payload: Buffer): MediaResult<TestPayloadInfo> {
  if (payload.length < MIN_TEST_PAYLOAD_LENGTH) return fail('payload-too-short', `${payload.length} octets`);
  if (payload.readUInt16BE(0) !== MAGIC) return fail('payload-bad-magic', `0x${payload.readUInt16BE(0).toString(16)}`);
  const end = payload.length - CHECKSUM_LENGTH;
  if (payload.readUInt32BE(end) !== fnv1a32(payload.subarray(0, end))) {
    return fail('payload-bad-checksum', `stream ${payload.readUInt32BE(2)} packet ${payload.readUInt32BE(6)}`);
  }
  return ok({ streamId: payload.readUInt32BE(2), counter: payload.readUInt32BE(6) });
}
