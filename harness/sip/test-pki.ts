/**
 * A throwaway CA and a server certificate made with `openssl` in a temporary
 * folder, for loopback TLS tests. The certificate names 127.0.0.1 (IP SAN) and
 * `sbc.test`, so hostname checks pass against loopback.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestPki {
  dir: string;
  ca: string;
  cert: string;
  key: string;
  /** Removes the folder and everything in it. */
  cleanup(): Promise<void>;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export async function makeTestPki(subjectAltName = 'IP:127.0.0.1,DNS:sbc.test'): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'sip-pki-'));
  const at = (name: string): string => join(dir, name);
  try {
    await run('openssl', ['req', '-x509', ...EC, '-keyout', at('ca.key'), '-out', at('ca.pem'), '-days', '2', '-subj', '/CN=sbc-certify test CA']);
    await run('openssl', ['req', ...EC, '-keyout', at('server.key'), '-out', at('server.csr'), '-subj', '/CN=sbc.test']);
    await writeFile(at('ext.cnf'), `subjectAltName=${subjectAltName}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\n`);
    await run('openssl', [
      'x509', '-req', '-in', at('server.csr'), '-CA', at('ca.pem'), '-CAkey', at('ca.key'), '-CAcreateserial',
      '-out', at('server.pem'), '-days', '2', '-extfile', at('ext.cnf'),
    ]);
    const [ca, cert, key] = await Promise.all([at('ca.pem'), at('server.pem'), at('server.key')].map((p) => readFile(p, 'utf8')));
    return { dir, ca: ca as string, cert: cert as string, key: key as string, cleanup: () => rm(dir, { recursive: true, force: true }) };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
