import { createSocket, type Socket } from 'node:dgram';
import { splitSip, type SipText } from '../capture/sip-text';
import { parseVia, splitHeaderList } from '../sip/headers';
import { TlsClientTransport } from '../sip/transport-tls';
import type { CorpusCase } from './corpus';

/**
 * Fires a robustness corpus at an SBC over UDP and TLS from many public source addresses and records
 * what came back for every case. One UDP socket per source; each socket has at most one case in
 * flight, so an answer is the case's by its Via branch (echoed in every response) or, when the
 * mutation broke the Via, by the socket it arrived on. A TLS case gets a connection of its own (the
 * suite's TLS client), since a framing fault may make the SBC close it. The client behaves as a well-mannered UAC around the hostile
 * request: every final answer to an INVITE is ACKed, an answered call is hung up at once with a BYE,
 * and requests the SBC sends (a BYE of its own) get 200, so that nothing the corpus started stays
 * open because of the client.
 */

export interface ProbeResult {
  ok: boolean;
  /** How long the probe took (an OPTIONS answered within 2 s is the requirement). */
  ms: number;
  detail: string;
}

export interface FireOptions {
  cases: readonly CorpusCase[];
  /** Public addresses to send from; one socket per address. */
  sources: readonly string[];
  /** Local port of every socket. */
  port: number;
  target: { ip: string; port: number };
  /** Most new cases started per second, over all sources. */
  ratePerS: number;
  /** Silence after the case's request (or its last answer) that makes it a drop. */
  answerTimeoutMs: number;
  /** Longest wait for a final answer once a provisional came. */
  finalTimeoutMs: number;
  /** A health probe after every `probeEvery` cases. */
  probeEvery: number;
  probe(): Promise<ProbeResult>;
  /** Every `every`-th case (index % every === 1) goes over TLS to `port`; absent: UDP only. */
  tls?: { port: number; every: number; connections: number };
}

export interface CallOutcome {
  /** The final answer to the BYE the client sent; undefined when none came. */
  byeStatus: number | undefined;
  callId: string;
}

export interface CaseOutcome {
  id: string;
  index: number;
  group: string;
  mutation: string;
  method: string;
  transport: 'udp' | 'tls';
  source: string;
  bytes: number;
  /** Every status received for the case's request, in order, retransmissions once. */
  statuses: number[];
  /** The final status as a string; `dropped` (nothing at all), `no-final` (provisional only), `closed` (TLS closed unanswered). */
  answer: string;
  /** Set when the INVITE was answered 2xx: the call the corpus started. */
  call?: CallOutcome;
}

export interface ProbeRecord extends ProbeResult {
  afterCases: number;
}

export interface FireResult {
  startedAt: number;
  endedAt: number;
  outcomes: CaseOutcome[];
  probes: ProbeRecord[];
}

interface Waiter {
  onMessage(m: SipText): void;
  onClose?(): void;
}

/** Where a case is sent from and its answers arrive: a UDP socket or one TLS connection. */
interface Channel {
  transport: 'udp' | 'tls';
  local: { ip: string; port: number };
  send(data: Buffer): Promise<void>;
  waiter: Waiter | undefined;
}

interface Lane extends Channel {
  sock: Socket;
}

const BYE_RETRANSMIT_MS = [500, 1000, 2000];

export async function fireCorpus(o: FireOptions): Promise<FireResult> {
  if (o.sources.length === 0) throw new Error('robustness: no source addresses to fire from');
  const lanes: Lane[] = [];
  const outcomes: CaseOutcome[] = new Array(o.cases.length);
  const probes: ProbeRecord[] = [];
  const startedAt = Date.now();
  try {
    for (const ip of o.sources) lanes.push(await openLane(ip, o.port, o.target));
    const tlsEvery = o.tls?.every ?? 0;
    const isTls = (c: CorpusCase): boolean => tlsEvery > 0 && c.index % tlsEvery === 1;
    const udpCases = o.cases.filter((c) => !isTls(c));
    const tlsCases = o.cases.filter(isTls);
    let next = 0;
    let nextTls = 0;
    let done = 0;
    let nextStart = Date.now();
    let probing: Promise<void> = Promise.resolve();
    const interval = 1000 / Math.max(1, o.ratePerS);
    const run = { ...o, branches: new Set(o.cases.map((c) => c.branch)) };
    const paced = async (): Promise<void> => {
      const wait = nextStart - Date.now();
      nextStart = Math.max(Date.now(), nextStart) + interval;
      if (wait > 0) await sleep(wait);
    };
    const finished = (c: CorpusCase, outcome: CaseOutcome): void => {
      outcomes[c.index] = outcome;
      done++;
      if (done % o.probeEvery === 0) {
        const after = done;
        probing = probing.then(async () => {
          probes.push({ afterCases: after, ...(await o.probe()) });
        });
      }
    };
    const worker = async (lane: Lane): Promise<void> => {
      while (next < udpCases.length) {
        const c = udpCases[next++]!;
        await paced();
        finished(c, await runCase(lane, c, run));
      }
    };
    const tlsWorker = async (k: number): Promise<void> => {
      while (nextTls < tlsCases.length) {
        const c = tlsCases[nextTls++]!;
        await paced();
        finished(c, await runTlsCase(o.sources[k % o.sources.length]!, c, run));
      }
    };
    const tlsWorkers = tlsCases.length === 0 ? [] : Array.from({ length: Math.max(1, o.tls?.connections ?? 4) }, (_, k) => tlsWorker(k));
    await Promise.all([...lanes.map(worker), ...tlsWorkers]);
    await probing;
    probes.push({ afterCases: done, ...(await o.probe()) });
  } finally {
    await Promise.all(lanes.map((l) => new Promise<void>((r) => l.sock.close(() => r()))));
  }
  return { startedAt, endedAt: Date.now(), outcomes: outcomes.filter(Boolean), probes };
}

