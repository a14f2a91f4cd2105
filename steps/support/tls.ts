import type { SecureVersion } from 'node:tls';

export type Handshake =
  | { version: SecureVersion; outcome: 'accepted'; protocol: string; cipher: string }
  | { version: SecureVersion; outcome: 'refused'; error: string };

/** GEN-08's TLS version probes. */
export class TlsState {
  handshakes: Handshake[] = [];
}
