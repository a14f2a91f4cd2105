import { join } from 'node:path';
import type { IncomingCall, SipClient } from '../../harness/sip';
import type { ScenarioPart, UndoScope } from './scenario-part';

/**
 * How a public destination treats an INVITE: answer, stay silent (not even 100 Trying), refuse with a
 * status; or fail at the transport (OUT-02): its ENUM URI names TLS where no TCP port listens
 * (connection refused), or UDP where no socket is bound (ICMP port unreachable).
 */
export type DestinationBehaviour =
  | { kind: 'answer' } | { kind: 'silent' } | { kind: 'refuse'; status: number }
  | { kind: 'tls-refused' } | { kind: 'udp-unreachable' };

export interface Destination {
  name: string;
  ip: string;
  port: number;
  behaviour: DestinationBehaviour;
  /** Absent for a destination that fails at the transport: nothing listens there. */
  client?: SipClient;
  /** URI parameters its ENUM record carries (`;transport=tls`). */
  uriParams: string;
  /** Every INVITE it received (retransmissions excluded), in arrival order. */
  calls: IncomingCall[];
}

/** The routing features' scenario state (IN-02, IN-04, OUT-01, OUT-02, GEN-01). */
export class RoutingState implements ScenarioPart {
  readonly destinations = new Map<string, Destination>();
  /** The numbers of the inbound calls placed in order (IN-04). */
  inboundNumbers: string[] = [];
  /** The core server stopped for the scenario. */
  downServer?: string;
  /** INVITEs the core servers had received for the number before the core-side call (GEN-01). */
  coreInvitesBefore?: number;

  destination(name: string): Destination {
    const d = this.destinations.get(name);
    if (!d) throw new Error(`no public destination "${name}" in this scenario`);
    return d;
  }

  /** Each destination's SIP ladder goes to the evidence, then its socket closes. */
  async undo({ evidenceDir }: UndoScope): Promise<void> {
    await Promise.all([...this.destinations.values()].map(async (d) => {
      if (!d.client) return;
      await d.client.writeLadder(join(evidenceDir, `destination-${d.name}.txt`)).catch(() => undefined);
      await d.client.close();
    }));
  }
}
