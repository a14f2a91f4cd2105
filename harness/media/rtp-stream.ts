import { randomInt } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { isIP, isIPv6 } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildTestPayload, codecForPayloadType, G711_CLOCK_RATE, MIN_TEST_PAYLOAD_LENGTH } from './g711';
import { MediaError } from './media-error';
import { buildSenderReport } from './rtcp-packet';
import { buildRtp } from './rtp-packet';
import type { CryptoAttr } from './sdes-crypto';
import { SrtpContext } from './srtp';
import { StreamAnalyser, type AnalyserOptions, type ReceiveStats } from './stream-analyser';

export interface SendOptions {
  remoteIp: string;
  remotePort: number;
  /** 0 (PCMU) or 8 (PCMA) pick the codec of the test tone; any other value sends a PCMU-coded payload under that type. */
  payloadType: number;
  /** Packets to send; absent: until stop(). */
  packets?: number;
  /** Packet interval and audio per packet (8 samples per ms). */
  ptimeMs?: number;
  /** Protect with this key (ours, as offered in our SDP). */
  srtp?: CryptoAttr;
  /** Send an RTCP sender report this often (to remotePort, or remotePort + 1 when RTCP is not muxed). */
  rtcpIntervalMs?: number;
  /** Defaults are random, as RFC 3550 asks; set them to force e.g. a sequence wrap early. */
  ssrc?: number;
  initialSequence?: number;
  initialTimestamp?: number;
  /** Id embedded in every payload; random by default. */
  streamId?: number;
}

export interface SendSummary {
  streamId: number;
  ssrc: number;
  packets: number;
  /** Octets of RTP/SRTP datagrams handed to the socket. */
  octets: number;
  rtcpPackets: number;
  /** Sends the OS refused (e.g. ICMP unreachable reported on the socket). */
  sendErrors: number;
  startedAtMs?: number;
  endedAtMs?: number;
}

function uint32Random(): number {
  return randomInt(0, 2 ** 32 - 1);
}

/** Binds a UDP socket; rejects with MediaError('socket-error') instead of emitting an unhandled 'error'. */
export function bindUdp(ip: string, port = 0): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({ type: isIPv6(ip) ? 'udp6' : 'udp4' });
    const onError = (err: Error): void => {
      socket.close();
      reject(new MediaError('socket-error', `cannot bind ${ip}:${port}: ${err.message}`, { cause: err }));
    };
    socket.once('error', onError);
    socket.bind(port, ip, () => {
      socket.off('error', onError);
      // Errors after binding (ICMP port unreachable on Linux) must not crash the process.
      socket.on('error', () => undefined);
      resolve(socket);
    });
  });
}

/** Where RTCP goes: the RTP socket (rtcp-mux, RFC 5761) or a second one on the next port up. */
export type RtcpSocket = { mux: true } | { mux: false; socket: Socket };

/** Sends the test stream at a steady pace on a socket it does not own. */
export class PacedSender {
  readonly summary: SendSummary;
  private readonly abort = new AbortController();
  private readonly ptimeMs: number;
  private readonly samples: number;
  private readonly srtp: SrtpContext | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly rtcp: RtcpSocket | undefined,
    private readonly opts: SendOptions,
  ) {
    if (opts.packets !== undefined && (!Number.isInteger(opts.packets) || opts.packets < 0)) {
      throw new MediaError('bad-option', `packets ${opts.packets}`);
    }
    if (!Number.isInteger(opts.remotePort) || opts.remotePort <= 0 || opts.remotePort > 65535) {
      throw new MediaError('bad-option', `remote port ${opts.remotePort}`);
    }
    if (!isIP(opts.remoteIp)) throw new MediaError('bad-option', `remote address ${opts.remoteIp} is not an IP address`);
    if (!Number.isInteger(opts.payloadType) || opts.payloadType < 0 || opts.payloadType > 127) {
      throw new MediaError('bad-option', `payload type ${opts.payloadType}`);
    }
    this.ptimeMs = opts.ptimeMs ?? 20;
    this.samples = (this.ptimeMs * G711_CLOCK_RATE) / 1000;
    if (!Number.isInteger(this.samples) || this.samples < MIN_TEST_PAYLOAD_LENGTH) {
      throw new MediaError('bad-option', `ptime ${this.ptimeMs} ms: want a whole number of samples, at least ${MIN_TEST_PAYLOAD_LENGTH}`);
    }
    if (opts.rtcpIntervalMs !== undefined && !(opts.rtcpIntervalMs > 0)) {
      throw new MediaError('bad-option', `RTCP interval ${opts.rtcpIntervalMs} ms`);
    }
    this.srtp = opts.srtp ? SrtpContext.fromCryptoAttr(opts.srtp) : undefined;
    this.summary = {
      streamId: opts.streamId ?? uint32Random(),
      ssrc: opts.ssrc ?? uint32Random(),
      packets: 0,
      octets: 0,
      rtcpPackets: 0,
      sendErrors: 0,
    };
  }

  stop(): void {
    this.abort.abort();
  }

  private send(socket: Socket, datagram: Buffer, port: number, rtcp: boolean): void {
    if (rtcp) this.summary.rtcpPackets++;
    else {
      this.summary.packets++;
      this.summary.octets += datagram.length;
    }
    try {
      socket.send(datagram, port, this.opts.remoteIp, (err) => {
        if (err) this.summary.sendErrors++;
      });
    } catch {
      this.summary.sendErrors++; // the socket was closed under us
    }
  }

  private sendRtcp(timestamp: number): void {
    if (!this.rtcp) return;
    const report = buildSenderReport({
      ssrc: this.summary.ssrc,
      wallClockMs: Date.now(),
      rtpTimestamp: timestamp,
      packetCount: this.summary.packets,
      octetCount: this.summary.octets,
      cname: `stream-${this.summary.streamId}@sbc-certify`,
    });
    const wire = this.srtp ? this.srtp.protectRtcp(report) : report;
    if (this.rtcp.mux) this.send(this.socket, wire, this.opts.remotePort, true);
    else this.send(this.rtcp.socket, wire, this.opts.remotePort + 1, true);
  }

  /** Resolves once every packet has been handed to the socket, or after stop(). */
  async run(): Promise<SendSummary> {
    const o = this.opts;
    const { ptimeMs: ptime, samples, srtp } = this;
    const codec = codecForPayloadType(o.payloadType) ?? 'PCMU';
    // Random but below 2^15, as WebRTC does: an SRTP receiver assumes ROC 0 at its first packet
    // (RFC 3711 §3.3.1), so a stream must not wrap before the far end has seen anything of it.
    const firstSeq = o.initialSequence ?? randomInt(0, 0x8000);
    const firstTs = o.initialTimestamp ?? uint32Random();
    const t0 = performance.now();
    let nextRtcp = o.rtcpIntervalMs;
    this.summary.startedAtMs = Date.now();
    for (let k = 0; o.packets === undefined || k < o.packets; k++) {
      const delay = t0 + k * ptime - performance.now();
      if (delay > 0) await sleep(delay, undefined, { signal: this.abort.signal }).catch(() => undefined);
      if (this.abort.signal.aborted) break;
      const timestamp = (firstTs + k * samples) >>> 0;
      const packet = buildRtp({
        marker: k === 0,
        payloadType: o.payloadType,
        sequenceNumber: (firstSeq + k) & 0xffff,
        timestamp,
        ssrc: this.summary.ssrc,
        payload: buildTestPayload({ codec, streamId: this.summary.streamId, counter: k, length: samples }),
      });
      this.send(this.socket, srtp ? srtp.protectRtp(packet) : packet, o.remotePort, false);
      if (nextRtcp !== undefined && k * ptime >= nextRtcp) {
        this.sendRtcp(timestamp);
        nextRtcp += o.rtcpIntervalMs!;
      }
    }
    this.summary.endedAtMs = Date.now();
    return { ...this.summary };
  }
}

