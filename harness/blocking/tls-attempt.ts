/**
 * IN-01 over TLS: what a (blocked) public host gets when it opens TLS to the SBC and sends OPTIONS and
 * an INVITE. Closing the connection before or during the handshake is one way of not answering, so a
 * failed connection is a note, not an error; every SIP answer is listed.
 */
import { SipClient, buildSdp } from '../sip';

export interface TlsAttempt {
  connected: boolean;
  /** Every SIP answer received: "OPTIONS answered 200 OK". */
  answers: string[];
  /** Why a request got nothing (time-out, connection closed). */
  notes: string[];
}

export interface TlsAttemptOptions {
  sbc: { ip: string; port: number };
  ca: Buffer;
  local: { ip: string; port: number };
  /** The OPTIONS Request-URI's user and the dialled number of the INVITE. */
  optionsUser: string;
  number: string;
  caller: string;
  /** Where the connection's SIP ladder is written, when one was established. */
  ladderFile: string;
  timeoutMs?: number;
}

export async function attemptOverTls(o: TlsAttemptOptions): Promise<TlsAttempt> {
  const result: TlsAttempt = { connected: false, answers: [], notes: [] };
  const timeoutMs = o.timeoutMs ?? 3000;
  let client: SipClient;
  try {
    client = await SipClient.connectTls({ remote: o.sbc, ca: o.ca, localIp: o.local.ip, user: o.caller, timers: { t1Ms: 100 } });
    result.connected = true;
  } catch (err) {
    result.notes.push(`TLS connection not established: ${(err as Error).message}`);
    return result;
  }
  const target = (user: string): string => `sip:${user}@${o.sbc.ip}:${o.sbc.port};transport=tls`;
  try {
    const options = await client.request('OPTIONS', target(o.optionsUser), { timeoutMs }).catch((err: unknown) => err as Error);
    if (options instanceof Error) result.notes.push(`OPTIONS: ${options.message}`);
    else result.answers.push(`OPTIONS answered ${options.status} ${options.reason}`);
    const sdp = buildSdp({ address: o.local.ip, port: 30000 + (o.local.port % 1000) * 2, codecs: ['PCMU', 'PCMA'] });
    const call = await client.invite({ to: target(o.number), from: `sip:${o.caller}@${o.local.ip}`, sdp }).catch((err: unknown) => err as Error);
    if (call instanceof Error) result.notes.push(`INVITE: ${call.message}`);
    else {
      const final = await call.waitFinal(timeoutMs).catch((err: unknown) => err as Error);
      if (!(final instanceof Error)) result.answers.push(`INVITE answered ${final.status} ${final.reason}`);
      for (const p of call.provisional) result.answers.push(`INVITE answered ${p.status} ${p.reason}`);
      if (final instanceof Error) result.notes.push(`INVITE: ${final.message}`);
    }
    await client.writeLadder(o.ladderFile);
  } finally {
    await client.close();
  }
  return result;
}