async function openLane(ip: string, port: number, target: { ip: string; port: number }): Promise<Lane> {
  const sock = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(port, ip, () => {
      sock.off('error', reject);
      resolve();
    });
  });
  const lane: Lane = { transport: 'udp', sock, local: { ip, port }, waiter: undefined, send: (data) => send(sock, target, data) };
  sock.on('error', () => undefined);
  sock.on('message', (data) => deliver(lane, data));
  return lane;
}

/** One received message: a request of the SBC's own (a BYE ending a call, an OPTIONS) is answered 200 at once. */
function deliver(channel: Channel, data: Buffer): void {
  const m = splitSip(data.toString('latin1'));
  if (!m.startLine.startsWith('SIP/')) {
    if (!/^ACK /.test(m.startLine)) void channel.send(okFor(m));
    return;
  }
  channel.waiter?.onMessage(m);
}

/** A TLS case on a connection of its own from `ip`; a connection that cannot be opened is the case's answer. */
async function runTlsCase(ip: string, c: CorpusCase, o: FireOptions & { branches: ReadonlySet<string> }): Promise<CaseOutcome> {
  let transport: TlsClientTransport;
  try {
    transport = await TlsClientTransport.connect({ remote: { ip: o.target.ip, port: o.tls!.port }, localIp: ip, rejectUnauthorized: false, connectTimeoutMs: o.answerTimeoutMs });
  } catch (err) {
    return { id: c.id, index: c.index, group: c.group, mutation: c.mutation, method: c.method, transport: 'tls', source: ip, bytes: 0, statuses: [], answer: `tls-connect-failed: ${err instanceof Error ? err.message : String(err)}` };
  }
  const channel: Channel = {
    transport: 'tls',
    local: { ip: transport.local.ip, port: transport.local.port },
    send: async (data) => {
      if (transport.isOpen) await transport.send(data).catch(() => undefined);
    },
    waiter: undefined,
  };
  transport.onReceive((inbound) => deliver(channel, inbound.data));
  transport.onError(() => undefined);
  transport.onClose(() => channel.waiter?.onClose?.());
  try {
    return await runCase(channel, c, o);
  } finally {
    await transport.close().catch(() => undefined);
  }
}

function header(m: SipText, name: string): string | undefined {
  return m.headers.find((h) => h.canonical === name)?.value;
}

function branchOf(m: SipText): string | undefined {
  return parseVia(splitHeaderList(header(m, 'via') ?? '')[0] ?? '')?.branch;
}

function statusOf(m: SipText): number {
  return Number(/^SIP\/2\.0 (\d{3})/.exec(m.startLine)?.[1] ?? 0);
}

/** Sends the case and follows its transaction (and the call it may start) to the end. */
async function runCase(lane: Channel, c: CorpusCase, o: FireOptions & { branches: ReadonlySet<string> }): Promise<CaseOutcome> {
  const data = c.build(lane.local, lane.transport);
  const statuses: number[] = [];
  let final: number | undefined;
  let finalMsg: SipText | undefined;
  let provisional = false;
  let closed = false;
  await new Promise<void>((resolve) => {
    let timer = setTimeout(() => resolve(), o.answerTimeoutMs);
    lane.waiter = {
      onClose: () => {
        closed = true;
        clearTimeout(timer);
        resolve();
      },
      onMessage: (m) => {
        const b = branchOf(m);
        // Another case's answer (a late retransmission of an earlier case on this socket): not this one's.
        if (b !== undefined && b !== c.branch && o.branches.has(b)) return;
        const status = statusOf(m);
        if (!statuses.includes(status)) statuses.push(status);
        if (status < 200) {
          provisional = true;
          clearTimeout(timer);
          timer = setTimeout(() => resolve(), o.finalTimeoutMs);
          return;
        }
        if (final === undefined) {
          final = status;
          finalMsg = m;
          clearTimeout(timer);
          resolve();
        }
      },
    };
    void lane.send(data);
  });
  lane.waiter = undefined;
  const outcome: CaseOutcome = {
    id: c.id, index: c.index, group: c.group, mutation: c.mutation, method: c.method, transport: lane.transport,
    source: `${lane.local.ip}:${lane.local.port}`, bytes: data.length, statuses,
    answer: final !== undefined ? String(final) : provisional ? 'no-final' : closed ? 'closed' : 'dropped',
  };
  const answer = finalMsg;
  if (answer && /\bINVITE\s*$/i.test(header(answer, 'cseq') ?? '')) {
    if (final! >= 300) await lane.send(ackFor(answer, `sip:${o.target.ip}:${o.target.port}`, header(answer, 'via') ?? ''));
    else outcome.call = await hangUp(lane, answer, o);
  }
  return outcome;
}

