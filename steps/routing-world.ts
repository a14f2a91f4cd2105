/**
 * What the routing features (IN-02, IN-04, OUT-01, OUT-02, GEN-01) share: public destinations played
 * by the suite's SIP client, callers on the core side played by SIPp from a core server's address, and
 * the public zone's packet capture read for where calls really went and when.
 */
import { join } from 'node:path';
import { SipClient, buildSdp } from '../harness/sip';
import { readSip, type CapturedSip } from '../harness/capture/pcap-read';
import { runSipp, type SippResult } from '../harness/sipp/runner';
import { namespaceOf } from '../topology/hosts';
import { REPO_ROOT } from '../topology/paths';
import { runCaptures } from './capture.hooks';
import type { Destination, DestinationBehaviour } from './support/routing';
import type { SbcWorld } from './world';
import { CORE_CALLER_NUMBER } from '../harness/sipp/scenario-keys';

export type { Destination, DestinationBehaviour } from './support/routing';

let corePortSeq = 0;


export function parseBehaviour(text: string): DestinationBehaviour {
  if (text === 'answers calls') return { kind: 'answer' };
  if (text === 'stays silent') return { kind: 'silent' };
  if (text === 'refuses TLS connections') return { kind: 'tls-refused' };
  if (text === 'is not listening on UDP') return { kind: 'udp-unreachable' };
  const m = /^answers (\d{3})$/.exec(text);
  if (m) return { kind: 'refuse', status: Number(m[1]) };
  throw new Error(`unknown destination behaviour "${text}"`);
}

/** A SIP UA on a public host that handles INVITEs as told; closed after the scenario. */
export async function addDestination(world: SbcWorld, name: string, behaviour: DestinationBehaviour): Promise<Destination> {
  const ep = world.publicEndpoint();
  if (behaviour.kind === 'tls-refused' || behaviour.kind === 'udp-unreachable') {
    const d: Destination = { name, ip: ep.ip, port: ep.port, behaviour, calls: [], uriParams: behaviour.kind === 'tls-refused' ? ';transport=tls' : '' };
    world.routing.destinations.set(name, d);
    return d;
  }
  const client = await SipClient.udp({ ip: ep.ip, port: ep.port, user: name.toLowerCase(), autoTrying: behaviour.kind !== 'silent' });
  const d: Destination = { name, ip: ep.ip, port: ep.port, behaviour, client, calls: [], uriParams: '' };
  client.onInvite(async (call) => {
    d.calls.push(call);
    if (behaviour.kind === 'answer') await call.answer(buildSdp({ address: ep.ip, port: 30000 + (ep.port % 1000) * 2, codecs: ['PCMU', 'PCMA'] }));
    else if (behaviour.kind === 'refuse') await call.reject(behaviour.status);
  });
  world.routing.destinations.set(name, d);
  return d;
}

export function destination(world: SbcWorld, name: string): Destination {
  return world.routing.destination(name);
}

/**
 * A core server places a call to `dialled` through the SBC's core side, from that server's own SIP
 * address and port (its UAS steps aside for the call). `from` is another core-side address when the
 * scenario needs a caller that is not a core server (it then calls from the same SIP port).
 * `answered`: the scenario expects 200 and hangs up after `holdMs` (default 1 s); otherwise it expects
 * a final error and ACKs it.
 */
export async function coreCall(world: SbcWorld, role: string, dialled: string, o: { answered: boolean; from?: string; holdMs?: number }): Promise<SippResult> {
  const { state, profile, core } = world.ctx;
  const from = o.from ?? state.addresses.coreServers[0]!;
  corePortSeq++;
  const call = (): Promise<SippResult> =>
    runSipp({
      name: role,
      evidenceDir: world.evidenceDir,
      netns: namespaceOf(state, from),
      killAfterMs: 60_000,
      options: {
        scenario: { file: join(REPO_ROOT, 'scenarios', o.answered ? 'uac-invite-answered.xml' : 'uac-invite-refused.xml') },
        localIp: from,
        localPort: core.sipPort,
        mediaIp: from,
        mediaPort: 43000 + (corePortSeq % 400) * 4,
        remote: `${profile.sbc.core.address}:${profile.sbc.core.udp}`,
        service: dialled,
        keys: { from: CORE_CALLER_NUMBER },
        calls: 1,
        recvTimeoutMs: 15_000,
        timeoutS: 40,
        extra: ['-d', String(o.holdMs ?? 1000)],
      },
    });
  const r = state.addresses.coreServers.includes(from) ? await core.withSipPortFree(from, call) : await call();
  world.sipp.set(role, r);
  world.notes.push(r.summary);
  return r;
}

/** The final status of the caller's INVITE as SIPp received it, or undefined for none. */
export function finalStatus(r: SippResult): number | undefined {
  return r.messages.find((m) => m.direction === 'received' && m.status !== undefined && m.status >= 200 && /INVITE/.test(m.header('cseq') ?? ''))?.status;
}

/** Every SIP message of the core zone's capture so far. */
export async function coreSip(): Promise<{ sip: CapturedSip[]; file: string }> {
  const { core } = runCaptures();
  await core.sync();
  return { sip: await readSip(core.file), file: core.file };
}

/** Every SIP message of the public zone's capture so far. */
export async function publicSip(): Promise<{ sip: CapturedSip[]; file: string }> {
  const { pub } = runCaptures();
  await pub.sync();
  return { sip: await readSip(pub.file), file: pub.file };
}

export const startLine = (m: CapturedSip): string => m.text.split('\r\n', 1)[0] ?? '';
const cseqOf = (m: CapturedSip): string => /^CSeq:\s*(.+)$/im.exec(m.text)?.[1]?.trim() ?? '';

/** First INVITE the SBC sent to `d`, from the capture. */
export function firstInviteTo(sip: CapturedSip[], sbc: string, d: Destination): CapturedSip | undefined {
  return sip.find((m) => m.src === sbc && m.dst === d.ip && m.dstPort === d.port && startLine(m).startsWith('INVITE '));
}

/** First response with a status in [min, max] that `d` sent to the SBC for an INVITE, from the capture. */
export function firstAnswerFrom(sip: CapturedSip[], sbc: string, d: Destination, min: number, max: number): CapturedSip | undefined {
  return sip.find((m) => {
    if (m.src !== d.ip || m.srcPort !== d.port || m.dst !== sbc) return false;
    const status = Number(/^SIP\/2\.0 (\d{3})/.exec(startLine(m))?.[1] ?? 0);
    return status >= min && status <= max && /INVITE/i.test(cseqOf(m));
  });
}
