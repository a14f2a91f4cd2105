import { join } from 'node:path';
import type { IncomingCall, SipClient, SipResponse } from '../../harness/sip';
import type { ScenarioPart, UndoScope } from './scenario-part';

export interface Device {
  user: string;
  password: string;
  ip: string;
  port: number;
  client?: SipClient;
  calls: IncomingCall[];
  registration?: SipResponse;
  requestedExpires?: number;
}

export interface Victim {
  user: string;
  password: string;
  registration?: SipResponse;
}

/** IN-02's scenario state: the provisioned user's device, and a second user (the victim of a hijack). */
export class RegistrationState implements ScenarioPart {
  private dev?: Device;
  private other?: Victim;

  set device(d: Device) {
    this.dev = d;
  }

  get device(): Device {
    if (!this.dev) throw new Error('no SIP user was provisioned in this scenario');
    return this.dev;
  }

  set victim(v: Victim) {
    this.other = v;
  }

  get victim(): Victim {
    if (!this.other) throw new Error('no other SIP user was provisioned in this scenario');
    return this.other;
  }

  /** The device's SIP ladder goes to the evidence, then its socket closes. */
  async undo({ evidenceDir }: UndoScope): Promise<void> {
    const client = this.dev?.client;
    if (!client) return;
    await client.writeLadder(join(evidenceDir, 'device.txt')).catch(() => undefined);
    await client.close();
  }
}
