import { fail, ok, type MediaResult } from './media-error';

/** RTCP packet types (RFC 3550 §12.1). */
export const RTCP_SR = 200;
export const RTCP_SDES = 202;

export interface SenderReportInit {
  ssrc: number;
  /** Wall-clock time of the report (ms since the Unix epoch), sent as an NTP timestamp. */
  wallClockMs: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  /** SDES CNAME: RFC 3550 §6.1 requires every compound packet to carry one. */
  cname: string;
}

const NTP_UNIX_OFFSET_S = 2_208_988_800;

/** A compound RTCP packet: a sender report with no report blocks, then SDES with the CNAME. */
export function buildSenderReport(init: SenderReportInit): Buffer {
  const sr = Buffer.alloc(28);
  sr[0] = 0x80;
  sr[1] = RTCP_SR;
  sr.writeUInt16BE(sr.length / 4 - 1, 2);
  sr.writeUInt32BE(init.ssrc >>> 0, 4);
  const seconds = Math.floor(init.wallClockMs / 1000);
  const fraction = Math.floor(((init.wallClockMs % 1000) / 1000) * 2 ** 32);
  sr.writeUInt32BE((seconds + NTP_UNIX_OFFSET_S) >>> 0, 8);
  sr.writeUInt32BE(fraction >>> 0, 12);
  sr.writeUInt32BE(init.rtpTimestamp >>> 0, 16);
  sr.writeUInt32BE(init.packetCount >>> 0, 20);
  sr.writeUInt32BE(init.octetCount >>> 0, 24);

  const cname = Buffer.from(init.cname, 'utf8').subarray(0, 255);
  // SSRC, CNAME item (type, length, text), at least one END octet, padded to a 32-bit boundary.
  const body = 4 + 2 + cname.length + 1;
  const sdes = Buffer.alloc(4 + Math.ceil(body / 4) * 4);
  sdes[0] = 0x81;
  sdes[1] = RTCP_SDES;
  sdes.writeUInt16BE(sdes.length / 4 - 1, 2);
  sdes.writeUInt32BE(init.ssrc >>> 0, 4);
  sdes[8] = 1;
  sdes[9] = cname.length;
  cname.copy(sdes, 10);
  return Buffer.concat([sr, sdes]);
}

export interface RtcpHeader {
  packetType: number;
  /** SSRC of the sender of the first packet in the compound. */
  ssrc: number;
  /** Octets of the first packet, from its length field. */
  firstPacketLength: number;
}

/** Reads the first header of a (compound) RTCP packet, trusting nothing in it. */
export function parseRtcpHeader(buf: Buffer): MediaResult<RtcpHeader> {
  if (buf.length < 8) return fail('rtcp-too-short', `${buf.length} octets`);
  if (buf[0]! >> 6 !== 2) return fail('rtcp-bad-version', `version ${buf[0]! >> 6}`);
  const firstPacketLength = (buf.readUInt16BE(2) + 1) * 4;
  if (firstPacketLength > buf.length) {
    return fail('rtcp-too-short', `first packet claims ${firstPacketLength} of ${buf.length} octets`);
  }
  return ok({ packetType: buf[1]!, ssrc: buf.readUInt32BE(4), firstPacketLength });
}
