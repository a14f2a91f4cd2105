import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';

/**
 * The network half of the `sipOptions` and `tcp` probes (probe.ts), run as a child process inside the
 * zone the probe leaves from (`ip netns exec <ns> node --import tsx probe-agent.ts '<json>'` in the
 * netns topology; another provider runs it its own way), because whoever asks may sit in another
 * namespace. Prints one JSON line: AgentAnswer.
 */
export interface AgentRequest {
  kind: 'sip-options' | 'tcp';
  host: string;
  port: number;
  timeoutMs: number;
}

export interface AgentAnswer {
  ok: boolean;
  /** The SIP status of the final response (sip-options). */
  status?: number;
  detail: string;
}

/** RFC 3261 17.1.2.2: a non-INVITE request is retransmitted after T1, doubling up to T2. */
const T1_MS = 500;
const T2_MS = 4000;

/** An OPTIONS without a user part, as carriers' keep-alives and load balancers send it. */
function optionsRequest(o: { host: string; port: number; localIp: string; localPort: number; callId: string; branch: string; tag: string }): string {
  const target = `sip:${o.host}:${o.port}`;
  return [
    `OPTIONS ${target} SIP/2.0`,
    `Via: SIP/2.0/UDP ${o.localIp}:${o.localPort};branch=z9hG4bK${o.branch};rport`,
    'Max-Forwards: 70',
    `From: <sip:probe@${o.localIp}>;tag=${o.tag}`,
    `To: <${target}>`,
    `Call-ID: ${o.callId}`,
    'CSeq: 1 OPTIONS',
    'Accept: application/sdp',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

/** The status of `text` if it is a final response to our OPTIONS (same Call-ID, CSeq 1 OPTIONS). */
function finalStatusFor(text: string, callId: string): number | undefined {
  const status = /^SIP\/2\.0 (\d{3})/.exec(text);
  if (!status) return undefined;
  const header = (name: string, short?: string): string | undefined =>
    new RegExp(`^(?:${name}${short ? `|${short}` : ''})[ \\t]*:[ \\t]*(.*)$`, 'im').exec(text)?.[1]?.trim();
  if (header('Call-ID', 'i') !== callId || !/^1\s+OPTIONS$/i.test(header('CSeq') ?? '')) return undefined;
  const code = Number(status[1]);
  return code >= 200 ? code : undefined;
}

function sipOptions(r: AgentRequest): Promise<AgentAnswer> {
  return new Promise((resolve) => {
    const sock = createSocket('udp4');
    const ids = { callId: `${randomBytes(8).toString('hex')}@probe`, branch: randomBytes(6).toString('hex'), tag: randomBytes(4).toString('hex') };
    const timers: NodeJS.Timeout[] = [];
    const done = (a: AgentAnswer): void => {
      timers.forEach(clearTimeout);
      sock.close();
      resolve(a);
    };
    sock.on('error', (err) => done({ ok: false, detail: `${r.host}:${r.port}: ${err.message}` }));
    sock.on('message', (m) => {
      const status = finalStatusFor(m.toString('latin1'), ids.callId);
      if (status !== undefined) done({ ok: true, status, detail: `OPTIONS answered ${status}` });
    });
    sock.connect(r.port, r.host, () => {
      const local = sock.address();
      const msg = Buffer.from(optionsRequest({ host: r.host, port: r.port, localIp: local.address, localPort: local.port, ...ids }), 'latin1');
      const send = (interval: number): void => {
        sock.send(msg);
        timers.push(setTimeout(() => send(Math.min(interval * 2, T2_MS)), interval));
      };
      send(T1_MS);
      timers.push(setTimeout(() => done({ ok: false, detail: `no final response to OPTIONS sip:${r.host}:${r.port} within ${r.timeoutMs} ms` }), r.timeoutMs));
    });
  });
}

function tcp(r: AgentRequest): Promise<AgentAnswer> {
  return new Promise((resolve) => {
    const s = connect({ host: r.host, port: r.port, timeout: r.timeoutMs });
    s.once('connect', () => {
      s.destroy();
      resolve({ ok: true, detail: `TCP ${r.host}:${r.port} accepted the connection` });
    });
    s.once('timeout', () => {
      s.destroy();
      resolve({ ok: false, detail: `TCP ${r.host}:${r.port}: no answer within ${r.timeoutMs} ms` });
    });
    s.once('error', (err) => resolve({ ok: false, detail: `TCP ${r.host}:${r.port}: ${err.message}` }));
  });
}

async function main(): Promise<void> {
  const r = JSON.parse(process.argv[2] ?? '{}') as AgentRequest;
  const answer = r.kind === 'tcp' ? await tcp(r) : await sipOptions(r);
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
