import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../harness/util/process';

export interface TestPki {
  caCert: string;
  caKey: string;
  sbcCert: string;
  sbcKey: string;
  /** A certificate for public-side TLS peers (devices, carriers) the suite plays. */
  peerCert: string;
  peerKey: string;
}

async function issue(dir: string, name: string, cn: string, sans: string[], ca: { cert: string; key: string }): Promise<[string, string]> {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.crt`);
  const ext = join(dir, `${name}.ext`);
  const { writeFileSync } = await import('node:fs');
  writeFileSync(ext, `subjectAltName=${sans.join(',')}\nextendedKeyUsage=serverAuth,clientAuth\n`);
  await run('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${cn}`]);
  await run('openssl', ['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-days', '2', '-out', cert, '-extfile', ext]);
  return [cert, key];
}

/** A throwaway CA and certificates for one run; everything lives in the run directory. */
export async function createTestPki(runDir: string, sbcAddresses: string[], peerAddresses: string[]): Promise<TestPki> {
  const dir = join(runDir, 'pki');
  mkdirSync(dir, { recursive: true });
  const caKey = join(dir, 'ca.key');
  const caCert = join(dir, 'ca.crt');
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', caKey, '-out', caCert, '-days', '2', '-subj', '/CN=sbc-certify test CA']);
  const ca = { cert: caCert, key: caKey };
  const [sbcCert, sbcKey] = await issue(dir, 'sbc', 'sbc.example.net', ['DNS:sbc.example.net', ...sbcAddresses.map((a) => `IP:${a}`)], ca);
  const [peerCert, peerKey] = await issue(dir, 'peer', 'peer.example.com', ['DNS:peer.example.com', ...peerAddresses.map((a) => `IP:${a}`)], ca);
  return { caCert, caKey, sbcCert, sbcKey, peerCert, peerKey };
}
