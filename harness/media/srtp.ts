import { createHmac, timingSafeEqual } from 'node:crypto';
import { MediaError, fail, ok, type MediaResult } from './media-error';
import { ReplayWindow } from './replay-window';
import { parseRtpHeader, RTP_FIXED_HEADER_LENGTH } from './rtp-packet';
import type { CryptoAttr, Mki, SrtpSuite } from './sdes-crypto';
import { aesCm, deriveSessionKeys, srtpIv, type SessionKeys } from './srtp-kdf';

export interface SrtpContextOptions {
  suite: SrtpSuite;
  masterKey: Buffer;
  masterSalt: Buffer;
  /** When set, every packet carries it between the payload and the tag, and incoming ones must match. */
  mki?: Mki;
  /** Replay list size (RFC 3711 §3.3.2 minimum 64). */
  replayWindowSize?: number;
  /** First SRTCP index this context sends: RFC 3711 §3.4 says 0; libsrtp's first packet carries 1. */
  firstSrtcpIndex?: number;
}

export interface UnprotectedRtp {
  /** The plain RTP packet (header and decrypted payload, without MKI and tag). */
  packet: Buffer;
  ssrc: number;
  /** The 48-bit packet index ROC · 2^16 + SEQ the receiver settled on. */
  index: number;
}

export interface UnprotectedRtcp {
  packet: Buffer;
  ssrc: number;
  /** The 31-bit SRTCP index. */
  index: number;
  /** The E flag: false when the sender left the compound packet unencrypted. */
  encrypted: boolean;
}

/** RTP tag length by suite (RFC 4568 §6.2.1, §6.2.2); SRTCP always uses the 80-bit tag. */
const RTP_TAG_LENGTH: Record<SrtpSuite, number> = {
  AES_CM_128_HMAC_SHA1_80: 10,
  AES_CM_128_HMAC_SHA1_32: 4,
};
const RTCP_TAG_LENGTH = 10;
const SRTCP_INDEX_LENGTH = 4;
const RTCP_HEADER_LENGTH = 8;
const SEQ_MODULUS = 0x10000;

/**
 * RFC 3711 §3.3.1: the rollover counter a packet with `seq` belongs to, given the stream's highest
 * sequence number `highestSeq` under rollover counter `roc`. May return roc − 1 (a late packet from
 * before the last wrap) or roc + 1 (the sequence number wrapped).
 */
export function estimateRoc(roc: number, highestSeq: number, seq: number): number {
  if (highestSeq < 0x8000) return seq - highestSeq > 0x8000 ? roc - 1 : roc;
  return highestSeq - 0x8000 > seq ? roc + 1 : roc;
}

interface RtpStreamState {
  roc: number;
  highestSeq: number;
  replay: ReplayWindow;
}

function uint32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value >>> 0);
  return b;
}

