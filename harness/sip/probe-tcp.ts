/**
 * GEN-08 says TCP on 5060 is refused: this probe connects, sends an OPTIONS if
 * the connection is accepted, and reports what happened, with any bytes the
 * peer sent back as evidence.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { buildRequest } from './message';

export type TcpProbeOutcome = 'refused' | 'closed-without-answer' | 'answered' | 'timeout';

export interface TcpProbeResult {
  outcome: TcpProbeOutcome;
  /** Whether the TCP handshake completed (a listener accepted us). */
  connected: boolean;
  /** Bytes the peer sent back, as text. */
  received: string;
  /** The OPTIONS we sent after connecting ('' if we never connected). */
  sent: string;
  /** Socket error code, e.g. ECONNREFUSED or ECONNRESET. */
  errorCode?: string;
  elapsedMs: number;
}

export interface TcpProbeOptions {
  /** Our source address (the caller's host in the topology). */
  localIp?: string;
  /** Request text to send instead of the default OPTIONS. */
  request?: string;
}

function defaultOptions(ip: string, port: number, local: { ip: string; port: number }): string {
  const id = randomBytes(6).toString('hex');
  const host = local.ip.includes(':') ? `[${local.ip}]` : local.ip;
  return buildRequest({
    method: 'OPTIONS',
    uri: `sip:${ip}:${port};transport=tcp`,
    headers: [
      ['Via', `SIP/2.0/TCP ${host}:${local.port};branch=z9hG4bK${id}`],
      ['Max-Forwards', '70'],
      ['From', `<sip:probe@${host}>;tag=${id}`],
      ['To', `<sip:${ip}:${port}>`],
      ['Call-ID', `probe-${id}@${host}`],
      ['CSeq', '1 OPTIONS'],
      ['Contact', `<sip:probe@${host}:${local.port};transport=tcp>`],
      ['Accept', 'application/sdp'],
    ],
  });
}

/**
 * Connects to `ip:port` over TCP. 'refused': the connection was refused (RST)
 * or could not be made; 'closed-without-answer': accepted, then closed or reset
 * without a byte back; 'answered': the peer sent bytes; 'timeout': neither
 * happened within `timeoutMs` (e.g. SYNs silently dropped or an open but mute
 * listener).
 */
export function probeTcp(ip: string, port: number, timeoutMs: number, options: TcpProbeOptions = {}): Promise<TcpProbeResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    let connected = false;
    let sent = '';
    const chunks: Buffer[] = [];
    let settled = false;
    const socket = connect({ host: ip, port, ...(options.localIp ? { localAddress: options.localIp } : {}) });

    const finish = (outcome: TcpProbeOutcome, errorCode?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const result: TcpProbeResult = {
        outcome, connected, sent, received: Buffer.concat(chunks).toString('utf8'), elapsedMs: Date.now() - started,
      };
      if (errorCode !== undefined) result.errorCode = errorCode;
      resolve(result);
    };

    const timer = setTimeout(() => finish(chunks.length > 0 ? 'answered' : 'timeout'), timeoutMs);

    socket.on('connect', () => {
      connected = true;
      sent = options.request ?? defaultOptions(ip, port, { ip: socket.localAddress ?? '0.0.0.0', port: socket.localPort ?? 0 });
      socket.write(sent);
    });
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      // Give the rest of the answer a moment so the evidence holds the whole message.
      setTimeout(() => finish('answered'), 100);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (chunks.length > 0) finish('answered', err.code);
      else if (connected) finish('closed-without-answer', err.code);
      else finish(err.code === 'ETIMEDOUT' ? 'timeout' : 'refused', err.code);
    });
    socket.on('close', () => {
      if (chunks.length > 0) finish('answered');
      else finish(connected ? 'closed-without-answer' : 'refused');
    });
  });
}
