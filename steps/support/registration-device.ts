/**
 * IN-02's public device: users provisioned through the SUT profile (removed after the scenario) and
 * the suite's SIP client registering as one of them, answering the calls it receives.
 */
import { readFileSync } from 'node:fs';
import { SipClient, buildSdp, sdesCrypto, type SipResponse } from '../../harness/sip';
import { provision } from '../../harness/sut/provision';
import { check } from '../assertions';
import type { SbcWorld } from '../world';

let userSeq = 0;

/** Provisions a fresh user through the profile (removed after the scenario); undefined when the profile cannot. */
export async function provisionUser(world: SbcWorld): Promise<{ user: string; password: string } | undefined> {
  userSeq++;
  const user = `dev${Date.now() % 100000}${userSeq}`;
  const password = `pw-${Math.random().toString(36).slice(2, 10)}`;
  const ctx = { vars: world.ctx.state.vars, netns: world.ctx.state.namespaces.sbc };
  const outcome = await provision(world.ctx.profile, 'addUser', { user, password }, ctx);
  if (!outcome) {
    world.notes.push('the SUT profile has no provision.addUser: IN-02 not run');
    return undefined;
  }
  world.notes.push(`provision.addUser: ${outcome.ran.replace(password, '***')} -> ${outcome.status}`);
  world.onScenarioEnd(async () => {
    await provision(world.ctx.profile, 'removeUser', { user, password }, ctx);
  });
  return { user, password };
}

/** Registers the scenario's device (its client is opened on first use) as `aorUser`, by default its own user. */
export async function register(world: SbcWorld, password: string, expires: number, tls = false, aorUser?: string): Promise<SipResponse> {
  const d = world.registration.device;
  const sbc = world.ctx.profile.sbc.public;
  if (!d.client) {
    let client: SipClient;
    if (tls) {
      check(sbc.tls !== undefined, () => 'the SUT profile names no public TLS port');
      const { pki } = world.ctx.state;
      client = await SipClient.connectTls({ remote: { ip: sbc.address, port: sbc.tls }, ca: readFileSync(pki.caCert), localIp: d.ip, user: d.user });
      // The contact of a TLS client is its own end of the connection.
      d.port = client.local.port;
    } else {
      client = await SipClient.udp({ ip: d.ip, port: d.port, user: d.user });
    }
    client.onInvite(async (call) => {
      d.calls.push(call);
      // A TLS leg is offered SRTP (OUT-03): answer with a key of our own when a supported one is offered.
      const offered = call.offer?.media.find((m) => m.type === 'audio')?.crypto.find((c) => c.suite === 'AES_CM_128_HMAC_SHA1_80');
      await call.answer(buildSdp({ address: d.ip, port: 32000 + (d.port % 1000) * 2, codecs: ['PCMU', 'PCMA'], ...(offered ? { crypto: [sdesCrypto(offered.tag)] } : {}) }));
    });
    d.client = client;
  }
  return d.client.register(`sip:${sbc.address}:${tls ? sbc.tls : sbc.udp}${tls ? ';transport=tls' : ''}`, {
    aor: `sip:${aorUser ?? d.user}@${sbc.address}`,
    expires,
    credentials: { username: d.user, password },
  });
}
