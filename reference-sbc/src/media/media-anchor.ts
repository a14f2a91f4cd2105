import { SipParseError } from '../errors';
import type { Logger } from '../logger';
import { parseSdp, serializeSdp, type SessionDescription } from '../sip/sdp';
import { g711Check, restoreDroppedMedia, restrictToG711, type DroppedMedia } from './codec-policy';
import { MediaError } from './media-error';
import { NgClient, type NgDict, type NgValue } from './ng-client';
import { guardOutgoingSdp } from './sdp-guard';
import { srtpOfferFlags, usesSrtp, type MediaZone, type SignallingTransport } from './srtp-policy';

export interface MediaAnchorOptions {
  /** rtpengine's ng control address (config.media.rtpengine). */
  rtpengine: { host: string; port: number };
  /** Every answered ng command's round trip, in seconds (the SBC's metrics). */
  onRoundTrip?: (command: string, seconds: number) => void;
  /** The SBC's address in each zone (config.zones.<zone>.address): what o= and c= carry on that side. */
  addresses: Readonly<Record<MediaZone, string>>;
  /** rtpengine's logical interface per zone (`--interface=NAME/IP`); defaults pub and core. */
  interfaces?: Readonly<Record<MediaZone, string>>;
  /** Wait for each ng reply (default 1000 ms; one retry on timeout). */
  timeoutMs?: number;
  log?: Logger;
}

export interface OfferOptions {
  /** The zone the offer came from and the zone of the leg it goes to. */
  from: MediaZone;
  to: MediaZone;
  /** Signalling transport of the leg the offer goes to: TLS on the public side means SRTP. */
  toTransport: SignallingTransport;
  /** The offerer's tag on its own leg (From tag of the INVITE): rtpengine's name for that side. */
  fromTag: string;
  /** The offering leg's SIP Call-ID, kept for diagnostics (sessions()). */
  callId?: string;
}

export interface AnswerOptions {
  /** The answerer's tag on its own leg (To tag of the 18x/2xx). */
  toTag: string;
}

/** One anchored call as the SBC sees it. */
export interface MediaSession {
  callKey: string;
  callId: string | undefined;
  from: MediaZone;
  to: MediaZone;
  /** True once either leg's SDP uses RTP/SAVP (for the CDR's media encryption field). */
  encrypted: boolean;
}

/** rtpengine's counters for one call (ng `query`), summed over every stream. */
export interface MediaSessionStats {
  createdAt: Date | undefined;
  rtp: { packets: number; bytes: number; errors: number };
  rtcp: { packets: number; bytes: number; errors: number };
}

interface SessionState extends MediaSession {
  offererTag: string;
  dropped: DroppedMedia[];
}

const DEFAULT_INTERFACES: Readonly<Record<MediaZone, string>> = { public: 'pub', core: 'core' };

/** Applies to every ng offer/answer: the SBC anchors all media and speaks for both sides. */
const COMMON_FLAGS: NgDict = {
  ICE: 'remove',
  // Without 'origin' rtpengine 10.5 keeps the offerer's o= address (checked); 'session-connection'
  // covers versions that leave the session-level c= alone. sdp-guard.ts re-checks both.
  replace: ['origin', 'session-connection'],
};

/**
 * Media anchoring for the B2BUA through rtpengine (ng protocol): one rtpengine call per SBC call,
 * named by the SBC's call key. Each SDP that crosses the SBC goes through offer() or answer() and
 * comes back rewritten for the other leg: rtpengine's address and ports in that zone, the codec
 * policy towards the core (codec-policy.ts), the SRTP policy per leg (srtp-policy.ts) and nothing of
 * the other side in o=/s=/c= (sdp-guard.ts). delete() ends it; it never throws, so every end of a
 * call (BYE, CANCEL, failure, timeout, shutdown) can call it unconditionally.
 */
export class MediaAnchor {
  private readonly ng: NgClient;
  private readonly sessions = new Map<string, SessionState>();
  private readonly interfaces: Readonly<Record<MediaZone, string>>;
  private readonly log: Logger | undefined;

  constructor(private readonly options: MediaAnchorOptions) {
    this.interfaces = options.interfaces ?? DEFAULT_INTERFACES;
    this.log = options.log;
    this.ng = new NgClient({
      ...options.rtpengine,
      timeoutMs: options.timeoutMs ?? 1000,
      ...(options.log ? { log: options.log } : {}),
      ...(options.onRoundTrip ? { onRoundTrip: options.onRoundTrip } : {}),
    });
  }

  /**
   * Anchors an offer (INVITE or re-INVITE body) and returns the SDP for the leg it goes to. Throws
   * MediaError: 488 for an SDP the policy refuses, 503 when rtpengine fails, 500 on a policy breach.
   */
  async offer(callKey: string, sdp: string, o: OfferOptions): Promise<string> {
    const parsed = parse(sdp, 'offer');
    let dropped: DroppedMedia[] = [];
    if (o.to === 'core') {
      const verdict = g711Check(sdp);
      if (!verdict.ok) throw new MediaError('media-no-g711', verdict.detail);
      dropped = restrictToG711(parsed);
    }
    const session: SessionState = {
      callKey,
      callId: o.callId,
      from: o.from,
      to: o.to,
      encrypted: (this.sessions.get(callKey)?.encrypted ?? false) || usesSrtp(parsed),
      offererTag: o.fromTag,
      dropped,
    };
    const first = !this.sessions.has(callKey);
    // Registered before rtpengine is asked, so a delete() racing a slow offer still reaches rtpengine.
    this.sessions.set(callKey, session);
    try {
      const reply = await this.ng.command('offer', {
        ...COMMON_FLAGS,
        ...srtpOfferFlags(o.to, o.toTransport),
        'call-id': callKey,
        'from-tag': o.fromTag,
        direction: [this.interfaces[o.from], this.interfaces[o.to]],
        sdp: serializeSdp(parsed),
      });
      const out = parse(sdpOf(reply, 'offer'), 'rtpengine offer');
      guardOutgoingSdp(out, { zone: o.to, address: this.options.addresses[o.to], role: 'offer', transport: o.toTransport });
      session.encrypted ||= usesSrtp(out);
      return serializeSdp(out);
    } catch (err) {
      // A call whose first offer failed is never set up: release what rtpengine may hold for it.
      if (first) await this.delete(callKey);
      throw err;
    }
  }

