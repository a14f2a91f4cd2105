import { readFileSync } from 'node:fs';
import { Given } from '@cucumber/cucumber';
import { SipClient } from '../harness/sip';
import { check } from './assertions';
import type { SbcWorld } from './world';

/**
 * Positive controls (DESIGN "Verdicts"): a negative check (nothing answers, nothing is accepted, nothing
 * reaches the core) proves nothing about an SBC that is not there. Scenarios with one first show, in the
 * same scenario, that the SBC is alive and answering SIP on the address the negative check aims at.
 * Any final response to OPTIONS counts as alive, as SBC operators' and load balancers' probes judge it.
 */
Given('the SBC answers SIP over UDP on its public address', async function (this: SbcWorld) {
  const { address, udp } = this.ctx.profile.sbc.public;
  const ep = this.publicEndpoint();
  // T1 of 100 ms: the OPTIONS is given up after 64*T1 = 6.4 s.
  const client = await SipClient.udp({ ip: ep.ip, port: 0, user: 'control', timers: { t1Ms: 100 } });
  try {
    const t0 = Date.now();
    const response = await client.options(`sip:${address}:${udp}`).catch((err: unknown) => err as Error);
    const answered = !(response instanceof Error);
    this.notes.push(`positive control: OPTIONS to ${address}:${udp} ${answered ? `answered ${response.status} in ${Date.now() - t0} ms` : `unanswered (${response.message})`}`);
    check(answered, () =>
      `${this.ids}: positive control failed: the SBC gave no SIP answer to OPTIONS at ${address}:${udp} (UDP) from ${ep.ip}, so the negative checks of this scenario would prove nothing (${(response as Error).message})`);
  } finally {
    await client.close();
  }
});

Given('the SBC answers SIP over TLS on its public address', async function (this: SbcWorld) {
  const { address, tls } = this.ctx.profile.sbc.public;
  if (tls === undefined) return this.incomplete(`${this.ids}: the SUT profile names no public TLS port`);
  const ep = this.publicEndpoint();
  let client: SipClient | undefined;
  try {
    client = await SipClient.connectTls({ remote: { ip: address, port: tls }, ca: readFileSync(this.ctx.state.pki.caCert), localIp: ep.ip, user: 'control', timers: { t1Ms: 100 } });
    const response = await client.options(`sip:${address}:${tls};transport=tls`);
    this.notes.push(`positive control: OPTIONS over TLS to ${address}:${tls} answered ${response.status}`);
  } catch (err) {
    check(false, () =>
      `${this.ids}: positive control failed: the SBC gave no SIP answer to OPTIONS over TLS at ${address}:${tls} from ${ep.ip}, so the negative checks of this scenario would prove nothing (${(err as Error).message})`);
  } finally {
    await client?.close();
  }
  return undefined;
});
