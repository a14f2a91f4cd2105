import { createInterface } from 'node:readline';
import { MediaEndpoint } from '../media';
import { SipClient, buildSdp, parseSdp } from '../sip';
import type { ProbeOutcome } from './media-quality';

/**
 * The probe calls of a capacity run, placed by one child process inside the public zone's namespace
 * (`ip netns exec <pub> node --import tsx media-probe-agent.ts`), because the capacity controller
 * itself runs in the root namespace. It lives for the whole run, so starting it (loading and
 * compiling this code costs about a second of CPU) never competes with a step's load: it prints
 * "ready", then takes one JSON request per stdin line and answers each with one stdout line
 * `{"id":…,"outcomes":ProbeOutcome[]}`. Each probe is the suite's SIP client with its own media
 * endpoint: it dials the SBC, sends G.711 (PCMU) for the probe's duration to where the 200 OK
 * points, and measures what the core server's echo sends back.
 */
export interface ProbeAgentRequest {
  /** Echoed in the answer, so an answer is matched to its request. */
  id: number;
  /** Our address in the public zone. */
  ip: string;
  /** The SBC's public SIP address and UDP port. */
  sbc: string;
  sbcPort: number;
  dialled: string;
  /** Calling number; the probe's index is appended. */
  from: string;
  calls: number;
  durationMs: number;
  answerTimeoutMs: number;
}

const PTIME_MS = 20;
/** How long the last echoed packets may take to come back after the caller stopped sending. */
const DRAIN_MS = 1000;

function failed(error: string, status?: number): ProbeOutcome {
  return { ...(status === undefined ? {} : { status }), error, sent: 0, accepted: 0, lost: 0, jitterMs: 0, payloadCheckFailures: 0 };
}

async function probe(r: ProbeAgentRequest, index: number): Promise<ProbeOutcome> {
  const user = `${r.from}${index}`;
  const client = await SipClient.udp({ ip: r.ip, user });
  const media = await MediaEndpoint.open({ localIp: r.ip });
  try {
    const call = await client.invite({
      to: `sip:${r.dialled}@${r.sbc}:${r.sbcPort}`,
      from: `sip:${user}@${r.ip}`,
      sdp: buildSdp({ address: r.ip, port: media.localPort, codecs: ['PCMU'] }),
    });
    let final;
    try {
      final = await call.waitFinal(r.answerTimeoutMs);
    } catch {
      return failed('no final answer');
    }
    if (final.status !== 200) return failed(`answered ${final.status}`, final.status);
    const audio = parseSdp(final.body).media.find((m) => m.type === 'audio' && m.port !== 0);
    const remoteIp = audio?.address;
    if (!audio || !remoteIp) {
      await call.bye().catch(() => undefined);
      return failed('200 OK without active audio', 200);
    }
    const packets = Math.max(1, Math.round(r.durationMs / PTIME_MS));
    const sent = await media.start({ remoteIp, remotePort: audio.port, payloadType: 0, ptimeMs: PTIME_MS, packets, expectPackets: packets });
    await media.waitForReceived(packets, DRAIN_MS);
    await call.bye().catch(() => undefined);
    const got = media.stats().received;
    return {
      status: 200,
      sent: sent.packets,
      accepted: got.accepted,
      lost: got.lost,
      jitterMs: got.jitterMs,
      payloadCheckFailures: got.payloadCheckFailures,
    };
  } finally {
    await media.close().catch(() => undefined);
    await client.close().catch(() => undefined);
  }
}

async function answer(line: string): Promise<string> {
  let request: ProbeAgentRequest;
  try {
    request = JSON.parse(line) as ProbeAgentRequest;
  } catch (err) {
    return JSON.stringify({ id: -1, error: `not a JSON request: ${(err as Error).message}` });
  }
  const outcomes = await Promise.all(
    Array.from({ length: request.calls }, (_, i) => probe(request, i).catch((err: unknown) => failed((err as Error).message))),
  );
  return JSON.stringify({ id: request.id, outcomes });
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim() === '') return;
  void answer(line).then((out) => process.stdout.write(`${out}\n`));
});
// The run is over when the controller closes stdin (or stops this process).
lines.on('close', () => process.exit(0));
process.stdout.write('ready\n');
