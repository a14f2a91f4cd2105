import type { Logger } from '../logger';
import { createResponse, type SipRequest, type SipResponse } from '../sip/message';
import type { InviteServerTransaction } from '../transaction/invite-server';
import type { Timer, Timers } from '../transaction/timers';
import type { TransactionLayer } from '../transaction/transaction-layer';
import type { LegSide } from './call-registry';
import type { Dialog } from './dialog';
import { copyBody } from './leg-request';
import { TwoXxRetransmitter } from './two-xx-retransmitter';

interface PendingReinvite {
  fromSide: LegSide;
  request: SipRequest;
  tx: InviteServerTransaction;
  origin: Dialog;
  other: Dialog;
  /** CSeq of the INVITE we sent on the other leg; its ACK reuses it. */
  outSeq: number;
  ok?: SipResponse;
  ack?: SipRequest;
  retransmitter?: TwoXxRetransmitter;
  linger?: Timer;
}

/**
 * Relays a re-INVITE (session modification, RFC 3261 14) from one leg to the other: provisionals
 * and the final answer come back with only status, reason and body crossing; the 2xx is ACKed end
 * to end when the originator ACKs; both dialogs refresh their remote targets. One at a time per
 * call: a second one meanwhile gets 491 (14.2).
 */
export class ReinviteRelay {
  private readonly transactions: TransactionLayer;
  private readonly timers: Timers;
  private readonly log: Logger;
  private pending: PendingReinvite | undefined;

  constructor(transactions: TransactionLayer, timers: Timers, log: Logger) {
    this.transactions = transactions;
    this.timers = timers;
    this.log = log;
  }

  /** True while a re-INVITE is unanswered or its 2xx unacknowledged. */
  get busy(): boolean {
    return this.pending !== undefined && this.pending.ack === undefined;
  }

  start(fromSide: LegSide, request: SipRequest, tx: InviteServerTransaction, origin: Dialog, other: Dialog): void {
    if (this.busy) {
      tx.respond(createResponse(request, 491));
      return;
    }
    this.clear();
    origin.refreshTarget(request);
    const out = other.createRequest('INVITE');
    copyBody(request, out);
    const pending: PendingReinvite = { fromSide, request, tx, origin, other, outSeq: out.cseq().seq };
    this.pending = pending;
    try {
      this.transactions.sendRequest(out, other.target(), {
        onResponse: (res) => this.onResponse(pending, res),
        onFailure: (err) => this.finish(pending, createResponse(request, err.status ?? 500)),
      });
    } catch (err) {
      this.log.warn('cannot relay re-INVITE', { err });
      this.finish(pending, createResponse(request, 503));
    }
  }

  /** The ACK for a relayed 2xx; returns false when the ACK is not ours (e.g. the initial INVITE's). */
  handleAck(side: LegSide, ack: SipRequest): boolean {
    const p = this.pending;
    if (!p || p.fromSide !== side || ack.cseq().seq !== p.request.cseq().seq) return false;
    if (!p.ok || p.ack) return true;
    p.retransmitter?.stop();
    // RFC 3261 13.2.2.4 end to end: the originator's ACK becomes our ACK on the other leg.
    p.ack = p.other.createRequest('ACK', p.outSeq);
    copyBody(ack, p.ack);
    this.sendAck(p);
    // Keep the ACK a while to answer 2xx retransmissions from the other side, then forget.
    p.linger = this.timers.start(this.timers.H, () => {
      if (this.pending === p) this.pending = undefined;
    });
    return true;
  }

  /** Drops timers (call ending). */
  clear(): void {
    this.pending?.retransmitter?.stop();
    this.pending?.linger?.cancel();
    this.pending = undefined;
  }

  private onResponse(p: PendingReinvite, res: SipResponse): void {
    if (res.status === 100) return;
    if (res.status < 200) {
      if (p.tx.pending) p.tx.respond(this.rebuild(p, res));
      return;
    }
    if (res.status >= 300) {
      // The client transaction ACKed the non-2xx hop by hop.
      this.finish(p, this.rebuild(p, res));
      return;
    }
    if (p.ok) {
      if (p.ack) this.sendAck(p);
      return;
    }
    p.ok = res;
    p.other.refreshTarget(res);
    const ok = this.rebuild(p, res);
    p.tx.respond(ok);
    const { zone, protocol, connectionId } = p.tx.inbound;
    p.retransmitter = new TwoXxRetransmitter(this.timers, () => {
      this.transactions.sendResponse(ok, { zone, protocol, ...(connectionId === undefined ? {} : { connectionId }) })
        .catch((err: unknown) => this.log.warn('re-INVITE 2xx retransmission failed', { err }));
    }, () => {
      this.log.warn('no ACK for re-INVITE 2xx');
      p.ack = p.other.createRequest('ACK', p.outSeq);
      this.sendAck(p);
      if (this.pending === p) this.pending = undefined;
    });
    p.retransmitter.start();
  }

  private rebuild(p: PendingReinvite, res: SipResponse): SipResponse {
    const out = createResponse(p.request, res.status, res.reason);
    if (res.status < 300) out.headers.append('Contact', p.origin.contact());
    copyBody(res, out);
    return out;
  }

  private finish(p: PendingReinvite, response: SipResponse): void {
    if (p.tx.pending) p.tx.respond(response);
    if (this.pending === p) this.pending = undefined;
  }

  private sendAck(p: PendingReinvite): void {
    if (!p.ack) return;
    this.transactions.sendAck(p.ack, p.other.target())
      .catch((err: unknown) => this.log.warn('re-INVITE ACK send failed', { err }));
  }
}
