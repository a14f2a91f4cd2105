/**
 * GEN-08: which TLS versions the SBC's public TLS port accepts, probed with plain handshakes from a
 * public host. A version the suite's TLS library would refuse by default (1.0, 1.1) is offered with
 * the security level lowered, so that a refusal can only come from the SBC.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tcpConnect } from 'node:net';
import { connect, type SecureVersion } from 'node:tls';
import { Then, When } from '@cucumber/cucumber';
import { check } from './assertions';
import type { Handshake } from './support/tls';
import type { SbcWorld } from './world';

const HANDSHAKE_TIMEOUT_MS = 5000;

function handshake(o: { host: string; port: number; localIp: string; version: SecureVersion }): Promise<Handshake> {
  return new Promise((resolve) => {
    const tcp = tcpConnect({ host: o.host, port: o.port, localAddress: o.localIp });
    const socket = connect({
      socket: tcp, minVersion: o.version, maxVersion: o.version,
      // Old versions need SHA-1 and old suites, which OpenSSL 3 hides below security level 1.
      ciphers: 'DEFAULT:@SECLEVEL=0', rejectUnauthorized: false,
    });
    const done = (h: Handshake): void => {
      clearTimeout(timer);
      socket.destroy();
      tcp.destroy();
      resolve(h);
    };
    const timer = setTimeout(() => done({ version: o.version, outcome: 'refused', error: `no handshake within ${HANDSHAKE_TIMEOUT_MS} ms` }), HANDSHAKE_TIMEOUT_MS);
    socket.once('secureConnect', () => done({ version: o.version, outcome: 'accepted', protocol: socket.getProtocol() ?? '?', cipher: socket.getCipher()?.name ?? '?' }));
    socket.once('error', (err) => done({ version: o.version, outcome: 'refused', error: err.message }));
    tcp.once('error', (err) => done({ version: o.version, outcome: 'refused', error: err.message }));
  });
}

When('a public host tries TLS handshakes with the SBC\'s public TLS port offering only TLS 1.2, only TLS 1.1 and only TLS 1.0', async function (this: SbcWorld) {
  const port = this.ctx.profile.sbc.public.tls;
  if (port === undefined) return this.incomplete('GEN-08: the SUT profile names no public TLS port');
  const localIp = this.publicEndpoint().ip;
  const results: Handshake[] = [];
  for (const version of ['TLSv1.2', 'TLSv1.1', 'TLSv1'] as const) results.push(await handshake({ host: this.sbcPublic, port, localIp, version }));
  this.tls.handshakes = results;
  writeFileSync(join(this.evidenceDir, 'tls-handshakes.json'), JSON.stringify({ target: `${this.sbcPublic}:${port}`, from: localIp, results }, null, 2));
  this.notes.push(...results.map((r) => `${r.version}: ${r.outcome === 'accepted' ? `accepted (${r.protocol}, ${r.cipher})` : `refused (${r.error})`}`));
  return undefined;
});

function probe(world: SbcWorld, version: SecureVersion): Handshake {
  const r = world.tls.handshakes.find((h) => h.version === version);
  check(r, () => `${world.ids}: no ${version} handshake was tried in this scenario`);
  return r;
}

Then('the TLS 1.2 handshake was accepted', function (this: SbcWorld) {
  const r = probe(this, 'TLSv1.2');
  check(r.outcome === 'accepted', () => `${this.ids}: the SBC refused a TLS 1.2 handshake on ${this.sbcPublic}:${this.ctx.profile.sbc.public.tls} (${r.outcome === 'refused' ? r.error : ''}); SIP over TLS on 5061 must work`);
});

Then('the TLS 1.1 and TLS 1.0 handshakes were refused', function (this: SbcWorld) {
  const accepted = (['TLSv1.1', 'TLSv1'] as const).map((v) => probe(this, v)).filter((r) => r.outcome === 'accepted');
  check(accepted.length === 0, () =>
    `${this.ids}: the SBC accepted ${accepted.map((r) => `${r.version} (negotiated ${r.outcome === 'accepted' ? `${r.protocol} with ${r.cipher}` : ''})`).join(' and ')}; only TLS 1.2 or newer is allowed`);
});
