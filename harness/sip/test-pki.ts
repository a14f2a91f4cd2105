/**
 * The suite's one test PKI: a throwaway CA made with `openssl` and leaf certificates it issues
 * (EC P-256, two days, serverAuth and clientAuth, the names given as subjectAltName). The run's
 * topology issues the SBC's and the public peers' certificates into its run folder; loopback TLS
 * unit tests take one server certificate in a temporary folder.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../util/process';

/** One certificate to issue: `name` gives the file names (`<name>.crt`, `<name>.key`). */
export interface LeafRequest {
  name: string;
  cn: string;
  /** subjectAltName entries, e.g. `IP:127.0.0.1`, `DNS:sbc.test`. */
  sans: string[];
}

export interface IssuedFiles {
  caCert: string;
  caKey: string;
  /** Paths of each leaf's certificate and key, by its request's name. */
  leaves: Record<string, { cert: string; key: string }>;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
const LEAF_NAME = /^[a-z][a-z0-9-]*$/;

/** Makes a CA in `dir` and issues every leaf with it; returns the file paths. */
export async function issueTestPki(dir: string, leaves: readonly LeafRequest[]): Promise<IssuedFiles> {
  const at = (name: string): string => join(dir, name);
  await mkdir(dir, { recursive: true });
  const caCert = at('ca.crt');
  const caKey = at('ca.key');
  await run('openssl', ['req', '-x509', ...EC, '-keyout', caKey, '-out', caCert, '-days', '2', '-subj', '/CN=sbc-certify test CA']);
  const issued: IssuedFiles['leaves'] = {};
  for (const leaf of leaves) {
    if (!LEAF_NAME.test(leaf.name) || leaf.name === 'ca') throw new Error(`test PKI: '${leaf.name}' is not a usable certificate name (lower-case letters, digits, '-'; not 'ca')`);
    if (leaf.sans.length === 0) throw new Error(`test PKI: certificate '${leaf.name}' names no subjectAltName`);
    const [key, csr, cert, ext] = ['key', 'csr', 'crt', 'ext'].map((suffix) => at(`${leaf.name}.${suffix}`)) as [string, string, string, string];
    await writeFile(ext, `subjectAltName=${leaf.sans.join(',')}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\n`);
    await run('openssl', ['req', ...EC, '-keyout', key, '-out', csr, '-subj', `/CN=${leaf.cn}`]);
    await run('openssl', ['x509', '-req', '-in', csr, '-CA', caCert, '-CAkey', caKey, '-CAcreateserial', '-days', '2', '-out', cert, '-extfile', ext]);
    issued[leaf.name] = { cert, key };
  }
  return { caCert, caKey, leaves: issued };
}

/** A CA and one server certificate as PEM text, for loopback TLS tests. */
export interface TestPki {
  dir: string;
  ca: string;
  cert: string;
  key: string;
  /** Removes the folder and everything in it. */
  cleanup(): Promise<void>;
}

/** The server certificate names 127.0.0.1 and `sbc.test` unless told otherwise, so hostname checks pass on loopback. */
export async function makeTestPki(subjectAltName = 'IP:127.0.0.1,DNS:sbc.test'): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'sip-pki-'));
  try {
    const files = await issueTestPki(dir, [{ name: 'server', cn: 'sbc.test', sans: subjectAltName.split(',') }]);
    const server = files.leaves.server!;
    const [ca, cert, key] = await Promise.all([files.caCert, server.cert, server.key].map((p) => readFile(p, 'utf8')));
    return { dir, ca: ca!, cert: cert!, key: key!, cleanup: () => rm(dir, { recursive: true, force: true }) };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
