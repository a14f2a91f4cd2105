import { join } from 'node:path';
import { issueTestPki } from '../harness/sip/test-pki';

export interface TestPki {
  caCert: string;
  caKey: string;
  sbcCert: string;
  sbcKey: string;
  /** A certificate for public-side TLS peers (devices, carriers) the suite plays. */
  peerCert: string;
  peerKey: string;
}

/** A throwaway CA and certificates for one run; everything lives in the run directory. */
export async function createTestPki(runDir: string, sbcAddresses: string[], peerAddresses: string[]): Promise<TestPki> {
  const { caCert, caKey, leaves } = await issueTestPki(join(runDir, 'pki'), [
    { name: 'sbc', cn: 'sbc.example.net', sans: ['DNS:sbc.example.net', ...sbcAddresses.map((a) => `IP:${a}`)] },
    { name: 'peer', cn: 'peer.example.com', sans: ['DNS:peer.example.com', ...peerAddresses.map((a) => `IP:${a}`)] },
  ]);
  const { sbc, peer } = leaves as Record<'sbc' | 'peer', { cert: string; key: string }>;
  return { caCert, caKey, sbcCert: sbc.cert, sbcKey: sbc.key, peerCert: peer.cert, peerKey: peer.key };
}