/** ACKs a 2xx end to end and sends BYE at once; waits for the BYE's final answer (retransmitting it). */
async function hangUp(lane: Channel, ok: SipText, o: FireOptions): Promise<CallOutcome> {
  const callId = header(ok, 'call-id') ?? '';
  const contact = /<([^>]+)>/.exec(header(ok, 'contact') ?? '')?.[1] ?? `sip:${o.target.ip}:${o.target.port}`;
  const via = (branch: string): string => `SIP/2.0/${lane.transport.toUpperCase()} ${lane.local.ip}:${lane.local.port};branch=${branch}${lane.transport === 'udp' ? ';rport' : ''}`;
  const seq = Number((header(ok, 'cseq') ?? '1').split(/\s+/)[0]) || 1;
  const tag = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  await lane.send(ackFor(ok, contact, via(`z9hG4bKack${tag}`)));
  const byeBranch = `z9hG4bKbye${tag}`;
  const bye = inDialog('BYE', ok, contact, via(byeBranch), `${seq + 1} BYE`);
  let byeStatus: number | undefined;
  await new Promise<void>((resolve) => {
    const timers: NodeJS.Timeout[] = [];
    const finish = (): void => {
      timers.forEach(clearTimeout);
      resolve();
    };
    lane.waiter = {
      onClose: finish,
      onMessage: (m) => {
        if (branchOf(m) === byeBranch && statusOf(m) >= 200) {
          byeStatus = statusOf(m);
          finish();
        } else if (/\bINVITE\s*$/i.test(header(m, 'cseq') ?? '') && statusOf(m) < 300 && statusOf(m) >= 200) {
          // The 2xx again: our ACK was lost or late; ACK it again.
          void lane.send(ackFor(ok, contact, via(`z9hG4bKack${tag}`)));
        }
      },
    };
    void lane.send(bye);
    // Over UDP the BYE is retransmitted (RFC 3261 17.1.2.2); a stream carries it once.
    if (lane.transport === 'udp') for (const at of BYE_RETRANSMIT_MS) timers.push(setTimeout(() => void lane.send(bye), at));
    timers.push(setTimeout(finish, o.finalTimeoutMs));
  });
  lane.waiter = undefined;
  return { byeStatus, callId };
}

function inDialog(method: string, res: SipText, requestUri: string, via: string, cseq: string): Buffer {
  const lines = [`${method} ${requestUri} SIP/2.0`, `Via: ${via}`, 'Max-Forwards: 70'];
  for (const [name, value] of [['From', header(res, 'from')], ['To', header(res, 'to')], ['Call-ID', header(res, 'call-id')]] as const) {
    if (value !== undefined) lines.push(`${name}: ${value}`);
  }
  lines.push(`CSeq: ${cseq}`, 'Content-Length: 0');
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

/** The ACK for a final answer to an INVITE: hop by hop for a non-2xx (same Via), end to end for a 2xx. */
function ackFor(res: SipText, requestUri: string, via: string): Buffer {
  const seq = (header(res, 'cseq') ?? '1').split(/\s+/)[0] ?? '1';
  return inDialog('ACK', res, requestUri, via, `${seq} ACK`);
}

/** A 200 for a request the SBC sent us: its Via, From, To, Call-ID and CSeq echoed. */
function okFor(req: SipText): Buffer {
  const lines = ['SIP/2.0 200 OK'];
  for (const h of req.headers) if (['via', 'from', 'to', 'call-id', 'cseq'].includes(h.canonical)) lines.push(`${h.name}: ${h.value}`);
  lines.push('Content-Length: 0');
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

function send(sock: Socket, target: { ip: string; port: number }, data: Buffer): Promise<void> {
  return new Promise((resolve) => sock.send(data, target.port, target.ip, () => resolve()));
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
