import { join } from 'node:path';
import type { CryptoAttr, EndpointStats, MediaEndpoint, RemoteMediaEndpoint } from '../../harness/media';
import type { IncomingCall, OutgoingCall, SipClient, SipResponse } from '../../harness/sip';
import type { ScenarioPart, UndoScope } from './scenario-part';

/** How long the undo waits for the BYE's answer: well inside the hook's own time-out, so the closes below always run. */
const HANG_UP_WAIT_MS = 8_000;

/** What one media scenario holds on to: the SIP legs, the media endpoints and what they measured. */
export class MediaState implements ScenarioPart {
  /** The requirement the scenario proves (its first ID tag), for failure messages. */
  req = 'MEDIA';
  caller?: SipClient;
  call?: OutgoingCall;
  final?: SipResponse;
  callerMedia?: MediaEndpoint;
  ourKey?: CryptoAttr;
  sbcKey?: CryptoAttr;
  readonly coreMedia = new Map<string, RemoteMediaEndpoint>();
  coreServer?: string;
  callerStats?: EndpointStats;
  coreStats?: EndpointStats;
  /** Why no media was sent: the SDP pointed a side at an address other than the SBC's (media not anchored). */
  unanchored?: string;
  /** The final answer to the caller's re-INVITE (mid-dialog offers). */
  reinviteAnswer?: SipResponse;
  device?: SipClient;
  deviceAddress?: string;
  readonly deviceCalls: IncomingCall[] = [];

  /** BYE from the caller if its call is still up (also after a failed check, so no call is left hanging). */
  async hangUp(notes: string[]): Promise<void> {
    if (this.call?.state !== 'confirmed') return;
    await this.call.bye().catch((err: unknown) => notes.push(`BYE failed: ${(err as Error).message}`));
  }

  async undo({ evidenceDir, notes }: UndoScope): Promise<void> {
    if (!this.caller && !this.device && !this.callerMedia && this.coreMedia.size === 0) return;
    try {
      await Promise.race([this.hangUp(notes), new Promise((r) => setTimeout(r, HANG_UP_WAIT_MS))]);
      if (this.caller) await this.caller.writeLadder(join(evidenceDir, 'caller-sip.txt')).catch(() => undefined);
      if (this.device) await this.device.writeLadder(join(evidenceDir, 'device-sip.txt')).catch(() => undefined);
    } finally {
      // Every socket and media agent goes, whatever happened above: a leaked one fails later scenarios (EADDRINUSE).
      await Promise.all([
        this.caller?.close(),
        this.device?.close(),
        this.callerMedia?.close(),
        ...[...this.coreMedia.values()].map((ep) => ep.close()),
      ].map((p) => p?.catch(() => undefined)));
    }
  }
}