function mkiBytes(mki: Mki): Buffer {
  const b = Buffer.alloc(mki.length);
  let v = mki.value;
  for (let i = mki.length - 1; i >= 0; i--) {
    b[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return b;
}

/**
 * One direction's SRTP + SRTCP cryptographic context for AES_CM_128_HMAC_SHA1_80/_32 with key
 * derivation rate 0 (RFC 3711). It keeps per-SSRC rollover counters and replay lists, so use one
 * context to protect a sender's packets and another, with the same key, to unprotect them.
 * Unprotect never throws on wire data: a forged, replayed or truncated packet comes back as a
 * typed failure, and only authenticated packets move the rollover counter and replay list.
 */
export class SrtpContext {
  readonly suite: SrtpSuite;
  private readonly rtpKeys: SessionKeys;
  private readonly rtcpKeys: SessionKeys;
  private readonly mki: Buffer;
  private readonly tagLength: number;
  private readonly windowSize: number;
  private readonly sendStreams = new Map<number, RtpStreamState>();
  private readonly recvStreams = new Map<number, RtpStreamState>();
  private readonly rtcpReplay = new Map<number, ReplayWindow>();
  private nextSrtcpIndex: number;

  constructor(opts: SrtpContextOptions) {
    if (!(opts.suite in RTP_TAG_LENGTH)) throw new MediaError('bad-option', `unsupported suite ${opts.suite}`);
    this.suite = opts.suite;
    this.rtpKeys = deriveSessionKeys(opts.masterKey, opts.masterSalt, false);
    this.rtcpKeys = deriveSessionKeys(opts.masterKey, opts.masterSalt, true);
    this.mki = opts.mki ? mkiBytes(opts.mki) : Buffer.alloc(0);
    this.tagLength = RTP_TAG_LENGTH[opts.suite];
    this.windowSize = opts.replayWindowSize ?? 128;
    this.nextSrtcpIndex = opts.firstSrtcpIndex ?? 0;
  }

  /** A context for the first key of an SDES attribute. */
  static fromCryptoAttr(attr: CryptoAttr, opts: { replayWindowSize?: number } = {}): SrtpContext {
    const key = attr.keys[0];
    if (!key) throw new MediaError('srtp-bad-key', `crypto attribute ${attr.tag} has no key`);
    return new SrtpContext({
      suite: attr.suite,
      masterKey: key.masterKey,
      masterSalt: key.masterSalt,
      ...(key.mki ? { mki: key.mki } : {}),
      ...(opts.replayWindowSize ? { replayWindowSize: opts.replayWindowSize } : {}),
    });
  }

  /** Octets protect adds to an RTP packet. */
  get rtpOverhead(): number {
    return this.mki.length + this.tagLength;
  }

  private tag(keys: SessionKeys, length: number, ...parts: Buffer[]): Buffer {
    const h = createHmac('sha1', keys.authKey);
    for (const p of parts) h.update(p);
    return h.digest().subarray(0, length);
  }

  private newStream(seq: number): RtpStreamState {
    return { roc: 0, highestSeq: seq, replay: new ReplayWindow(this.windowSize) };
  }

  /** Encrypts and authenticates one of our own RTP packets; throws if it is not RTP. */
  protectRtp(packet: Buffer): Buffer {
    const header = parseRtpHeader(packet);
    if (!header.ok) throw header.error;
    const { ssrc, sequenceNumber: seq, headerLength } = header.value;
    let state = this.sendStreams.get(ssrc);
    if (!state) {
      state = this.newStream(seq);
      this.sendStreams.set(ssrc, state);
    }
    // Our own sender never steps back half the sequence space, so a negative estimate cannot occur.
    const roc = Math.max(0, estimateRoc(state.roc, state.highestSeq, seq));
    const index = roc * SEQ_MODULUS + seq;
    if (index > state.roc * SEQ_MODULUS + state.highestSeq) {
      state.roc = roc;
      state.highestSeq = seq;
    }
    const iv = srtpIv(this.rtpKeys.salt, ssrc, index);
    const encrypted = Buffer.concat([packet.subarray(0, headerLength), aesCm(this.rtpKeys.encryptionKey, iv, packet.subarray(headerLength))]);
    return Buffer.concat([encrypted, this.mki, this.tag(this.rtpKeys, this.tagLength, encrypted, uint32(roc))]);
  }

  /** Authenticates, replay-checks and decrypts an SRTP packet from the wire. */
  unprotectRtp(packet: Buffer): MediaResult<UnprotectedRtp> {
    const authEnd = packet.length - this.rtpOverhead;
    if (authEnd < RTP_FIXED_HEADER_LENGTH) return fail('srtp-too-short', `${packet.length} octets`);
    const header = parseRtpHeader(packet, authEnd);
    if (!header.ok) return header;
    if (!packet.subarray(authEnd, authEnd + this.mki.length).equals(this.mki)) {
      return fail('srtp-bad-mki', 'the packet carries another key identifier');
    }
    const { ssrc, sequenceNumber: seq, headerLength } = header.value;
    const known = this.recvStreams.get(ssrc);
    const state = known ?? this.newStream(seq);
    const roc = estimateRoc(state.roc, state.highestSeq, seq);
    if (roc < 0) return fail('srtp-too-old', `sequence ${seq} would precede the start of the stream`);
    const index = roc * SEQ_MODULUS + seq;
    const verdict = state.replay.check(index);
    if (verdict !== 'fresh') return fail(verdict === 'replayed' ? 'srtp-replayed' : 'srtp-too-old', `index ${index}`);

    const authed = packet.subarray(0, authEnd);
    const expected = this.tag(this.rtpKeys, this.tagLength, authed, uint32(roc));
    const received = packet.subarray(packet.length - this.tagLength);
    if (!timingSafeEqual(expected, received)) return fail('srtp-auth-failed', `ssrc ${ssrc} index ${index}`);

    state.replay.commit(index);
    if (index > state.roc * SEQ_MODULUS + state.highestSeq) {
      state.roc = roc;
      state.highestSeq = seq;
    }
    if (!known) this.recvStreams.set(ssrc, state);
    const iv = srtpIv(this.rtpKeys.salt, ssrc, index);
    const plain = Buffer.concat([packet.subarray(0, headerLength), aesCm(this.rtpKeys.encryptionKey, iv, packet.subarray(headerLength, authEnd))]);
    return ok({ packet: plain, ssrc, index });
  }

  /** Encrypts and authenticates one of our own (compound) RTCP packets, E flag set (RFC 3711 §3.4). */
  protectRtcp(packet: Buffer): Buffer {
    if (packet.length < RTCP_HEADER_LENGTH) throw new MediaError('rtcp-too-short', `${packet.length} octets`);
    const index = this.nextSrtcpIndex;
    this.nextSrtcpIndex = (index + 1) % 2 ** 31;
    const ssrc = packet.readUInt32BE(4);
    const iv = srtpIv(this.rtcpKeys.salt, ssrc, index);
    const eIndex = uint32((0x80000000 | index) >>> 0);
    const authed = Buffer.concat([packet.subarray(0, RTCP_HEADER_LENGTH), aesCm(this.rtcpKeys.encryptionKey, iv, packet.subarray(RTCP_HEADER_LENGTH)), eIndex]);
    return Buffer.concat([authed, this.mki, this.tag(this.rtcpKeys, RTCP_TAG_LENGTH, authed)]);
  }

  /** Authenticates, replay-checks and (when E is set) decrypts an SRTCP packet from the wire. */
  unprotectRtcp(packet: Buffer): MediaResult<UnprotectedRtcp> {
    const authEnd = packet.length - this.mki.length - RTCP_TAG_LENGTH;
    const indexAt = authEnd - SRTCP_INDEX_LENGTH;
    if (indexAt < RTCP_HEADER_LENGTH) return fail('srtp-too-short', `${packet.length} octets of SRTCP`);
    if (packet[0]! >> 6 !== 2) return fail('rtcp-bad-version', `version ${packet[0]! >> 6}`);
    if (!packet.subarray(authEnd, authEnd + this.mki.length).equals(this.mki)) {
      return fail('srtp-bad-mki', 'the packet carries another key identifier');
    }
    const ssrc = packet.readUInt32BE(4);
    const eIndex = packet.readUInt32BE(indexAt);
    const index = eIndex & 0x7fffffff;
    const encrypted = eIndex >>> 31 === 1;
    const replay = this.rtcpReplay.get(ssrc) ?? new ReplayWindow(this.windowSize);
    const verdict = replay.check(index);
    if (verdict !== 'fresh') return fail(verdict === 'replayed' ? 'srtp-replayed' : 'srtp-too-old', `SRTCP index ${index}`);
    const expected = this.tag(this.rtcpKeys, RTCP_TAG_LENGTH, packet.subarray(0, authEnd));
    if (!timingSafeEqual(expected, packet.subarray(packet.length - RTCP_TAG_LENGTH))) {
      return fail('srtp-auth-failed', `SRTCP ssrc ${ssrc} index ${index}`);
    }
    replay.commit(index);
    this.rtcpReplay.set(ssrc, replay);
    const body = packet.subarray(RTCP_HEADER_LENGTH, indexAt);
    const plainBody = encrypted ? aesCm(this.rtcpKeys.encryptionKey, srtpIv(this.rtcpKeys.salt, ssrc, index), body) : body;
    return ok({ packet: Buffer.concat([packet.subarray(0, RTCP_HEADER_LENGTH), plainBody]), ssrc, index, encrypted });
  }
}