/** Resolves waiters once enough datagrams have arrived at a receiver. */
export class ReceiveWaiters {
  private waiters: Array<{ count: number; resolve: (reached: boolean) => void }> = [];

  constructor(private readonly analyser: StreamAnalyser) {}

  /** True once `count` non-RTCP datagrams arrived (accepted or not), false on timeout. */
  wait(count: number, timeoutMs: number): Promise<boolean> {
    if (this.analyser.arrived >= count) return Promise.resolve(true);
    return new Promise((resolve) => {
      const entry = { count, resolve };
      this.waiters.push(entry);
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== entry);
        resolve(false);
      }, timeoutMs);
      entry.resolve = (reached) => {
        clearTimeout(timer);
        resolve(reached);
      };
    });
  }

  notify(): void {
    if (!this.waiters.length) return;
    const received = this.analyser.arrived;
    const done = this.waiters.filter((w) => received >= w.count);
    this.waiters = this.waiters.filter((w) => received < w.count);
    for (const w of done) w.resolve(true);
  }
}

/** Feeds every datagram a socket receives into the analyser. */
export function attachAnalyser(socket: Socket, analyser: StreamAnalyser, waiters: ReceiveWaiters): void {
  socket.on('message', (msg, rinfo) => {
    analyser.feed(msg, { address: rinfo.address, port: rinfo.port, wallMs: Date.now(), monoMs: performance.now() });
    waiters.notify();
  });
}

export function closeSocket(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve(); // already closed
    }
  });
}

/** A send-only RTP source on its own socket. */
export class RtpSender {
  private sender?: PacedSender;

  private constructor(readonly socket: Socket) {}

  static async open(opts: { localIp: string; localPort?: number }): Promise<RtpSender> {
    return new RtpSender(await bindUdp(opts.localIp, opts.localPort));
  }

  get localPort(): number {
    return this.socket.address().port;
  }

  /** Starts sending; resolves when the last packet was sent (or stop() was called). */
  start(opts: SendOptions): Promise<SendSummary> {
    if (this.sender) throw new MediaError('bad-option', 'this sender already started');
    const rtcp: RtcpSocket | undefined = opts.rtcpIntervalMs !== undefined ? { mux: true } : undefined;
    this.sender = new PacedSender(this.socket, rtcp, opts);
    return this.sender.run();
  }

  stop(): void {
    this.sender?.stop();
  }

  async close(): Promise<void> {
    this.stop();
    await closeSocket(this.socket);
  }
}

/** A receive-only RTP sink and analyser on its own socket. */
export class RtpReceiver {
  private readonly analyser: StreamAnalyser;
  private readonly waiters: ReceiveWaiters;

  private constructor(readonly socket: Socket, opts: AnalyserOptions) {
    this.analyser = new StreamAnalyser(opts);
    this.waiters = new ReceiveWaiters(this.analyser);
    attachAnalyser(socket, this.analyser, this.waiters);
  }

  static async open(opts: { localIp: string; localPort?: number } & AnalyserOptions): Promise<RtpReceiver> {
    const { localIp, localPort, ...analyser } = opts;
    return new RtpReceiver(await bindUdp(localIp, localPort), analyser);
  }

  get localPort(): number {
    return this.socket.address().port;
  }

  stats(): ReceiveStats {
    return this.analyser.stats();
  }

  waitForReceived(count: number, timeoutMs: number): Promise<boolean> {
    return this.waiters.wait(count, timeoutMs);
  }

  async close(): Promise<void> {
    await closeSocket(this.socket);
  }
}
