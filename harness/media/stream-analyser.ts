import { checkTestPayload, G711_CLOCK_RATE } from './g711';
import { looksLikeRtcp, parseRtp } from './rtp-packet';
import type { CryptoAttr } from './sdes-crypto';
import { estimateRoc, SrtpContext } from './srtp';

export interface AnalyserOptions {
  /** The key the peer protects its media with: every packet must then authenticate as SRTP. */
  srtp?: CryptoAttr;
  /**
   * The SBC may transcode (e.g. PCMU <-> PCMA): skip the payload check and count loss, duplicates
   * and order by RTP sequence number instead of the counter embedded in the payload.
   */
  transcoded?: boolean;
  /** Packets the peer will send in all: makes `lost` count a lost tail too. */
  expectedPackets?: number;
  /** RTP clock rate for jitter (8000 for G.711). */
  clockRate?: number;
}

export interface SourceSeen {
  address: string;
  port: number;
  packets: number;
}

/** What arrived. See README.md for each field's exact meaning. */
export interface ReceiveStats {
  /** Datagrams that were not RTCP (so: RTP, SRTP or garbage). */
  received: number;
  /** SRTP packets whose tag verified (0 without SRTP). */
  authenticated: number;
  /** SRTP packets whose tag did not verify (wrong key, tampering, or plain RTP where SRTP was due). */
  authFailures: number;
  /** SRTP packets the replay list refused (a replay or older than the window); never decrypted. */
  replayRejected: number;
  /** Datagrams that are not RTP at all (after SRTP decryption when used). */
  malformed: number;
  /** Unique packets that passed SRTP (when used) and the payload check (unless transcoded). */
  accepted: number;
  /** Second copies of a packet already accepted, or replay-rejected SRTP packets. */
  duplicates: number;
  /** Accepted packets that arrived after a later one of their stream. */
  outOfOrder: number;
  /** `expectedPackets`, else per stream the highest counter + 1 (highest − lowest + 1 in transcoded mode). */
  expected: number;
  /** expected − accepted (never negative). */
  lost: number;
  /** RFC 3550 §6.4.1 interarrival jitter estimate, in milliseconds. */
  jitterMs: number;
  /** Payloads that failed the integrity check (checked only when not transcoded). */
  payloadCheckFailures: number;
  /** Wall-clock ms (Date.now()) of the first and last non-RTCP datagram. */
  firstArrivalMs?: number;
  lastArrivalMs?: number;
  /** Every address:port any datagram (RTP or RTCP) came from, in order of first appearance. */
  sources: SourceSeen[];
  ssrcs: number[];
  payloadTypes: number[];
  /** Stream ids found in test payloads (one per sending peer, usually). */
  streamIds: number[];
  rtcp: { received: number; authenticated: number; authFailures: number };
}

export interface Arrival {
  address: string;
  port: number;
  /** Date.now() at arrival. */
  wallMs: number;
  /** A monotonic clock (performance.now()) at arrival, for jitter. */
  monoMs: number;
}

interface Sequence {
  seen: Set<number>;
  lowest: number;
  highest: number;
}

/** Extends 16-bit sequence numbers per SSRC (RFC 3550 Appendix A.1), for transcoded mode. */
interface SeqExtender {
  cycles: number;
  highest: number;
}

const MAX_PENDING = 5000;

/**
 * Counts and checks one endpoint's incoming media. It holds no socket: feed it datagrams. Until
 * configure() is called it only buffers them, because a peer (rtpengine) may send before the
 * answer that tells us its key has been processed.
 */
export class StreamAnalyser {
  private opts?: AnalyserOptions;
  private srtp?: SrtpContext;
  private pending: Array<[Buffer, Arrival]> = [];
  private pendingMedia = 0;
  private readonly sources = new Map<string, SourceSeen>();
  private readonly sequences = new Map<number, Sequence>();
  private readonly extenders = new Map<number, SeqExtender>();
  private readonly ssrcs = new Set<number>();
  private readonly payloadTypes = new Set<number>();
  private readonly streamIds = new Set<number>();
  private jitterState?: { ssrc: number; transit: number; jitter: number };
  private readonly counts = {
    received: 0, authenticated: 0, authFailures: 0, replayRejected: 0, malformed: 0, accepted: 0,
    duplicates: 0, outOfOrder: 0, payloadCheckFailures: 0,
  };
  private readonly rtcp = { received: 0, authenticated: 0, authFailures: 0 };
  private firstArrivalMs?: number;
  private lastArrivalMs?: number;

  constructor(opts?: AnalyserOptions) {
    if (opts) this.configure(opts);
  }

  get configured(): boolean {
    return this.opts !== undefined;
  }

  /** Non-RTCP datagrams so far, including those buffered before configure(). */
  get arrived(): number {
    return this.counts.received + this.pendingMedia;
  }

  /** Sets what to expect and processes what was buffered so far. Only the first call counts. */
  configure(opts: AnalyserOptions): void {
    if (this.opts) return;
    this.opts = opts;
    if (opts.srtp) this.srtp = SrtpContext.fromCryptoAttr(opts.srtp);
    const pending = this.pending;
    this.pending = [];
    this.pendingMedia = 0;
    for (const [buf, at] of pending) this.feed(buf, at);
  }

