import { MediaError, fail, ok, type MediaResult } from './media-error';

/** RFC 3550 §5.3.1 header extension: a 16-bit profile word and data padded to 32-bit words. */
export interface RtpHeaderExtension {
  profile: number;
  /** Length must be a multiple of 4 (the wire length field counts 32-bit words). */
  data: Buffer;
}

export interface RtpPacketInit {
  marker?: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  csrcs?: readonly number[];
  extension?: RtpHeaderExtension;
  payload: Buffer;
  /** Padding octets to append (1..255, the last one holding the count); 0 or absent: none. */
  paddingLength?: number;
}

/** A parsed RTP packet (RFC 3550 §5.1). `payload` excludes padding; buffers are views of the input. */
export interface RtpPacket {
  version: 2;
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  csrcs: number[];
  extension?: RtpHeaderExtension;
  payload: Buffer;
  paddingLength: number;
  /** Octets before the payload: 12 + 4·CC + the extension; SRTP encrypts from here on. */
  headerLength: number;
}

export const RTP_FIXED_HEADER_LENGTH = 12;

function checkUint(name: string, value: number, bits: number): void {
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** bits) {
    throw new MediaError('rtp-bad-field', `${name} ${value} does not fit in ${bits} bits`);
  }
}

/** Serialises an RTP packet; throws MediaError('rtp-bad-field') on values that cannot be encoded. */
export function buildRtp(init: RtpPacketInit): Buffer {
  const csrcs = init.csrcs ?? [];
  const padding = init.paddingLength ?? 0;
  checkUint('payload type', init.payloadType, 7);
  checkUint('sequence number', init.sequenceNumber, 16);
  checkUint('timestamp', init.timestamp, 32);
  checkUint('ssrc', init.ssrc, 32);
  checkUint('padding length', padding, 8);
  if (csrcs.length > 15) throw new MediaError('rtp-bad-field', `${csrcs.length} CSRCs, at most 15`);
  csrcs.forEach((c, i) => checkUint(`csrc[${i}]`, c, 32));
  const ext = init.extension;
  if (ext) {
    checkUint('extension profile', ext.profile, 16);
    if (ext.data.length % 4 !== 0 || ext.data.length / 4 >= 2 ** 16) {
      throw new MediaError('rtp-bad-field', `extension data of ${ext.data.length} octets is not a 16-bit count of words`);
    }
  }

  const headerLength = RTP_FIXED_HEADER_LENGTH + 4 * csrcs.length + (ext ? 4 + ext.data.length : 0);
  const out = Buffer.alloc(headerLength + init.payload.length + padding);
  out[0] = 0x80 | (padding > 0 ? 0x20 : 0) | (ext ? 0x10 : 0) | csrcs.length;
  out[1] = (init.marker ? 0x80 : 0) | init.payloadType;
  out.writeUInt16BE(init.sequenceNumber, 2);
  out.writeUInt32BE(init.timestamp, 4);
  out.writeUInt32BE(init.ssrc, 8);
  let at = RTP_FIXED_HEADER_LENGTH;
  for (const c of csrcs) {
    out.writeUInt32BE(c, at);
    at += 4;
  }
  if (ext) {
    out.writeUInt16BE(ext.profile, at);
    out.writeUInt16BE(ext.data.length / 4, at + 2);
    ext.data.copy(out, at + 4);
    at += 4 + ext.data.length;
  }
  init.payload.copy(out, at);
  if (padding > 0) out[out.length - 1] = padding;
  return out;
}

/** The header fields of an RTP packet, up to where the payload starts. */
export type RtpHeader = Omit<RtpPacket, 'payload' | 'paddingLength'> & { padding: boolean };

/**
 * Parses the header only, ignoring octets from `end` on. SRTP needs this: there the padding count
 * sits in the encrypted part, so only the header can be read before decryption.
 */
export function parseRtpHeader(buf: Buffer, end = buf.length): MediaResult<RtpHeader> {
  if (end < RTP_FIXED_HEADER_LENGTH) return fail('rtp-too-short', `${buf.length} octets`);
  const b0 = buf[0]!;
  const b1 = buf[1]!;
  if (b0 >> 6 !== 2) return fail('rtp-bad-version', `version ${b0 >> 6}`);
  const cc = b0 & 0x0f;
  let at = RTP_FIXED_HEADER_LENGTH + 4 * cc;
  if (at > end) return fail('rtp-bad-csrc-count', `${cc} CSRCs do not fit in ${end} octets`);
  const csrcs: number[] = [];
  for (let i = 0; i < cc; i++) csrcs.push(buf.readUInt32BE(RTP_FIXED_HEADER_LENGTH + 4 * i));

  let extension: RtpHeaderExtension | undefined;
  if (b0 & 0x10) {
    if (at + 4 > end) return fail('rtp-bad-extension', 'extension header truncated');
    const words = buf.readUInt16BE(at + 2);
    const dataEnd = at + 4 + 4 * words;
    if (dataEnd > end) return fail('rtp-bad-extension', `extension of ${words} words overruns the packet`);
    extension = { profile: buf.readUInt16BE(at), data: buf.subarray(at + 4, dataEnd) };
    at = dataEnd;
  }
  return ok({
    version: 2,
    padding: (b0 & 0x20) !== 0,
    marker: (b1 & 0x80) !== 0,
    payloadType: b1 & 0x7f,
    sequenceNumber: buf.readUInt16BE(2),
    timestamp: buf.readUInt32BE(4),
    ssrc: buf.readUInt32BE(8),
    csrcs,
    ...(extension ? { extension } : {}),
    headerLength: at,
  });
}

/**
 * Parses an RTP packet without trusting any length in it. `trailerLength` octets at the end are
 * ignored (the SRTP MKI and tag, which follow the padding).
 */
export function parseRtp(buf: Buffer, trailerLength = 0): MediaResult<RtpPacket> {
  const end = buf.length - trailerLength;
  const parsed = parseRtpHeader(buf, end);
  if (!parsed.ok) return parsed;
  const { padding, ...header } = parsed.value;
  const at = header.headerLength;
  let paddingLength = 0;
  if (padding) {
    if (end === at) return fail('rtp-bad-padding', 'padding bit set but no octets follow the header');
    paddingLength = buf[end - 1]!;
    if (paddingLength === 0 || at + paddingLength > end) {
      return fail('rtp-bad-padding', `padding count ${paddingLength} with ${end - at} octets after the header`);
    }
  }
  return ok({ ...header, payload: buf.subarray(at, end - paddingLength), paddingLength });
}

/**
 * RFC 5761 §4 demultiplexing: with rtcp-mux, RTCP packet types 192..223 show as second octets whose
 * low 7 bits fall in 64..95, which no dynamic or static RTP payload type in use occupies.
 */
export function looksLikeRtcp(buf: Buffer): boolean {
  if (buf.length < 8 || buf[0]! >> 6 !== 2) return false;
  const pt = buf[1]! & 0x7f;
  return pt >= 64 && pt <= 95;
}
