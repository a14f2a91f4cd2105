import { randomUUID } from 'node:crypto';
import type { Direction } from '../../events';
import type { Logger } from '../../logger';
import type { Metrics } from '../../metrics';
import type { B2buaCall } from '../../dialog/b2bua-call';
import type { CallRegistry } from '../../dialog/call-registry';
import { ALLOWED_METHODS } from '../../dialog/leg-request';
import { nameAddrTag } from '../../sip/header-values';
import { newCallId, newTag } from '../../sip/ids';
import { createResponse, type SipRequest, type SipResponse } from '../../sip/message';
import { InviteServerTransaction } from '../../transaction/invite-server';
import type { ServerTransaction, TransactionLayer, TransactionUser } from '../../transaction/transaction-layer';
import type { Inbound } from '../../transport/types';
import { numberOf, runSteps, type InviteContext, type InviteStep } from '../invite';
import { answerOptions } from './options-responder';
import { checkDialogStart, checkRequest, nextMaxForwards, type Refusal } from './request-checks';

export interface RouterDeps {
  transactions: TransactionLayer;
  registry: CallRegistry<B2buaCall>;
  log: Logger;
  metrics: Metrics;
  /** Which zone is the public one; everything else is core. */
  publicZone: string;
  /** CSeq numbers a new INVITE must leave free for its dialog (checkDialogStart); absent = 0. */
  cseqHeadroom?: number;
  /** Answers REGISTER (IN-02); absent: REGISTER is refused 405 like any other unsupported method. */
  registrar?: { handle(request: SipRequest, inbound: Inbound): Promise<SipResponse> };
  /** The INVITE chain per direction (inbound = from the public zone). */
  steps: Record<Direction, readonly InviteStep[]>;
  /** Emits `ended` for an announced attempt that the chain rejected or the caller cancelled. */
  onRejected(ctx: InviteContext, status: number, reason: 'rejected' | 'cancelled'): void;
}

/**
 * The transaction user: sorts every request into in-dialog (to its call, or 481), CANCEL (to the
 * INVITE it targets), OPTIONS (answered here), new INVITE (through the step chain) or refused.
 */
export class SipRouter implements TransactionUser {
  private readonly deps: RouterDeps;

  constructor(deps: RouterDeps) {
    this.deps = deps;
    deps.metrics.counter('sbc_requests_refused_total', 'Requests answered with an error by the SBC itself, by zone and status');
  }

  onRequest(request: SipRequest, tx: ServerTransaction | undefined, inbound: Inbound): void {
    if (request.method === 'ACK') {
      this.routeInDialog(request, undefined, inbound);
      return;
    }
    if (!tx) return;
    const refusal = checkRequest(request);
    if (refusal) {
      this.refuse(tx, refusal, inbound);
      return;
    }
    if (request.method === 'CANCEL') {
      this.cancel(request, tx, inbound);
      return;
    }
    if (nameAddrTag(request.to()) !== undefined) {
      this.routeInDialog(request, tx, inbound);
      return;
    }
    switch (request.method) {
      case 'OPTIONS':
        tx.respond(answerOptions(request));
        return;
      case 'INVITE':
        if (tx instanceof InviteServerTransaction) {
          this.newInvite(request, tx, inbound).catch((err: unknown) => {
            this.deps.log.error('INVITE processing failed', { err });
            if (tx.pending) tx.respond(createResponse(request, 500, undefined, newTag()));
          });
        }
        return;
      case 'BYE':
        this.refuse(tx, { status: 481 }, inbound);
        return;
      case 'REGISTER':
        if (this.deps.registrar) {
          this.deps.registrar.handle(request, inbound).then((res) => tx.respond(res), (err: unknown) => {
            this.deps.log.error('REGISTER processing failed', { err });
            tx.respond(createResponse(request, 500, undefined, newTag()));
          });
          return;
        }
        this.refuse(tx, { status: 405, headers: [['Allow', ALLOWED_METHODS.join(', ')]] }, inbound);
        return;
      default:
        this.refuse(tx, { status: 405, headers: [['Allow', ALLOWED_METHODS.join(', ')]] }, inbound);
    }
  }

  onStrayResponse(response: SipResponse, inbound: Inbound): void {
    this.deps.log.debug('stray response dropped', { zone: inbound.zone, status: response.status });
  }

  private routeInDialog(request: SipRequest, tx: ServerTransaction | undefined, inbound: Inbound): void {
    const tag = nameAddrTag(request.to());
    const found = tag === undefined ? undefined : this.deps.registry.find(request.callId(), tag);
    // A message must arrive in the zone of the leg it belongs to; anything else is a forgery.
    const zoneOk = found !== undefined && inbound.zone === found.call.zoneOf(found.side);
    if (!found || !zoneOk) {
      if (tx) this.refuse(tx, { status: 481 }, inbound);
      return;
    }
    found.call.handleRequest(found.side, request, tx);
  }

  private cancel(request: SipRequest, tx: ServerTransaction, inbound: Inbound): void {
    const invite = this.deps.transactions.findInviteForCancel(request);
    if (!invite) {
      this.refuse(tx, { status: 481 }, inbound);
      return;
    }
    // RFC 3261 9.2: answer the CANCEL itself 200, then end the INVITE with 487.
    tx.respond(createResponse(request, 200));
    const call = this.deps.registry.findByInviteTx(invite.key);
    if (call) call.cancel();
    else if (invite.pending) invite.respond(createResponse(invite.request, 487));
  }

  private async newInvite(request: SipRequest, tx: InviteServerTransaction, inbound: Inbound): Promise<void> {
    // RFC 3261 17.2.1: 100 Trying at once, so the caller stops retransmitting.
    tx.respond(createResponse(request, 100));
    const start = checkDialogStart(request, this.deps.cseqHeadroom ?? 0);
    if (start) {
      this.refuse(tx, start, inbound);
      return;
    }
    const hops = nextMaxForwards(request);
    if (typeof hops !== 'number') {
      this.refuse(tx, hops, inbound);
      return;
    }
    const direction: Direction = inbound.zone === this.deps.publicZone ? 'inbound' : 'outbound';
    const ctx: InviteContext = {
      key: randomUUID(),
      request,
      inbound,
      tx,
      direction,
      newCallId: newCallId(),
      dialled: numberOf(request.requestUri()) ?? numberOf(request.to().uri),
      caller: numberOf(request.from().uri),
      maxForwards: hops,
      announced: false,
    };
    const result = await runSteps(this.deps.steps[direction], ctx, this.deps.log);
    if (result.action === 'continue') return;
    if (result.action === 'cancelled') {
      if (ctx.announced) this.deps.onRejected(ctx, 487, 'cancelled');
      return;
    }
    if (tx.pending) {
      const res = createResponse(request, result.status, result.reason, newTag());
      for (const [name, value] of result.headers ?? []) res.headers.append(name, value);
      tx.respond(res);
      this.deps.metrics.inc('sbc_requests_refused_total', { zone: inbound.zone, status: String(result.status) });
    }
    if (ctx.announced) this.deps.onRejected(ctx, result.status, 'rejected');
  }

  private refuse(tx: ServerTransaction, refusal: Refusal, inbound: Inbound): void {
    const res = createResponse(tx.request, refusal.status, refusal.reason, refusal.status > 100 ? newTag() : undefined);
    for (const [name, value] of refusal.headers ?? []) res.headers.append(name, value);
    tx.respond(res);
    this.deps.metrics.inc('sbc_requests_refused_total', { zone: inbound.zone, status: String(refusal.status) });
  }
}
