import type { TlsAttempt } from '../../harness/blocking/tls-attempt';
import type { BlastResult } from '../../harness/sip/udp-blaster';

/**
 * IN-01's scenario state: the host blocked at run time and what the flood and the scan got. Its undo,
 * the unblock, is a provisioning action registered with the block itself (World.onScenarioEnd).
 */
export class BlockingState {
  host?: { ip: string; port: number };
  /** What the blocked host's TLS requests got. */
  tls?: TlsAttempt;
  flood?: { result: BlastResult; numberPrefix: string };
  scan?: { result: BlastResult; token: string };

  /** The host blocked in this scenario; a step that needs one fails without it. */
  blockedHost(): { ip: string; port: number } {
    if (!this.host) throw new Error('no public host was blocked in this scenario');
    return this.host;
  }
}