  /**
   * Anchors the answer to the call's last offer (SDP of a 18x or 2xx; may be called for each) and
   * returns the SDP for the offerer's leg, streams removed by the codec policy answered as rejected.
   */
  async answer(callKey: string, sdp: string, o: AnswerOptions): Promise<string> {
    const session = this.sessions.get(callKey);
    if (!session) throw new MediaError('media-unknown-call', `no media offer for call ${callKey}`);
    const parsed = parse(sdp, 'answer');
    session.encrypted ||= usesSrtp(parsed);
    const reply = await this.ng.command('answer', {
      ...COMMON_FLAGS,
      'call-id': callKey,
      'from-tag': session.offererTag,
      'to-tag': o.toTag,
      sdp: serializeSdp(parsed),
    });
    const out = parse(sdpOf(reply, 'answer'), 'rtpengine answer');
    restoreDroppedMedia(out, session.dropped);
    guardOutgoingSdp(out, { zone: session.from, address: this.options.addresses[session.from], role: 'answer' });
    session.encrypted ||= usesSrtp(out);
    return serializeSdp(out);
  }

  /** Ends the call's media. Idempotent and never throws: a failure is logged (rtpengine times idle calls out). */
  async delete(callKey: string): Promise<void> {
    if (!this.sessions.delete(callKey)) return;
    try {
      await this.ng.command('delete', { 'call-id': callKey });
    } catch (err) {
      this.log?.warn('rtpengine delete failed', { call: callKey, err });
    }
  }

  /** The call as anchored here, or undefined once deleted. */
  session(callKey: string): MediaSession | undefined {
    const s = this.sessions.get(callKey);
    return s && { callKey: s.callKey, callId: s.callId, from: s.from, to: s.to, encrypted: s.encrypted };
  }

  /** Calls this SBC has anchored and not deleted. */
  sessionKeys(): string[] {
    return [...this.sessions.keys()];
  }

  /** Every call rtpengine holds (ng `list`): a test compares it with the calls still in progress. */
  async list(limit = 10000): Promise<string[]> {
    const reply = await this.ng.command('list', { limit });
    const calls = reply.calls;
    return Array.isArray(calls) ? calls.map(String) : [];
  }

  /** rtpengine's counters for one call, or undefined when rtpengine does not know it. */
  async query(callKey: string): Promise<MediaSessionStats | undefined> {
    let reply: NgDict;
    try {
      reply = await this.ng.command('query', { 'call-id': callKey });
    } catch (err) {
      if (err instanceof MediaError && err.code === 'media-rtpengine-error') return undefined;
      throw err;
    }
    if (typeof reply.warning === 'string' && reply.totals === undefined) return undefined;
    const totals = dict(reply.totals);
    return {
      createdAt: typeof reply.created === 'number' ? new Date(reply.created * 1000) : undefined,
      rtp: counters(totals.RTP),
      rtcp: counters(totals.RTCP),
    };
  }

  /** RTP and RTCP packets rtpengine relayed for one call; undefined when it does not know the call. */
  async packets(callKey: string): Promise<number | undefined> {
    const stats = await this.query(callKey);
    return stats === undefined ? undefined : stats.rtp.packets + stats.rtcp.packets;
  }

  /** True when rtpengine answers a ping (health checks). */
  async ping(): Promise<boolean> {
    try {
      const reply = await this.ng.command('ping');
      return reply.result === 'pong';
    } catch {
      return false;
    }
  }

  /** Deletes every call still anchored, then closes the control socket. */
  async close(): Promise<void> {
    await Promise.all(this.sessionKeys().map((k) => this.delete(k)));
    this.ng.close();
  }
}

function parse(sdp: string, what: string): SessionDescription {
  try {
    return parseSdp(sdp);
  } catch (err) {
    const detail = err instanceof SipParseError ? err.message : String(err);
    throw new MediaError(what.startsWith('rtpengine') ? 'media-rtpengine-error' : 'media-sdp-invalid', `${what} SDP: ${detail}`, err);
  }
}

function sdpOf(reply: NgDict, command: string): string {
  if (typeof reply.sdp !== 'string') throw new MediaError('media-rtpengine-error', `rtpengine ${command} reply has no SDP`);
  return reply.sdp;
}

function dict(v: NgValue | undefined): NgDict {
  return v !== undefined && typeof v === 'object' && !Array.isArray(v) ? v : {};
}

function counters(v: NgValue | undefined): { packets: number; bytes: number; errors: number } {
  const d = dict(v);
  const n = (x: NgValue | undefined): number => (typeof x === 'number' ? x : 0);
  return { packets: n(d.packets), bytes: n(d.bytes), errors: n(d.errors) };
}
