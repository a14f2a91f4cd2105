import { randomInt } from 'node:crypto';
import type { Socket } from 'node:dgram';
import { MediaError } from './media-error';
import {
  attachAnalyser, bindUdp, closeSocket, PacedSender, ReceiveWaiters, type RtcpSocket, type SendOptions, type SendSummary,
} from './rtp-stream';
import type { CryptoAttr } from './sdes-crypto';
import { StreamAnalyser, type AnalyserOptions, type ReceiveStats } from './stream-analyser';

/** How RTCP travels: not at all, on the RTP port (RFC 5761), or on the RTP port + 1 (RFC 3550). */
export type RtcpMode = 'none' | 'mux' | 'separate';

export interface EndpointOpenOptions {
  localIp: string;
  /** Absent: an ephemeral port (an even one with a free odd neighbour when rtcp is 'separate'). */
  localPort?: number;
  rtcp?: RtcpMode;
}

export interface EndpointStartOptions extends Omit<SendOptions, 'srtp'> {
  /** `send`: our key (from our SDP); `recv`: the peer's key (from its SDP). Either may be absent (plain). */
  srtp?: { send?: CryptoAttr; recv?: CryptoAttr };
  /** The SBC may transcode: do not check payload integrity (see StreamAnalyser). */
  transcoded?: boolean;
  /** Packets the peer will send, so a lost tail counts as loss. */
  expectPackets?: number;
}

export interface EndpointStats {
  sent: SendSummary;
  received: ReceiveStats;
}

const EMPTY_SUMMARY: SendSummary = { streamId: 0, ssrc: 0, packets: 0, octets: 0, rtcpPackets: 0, sendErrors: 0 };
const PAIR_ATTEMPTS = 50;

async function bindPair(ip: string, port: number | undefined): Promise<[Socket, Socket]> {
  if (port !== undefined) {
    const rtp = await bindUdp(ip, port);
    try {
      return [rtp, await bindUdp(ip, port + 1)];
    } catch (err) {
      await closeSocket(rtp);
      throw err;
    }
  }
  for (let i = 0; i < PAIR_ATTEMPTS; i++) {
    const even = 2 * randomInt(10_000, 30_000);
    try {
      return await bindPair(ip, even);
    } catch {
      // taken: try another pair
    }
  }
  throw new MediaError('socket-error', `no free even/odd port pair on ${ip}`);
}

/**
 * A phone's media: one socket that both sends and receives (symmetric RTP, RFC 4961), which is what
 * lets rtpengine learn our address from our first packet. Incoming media is analysed from the
 * moment the socket is open; it is buffered until start() or expect() says what to check.
 */
export class MediaEndpoint {
  private readonly analyser = new StreamAnalyser();
  private readonly waiters = new ReceiveWaiters(this.analyser);
  private sender?: PacedSender;

  private constructor(
    readonly localIp: string,
    private readonly socket: Socket,
    private readonly rtcp: RtcpSocket | undefined,
  ) {
    attachAnalyser(socket, this.analyser, this.waiters);
    if (rtcp && !rtcp.mux) attachAnalyser(rtcp.socket, this.analyser, this.waiters);
  }

  static async open(opts: EndpointOpenOptions): Promise<MediaEndpoint> {
    const mode = opts.rtcp ?? 'none';
    if (mode === 'separate') {
      const [rtp, rtcp] = await bindPair(opts.localIp, opts.localPort);
      return new MediaEndpoint(opts.localIp, rtp, { mux: false, socket: rtcp });
    }
    const socket = await bindUdp(opts.localIp, opts.localPort);
    return new MediaEndpoint(opts.localIp, socket, mode === 'mux' ? { mux: true } : undefined);
  }

  get localPort(): number {
    return this.socket.address().port;
  }

  /** The port RTCP is received on, when RTCP is on. */
  get rtcpPort(): number | undefined {
    if (!this.rtcp) return undefined;
    return this.rtcp.mux ? this.localPort : this.rtcp.socket.address().port;
  }

  /** Says what incoming media must look like, for an endpoint that only listens. */
  expect(opts: AnalyserOptions): void {
    if (this.analyser.configured) throw new MediaError('bad-option', 'what to expect was already set');
    this.analyser.configure(opts);
  }

  /**
   * Starts sending to the peer and checking what it sends. Resolves with what was sent once the
   * last packet left (or stop() was called); media keeps being received until close().
   */
  start(opts: EndpointStartOptions): Promise<SendSummary> {
    if (this.sender) throw new MediaError('bad-option', 'this endpoint already started');
    const { srtp, transcoded, expectPackets, ...send } = opts;
    if (opts.rtcpIntervalMs !== undefined && !this.rtcp) {
      throw new MediaError('bad-option', 'RTCP requested on an endpoint opened with rtcp "none"');
    }
    const receiveSide = srtp?.recv !== undefined || transcoded !== undefined || expectPackets !== undefined;
    if (receiveSide && this.analyser.configured) {
      throw new MediaError('bad-option', 'expect() already said what to receive; pass srtp.recv, transcoded, expectPackets there');
    }
    this.sender = new PacedSender(this.socket, this.rtcp, { ...send, ...(srtp?.send ? { srtp: srtp.send } : {}) });
    if (!this.analyser.configured) {
      this.analyser.configure({
        ...(srtp?.recv ? { srtp: srtp.recv } : {}),
        ...(transcoded !== undefined ? { transcoded } : {}),
        ...(expectPackets !== undefined ? { expectedPackets: expectPackets } : {}),
      });
    }
    return this.sender.run();
  }

  /** Stops sending; receiving goes on. */
  stop(): void {
    this.sender?.stop();
  }

  stats(): EndpointStats {
    return { sent: { ...(this.sender?.summary ?? EMPTY_SUMMARY) }, received: this.analyser.stats() };
  }

  /** True once `count` datagrams (not RTCP) arrived, false after `timeoutMs`. */
  waitForReceived(count: number, timeoutMs: number): Promise<boolean> {
    return this.waiters.wait(count, timeoutMs);
  }

  async close(): Promise<void> {
    this.stop();
    await closeSocket(this.socket);
    if (this.rtcp && !this.rtcp.mux) await closeSocket(this.rtcp.socket);
  }
}
