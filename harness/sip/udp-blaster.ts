import { createSocket } from 'node:dgram';

/**
 * Sends SIP requests over UDP at a fixed rate from one address (a flood, a scan) and records, per
 * request, every response that came back for its Call-ID. Judging a flood guard needs exactly this:
 * from which request on did the SBC stop answering?
 */
export interface BlastRequest {
  callId: string;
  method: string;
  data: Buffer;
}

export interface BlastOptions {
  localIp: string;
  /** 0 or absent: any free port. */
  localPort?: number;
  target: { ip: string; port: number };
  /** Requests per second. */
  ratePerS: number;
  /** How long to send; the number of requests is rate × duration. */
  durationMs: number;
  /** How long to keep listening for late answers after the last request. */
  settleMs: number;
  /** Builds request `i` (0-based); `local` is the bound address, for Via and Contact. */
  build(i: number, local: { ip: string; port: number }): BlastRequest;
}

export interface BlastRecord {
  index: number;
  method: string;
  callId: string;
  /** Epoch ms the request was handed to the socket. */
  sentAt: number;
  /** Status codes received for this Call-ID, in order of arrival, with their epoch ms. */
  answers: { status: number; at: number }[];
}

export interface BlastResult {
  startedAt: number;
  endedAt: number;
  local: { ip: string; port: number };
  records: BlastRecord[];
  /** Datagrams received that matched no request (or were not SIP responses). */
  unmatched: number;
  sendErrors: number;
}

/** Ticks per second of the sender: each tick sends what the rate owes by then, so pacing survives a slow tick. */
const TICK_MS = 5;

export async function blast(o: BlastOptions): Promise<BlastResult> {
  const sock = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(o.localPort ?? 0, o.localIp, () => {
      sock.off('error', reject);
      resolve();
    });
  });
  const local = { ip: o.localIp, port: sock.address().port };
  const records: BlastRecord[] = [];
  const byCallId = new Map<string, BlastRecord>();
  let unmatched = 0;
  let sendErrors = 0;
  sock.on('error', () => sendErrors++);
  sock.on('message', (msg) => {
    const text = msg.toString('latin1', 0, Math.min(msg.length, 8192));
    const status = /^SIP\/2\.0 (\d{3}) /.exec(text)?.[1];
    const callId = /^(?:Call-ID|i)[ \t]*:[ \t]*(\S+)/im.exec(text)?.[1];
    const record = callId === undefined ? undefined : byCallId.get(callId);
    if (status === undefined || !record) {
      unmatched++;
      return;
    }
    record.answers.push({ status: Number(status), at: Date.now() });
  });

  const total = Math.round((o.ratePerS * o.durationMs) / 1000);
  const startedAt = Date.now();
  await new Promise<void>((resolve) => {
    let sent = 0;
    const tick = (): void => {
      const owed = Math.min(total, Math.floor(((Date.now() - startedAt) * o.ratePerS) / 1000) + 1);
      for (; sent < owed; sent++) {
        const req = o.build(sent, local);
        const record: BlastRecord = { index: sent, method: req.method, callId: req.callId, sentAt: Date.now(), answers: [] };
        records.push(record);
        byCallId.set(req.callId, record);
        sock.send(req.data, o.target.port, o.target.ip, (err) => {
          if (err) sendErrors++;
        });
      }
      if (sent >= total) {
        clearInterval(timer);
        resolve();
      }
    };
    const timer = setInterval(tick, TICK_MS);
    tick();
  });
  const endedAt = Date.now();
  await new Promise((r) => setTimeout(r, o.settleMs));
  await new Promise<void>((r) => sock.close(() => r()));
  return { startedAt, endedAt, local, records, unmatched, sendErrors };
}

export interface SilenceOnset {
  /** The first request of the unanswered run that lasts to the end; undefined when the last request was answered. */
  first?: BlastRecord;
  /** ms from the start of the blast to that request. */
  afterMs?: number;
  answered: number;
  unanswered: number;
  /** Requests of the trailing silent run. */
  silent: number;
}

/** Where the answers stopped for good: the start of the run of unanswered requests that reaches the end. */
export function silenceOnset(result: Pick<BlastResult, 'startedAt' | 'records'>): SilenceOnset {
  const records = [...result.records].sort((a, b) => a.index - b.index);
  const answered = records.filter((r) => r.answers.length > 0).length;
  let start = records.length;
  while (start > 0 && records[start - 1]!.answers.length === 0) start--;
  const first = records[start];
  return {
    ...(first ? { first, afterMs: first.sentAt - result.startedAt } : {}),
    answered,
    unanswered: records.length - answered,
    silent: records.length - start,
  };
}