  feed(buf: Buffer, at: Arrival): void {
    if (!this.opts) {
      if (this.pending.length < MAX_PENDING) {
        this.pending.push([buf, at]);
        if (!looksLikeRtcp(buf)) this.pendingMedia++;
      }
      return;
    }
    const key = `${at.address}:${at.port}`;
    const source = this.sources.get(key) ?? { address: at.address, port: at.port, packets: 0 };
    source.packets++;
    this.sources.set(key, source);

    if (looksLikeRtcp(buf)) {
      this.rtcp.received++;
      if (this.srtp) {
        const r = this.srtp.unprotectRtcp(buf);
        if (r.ok) this.rtcp.authenticated++;
        else if (r.error.code === 'srtp-auth-failed') this.rtcp.authFailures++;
      }
      return;
    }

    this.counts.received++;
    this.firstArrivalMs ??= at.wallMs;
    this.lastArrivalMs = at.wallMs;
    let plain = buf;
    if (this.srtp) {
      const r = this.srtp.unprotectRtp(buf);
      if (!r.ok) {
        const code = r.error.code;
        if (code === 'srtp-auth-failed' || code === 'srtp-bad-mki') this.counts.authFailures++;
        else if (code === 'srtp-replayed' || code === 'srtp-too-old') {
          this.counts.replayRejected++;
          this.counts.duplicates++;
        } else this.counts.malformed++;
        return;
      }
      this.counts.authenticated++;
      plain = r.value.packet;
    }
    const parsed = parseRtp(plain);
    if (!parsed.ok) {
      this.counts.malformed++;
      return;
    }
    const p = parsed.value;
    this.ssrcs.add(p.ssrc);
    this.payloadTypes.add(p.payloadType);

    let streamKey: number;
    let n: number;
    if (this.opts.transcoded) {
      streamKey = p.ssrc;
      n = this.extendSeq(p.ssrc, p.sequenceNumber);
    } else {
      const check = checkTestPayload(p.payload);
      if (!check.ok) {
        this.counts.payloadCheckFailures++;
        return;
      }
      streamKey = check.value.streamId;
      n = check.value.counter;
      this.streamIds.add(streamKey);
    }
    const seq = this.sequences.get(streamKey) ?? { seen: new Set<number>(), lowest: n, highest: n };
    this.sequences.set(streamKey, seq);
    if (seq.seen.has(n)) {
      this.counts.duplicates++;
      return;
    }
    if (n < seq.highest) this.counts.outOfOrder++;
    seq.seen.add(n);
    seq.lowest = Math.min(seq.lowest, n);
    seq.highest = Math.max(seq.highest, n);
    this.counts.accepted++;
    this.updateJitter(p.ssrc, p.timestamp, at.monoMs);
  }

  private extendSeq(ssrc: number, seq: number): number {
    const ext = this.extenders.get(ssrc);
    if (!ext) {
      this.extenders.set(ssrc, { cycles: 0, highest: seq });
      return seq;
    }
    const cycles = estimateRoc(ext.cycles, ext.highest, seq);
    const n = cycles * 0x10000 + seq;
    if (n > ext.cycles * 0x10000 + ext.highest) {
      ext.cycles = cycles;
      ext.highest = seq;
    }
    return n;
  }

  /** RFC 3550 §6.4.1: J += (|D(i−1,i)| − J) / 16, D in timestamp units; restarts when the SSRC changes. */
  private updateJitter(ssrc: number, timestamp: number, monoMs: number): void {
    const rate = this.opts?.clockRate ?? G711_CLOCK_RATE;
    const arrival = (monoMs * rate) / 1000;
    // The transit time is kept modulo 2^32 the way the timestamp is, so a wrapping timestamp is harmless.
    const transit = arrival - timestamp;
    const state = this.jitterState;
    if (!state || state.ssrc !== ssrc) {
      this.jitterState = { ssrc, transit, jitter: state?.jitter ?? 0 };
      return;
    }
    let d = transit - state.transit;
    d -= Math.round(d / 2 ** 32) * 2 ** 32;
    state.transit = transit;
    state.jitter += (Math.abs(d) - state.jitter) / 16;
  }

  stats(): ReceiveStats {
    let expected = 0;
    for (const s of this.sequences.values()) expected += this.opts?.transcoded ? s.highest - s.lowest + 1 : s.highest + 1;
    if (this.opts?.expectedPackets !== undefined) expected = this.opts.expectedPackets;
    const rate = this.opts?.clockRate ?? G711_CLOCK_RATE;
    return {
      ...this.counts,
      expected,
      lost: Math.max(0, expected - this.counts.accepted),
      jitterMs: ((this.jitterState?.jitter ?? 0) / rate) * 1000,
      ...(this.firstArrivalMs !== undefined ? { firstArrivalMs: this.firstArrivalMs } : {}),
      ...(this.lastArrivalMs !== undefined ? { lastArrivalMs: this.lastArrivalMs } : {}),
      sources: [...this.sources.values()].map((s) => ({ ...s })),
      ssrcs: [...this.ssrcs],
      payloadTypes: [...this.payloadTypes],
      streamIds: [...this.streamIds],
      rtcp: { ...this.rtcp },
    };
  }
}
