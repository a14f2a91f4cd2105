import type { Direction } from '../../events';
import type { Logger } from '../../logger';
import type { SipRequest, SipResponse } from '../../sip/message';
import type { InviteServerTransaction } from '../../transaction/invite-server';
import type { Inbound, Target } from '../../transport/types';

/** The decision the route step makes: where the new leg goes and what its Request-URI is. */
export interface RouteDecision {
  target: Target;
  requestUri: string;
  /** Host (and port) to put in the new leg's To header: the destination's, never the caller's. */
  toHost: string;
  /** `host:port` of the chosen next hop, for events and logs. */
  peer: string;
  /**
   * The route to try when this one fails before anything reached the caller (no answer at all,
   * 503, transport error); it also marks this hop as down. Undefined or returning undefined: none.
   */
  next?: () => RouteDecision | undefined;
  /**
   * Whether this hop's final error answer moves the call to `next` (and what the route learns from
   * it, e.g. a Retry-After); undefined: the default, 503 and 408.
   */
  retryOn?: (response: SipResponse) => boolean | undefined;
  /** How long this hop may stay completely silent (not even 100) before `next`; undefined: the forwarder's default. */
  noResponseMs?: number | undefined;
}

/** Everything an INVITE's steps read and write. One context per new INVITE. */
export interface InviteContext {
  readonly key: string;
  readonly request: SipRequest;
  readonly inbound: Inbound;
  readonly tx: InviteServerTransaction;
  readonly direction: Direction;
  /** The Call-ID the new leg will use, chosen up front so events can name it early. */
  readonly newCallId: string;
  /** The dialled number/user and the caller's, as the Request-URI / From carried them. */
  readonly dialled: string | undefined;
  readonly caller: string | undefined;
  maxForwards: number;
  route?: RouteDecision;
  /** The SDP the new leg is offered (rtpengine's rewrite), when media is anchored. */
  offerSdp?: string;
  /** Set once the `started` event went out, so a later rejection is reported as the call's end. */
  announced: boolean;
}

export type StepResult =
  | { action: 'continue' }
  | { action: 'reject'; status: number; reason?: string; headers?: Array<[string, string]> }
  /** The caller CANCELled while a step was running; the INVITE was already answered 487. */
  | { action: 'cancelled' };

/** One named stage of INVITE processing (STYLE.md 8), testable on its own. */
export interface InviteStep {
  readonly name: string;
  run(ctx: InviteContext): StepResult | Promise<StepResult>;
}

export const CONTINUE: StepResult = { action: 'continue' };

export function reject(status: number, reason?: string): StepResult {
  return reason === undefined ? { action: 'reject', status } : { action: 'reject', status, reason };
}

/**
 * Runs steps in order until one rejects, the caller cancels, or all continue. A step that throws is a bug: it rejects
 * with 500 rather than leaving the caller without an answer.
 */
export async function runSteps(steps: readonly InviteStep[], ctx: InviteContext, log: Logger): Promise<StepResult> {
  for (const step of steps) {
    // A CANCEL may have arrived while an earlier (asynchronous) step ran.
    if (!ctx.tx.pending) return { action: 'cancelled' };
    let result: StepResult;
    try {
      result = await step.run(ctx);
    } catch (err) {
      log.error('invite step failed', { step: step.name, err });
      return reject(500);
    }
    if (result.action === 'reject') {
      log.info('invite rejected', { step: step.name, status: result.status });
      return result;
    }
  }
  return CONTINUE;
}
