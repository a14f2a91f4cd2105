import { createSocket } from 'node:dgram';
import type { ProbeResult } from './fire';

/**
 * "Is the SBC still serving?": one OPTIONS from a source the corpus does not use, answered within
 * `timeoutMs` (issue 11: within 2 s after every N cases). Any final answer counts as alive: what an
 * SBC answers to OPTIONS is GEN-04's business, not this probe's.
 */
export async function optionsProbe(o: { localIp: string; target: { ip: string; port: number }; timeoutMs: number; seq: number }): Promise<ProbeResult> {
  const sock = createSocket('udp4');
  const started = Date.now();
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(0, o.localIp, () => resolve());
    });
    const port = sock.address().port;
    const callId = `probe-${o.seq}-${started}@${o.localIp}`;
    const text = [
      `OPTIONS sip:${o.target.ip}:${o.target.port} SIP/2.0`,
      `Via: SIP/2.0/UDP ${o.localIp}:${port};branch=z9hG4bKprobe${o.seq}t${started};rport`,
      'Max-Forwards: 70',
      `From: <sip:probe@${o.localIp}>;tag=p${o.seq}`,
      `To: <sip:${o.target.ip}:${o.target.port}>`,
      `Call-ID: ${callId}`,
      `CSeq: ${o.seq} OPTIONS`,
      'Content-Length: 0',
      '', '',
    ].join('\r\n');
    const status = await new Promise<number | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), o.timeoutMs);
      sock.on('message', (m) => {
        const s = Number(/^SIP\/2\.0 (\d{3})/.exec(m.toString('latin1'))?.[1] ?? 0);
        if (s >= 200) {
          clearTimeout(timer);
          resolve(s);
        }
      });
      sock.send(Buffer.from(text, 'latin1'), o.target.port, o.target.ip);
    });
    const ms = Date.now() - started;
    return status === undefined
      ? { ok: false, ms, detail: `OPTIONS from ${o.localIp} unanswered for ${o.timeoutMs} ms` }
      : { ok: true, ms, detail: `OPTIONS answered ${status} in ${ms} ms` };
  } catch (err) {
    return { ok: false, ms: Date.now() - started, detail: `OPTIONS probe failed: ${err instanceof Error ? err.message : String(err)}` };
  } finally {
    sock.close();
  }
}
