import type { SbcError } from '../errors';
import type { Logger } from '../logger';
import { createResponse, type SipRequest, type SipResponse } from '../sip/message';
import type { InviteServerTransaction } from '../transaction/invite-server';
import type { Timer, Timers } from '../transaction/timers';
import type { TransactionLayer } from '../transaction/transaction-layer';
import type { LegSide } from './call-registry';
import type { Dialog } from './dialog';
import { setSdp } from './in-dialog-relay';
import { carriedReason, copyBody } from './leg-request';
import { sdpBody, type SdpRewriter } from './sdp-rewriter';
import { TwoXxRetransmitter } from './two-xx-retransmitter';

interface PendingReinvite {
  fromSide: LegSide;
  request: SipRequest;
  tx: InviteServerTransaction;
  origin: Dialog;
  other: Dialog;
  /** CSeq of the INVITE we sent on the other leg; its ACK reuses it. */
  outSeq: number;
  /** True when the re-INVITE carried no SDP: the 2xx holds the offer, the ACK the answer. */
  lateOffer: boolean;
  /** Responses are handled one after the other, as their SDP rewrites complete. */
  chain: Promise<void>;
  ok?: SipResponse;
  ack?: SipRequest;
  retransmitter?: TwoXxRetransmitter;
  linger?: Timer;
}

/**
 * Relays a re-INVITE (session modification, RFC 3261 14) from one leg to the other: provisionals
 * and the final answer come back with only status, reason and body crossing; the 2xx is ACKed end
 * to end when the originator ACKs; both dialogs refresh their remote targets. One at a time per
 * call: a second one meanwhile gets 491 (14.2). With media anchored, the offer and the answer
 * (in the re-INVITE and its 2xx, or in the 2xx and the ACK for a late offer) are rewritten.
 */
export class ReinviteRelay {
  private readonly transactions: TransactionLayer;
  private readonly timers: Timers;
  private readonly log: Logger;
  private readonly sdp: SdpRewriter | undefined;
  private pending: PendingReinvite | undefined;

  constructor(transactions: TransactionLayer, timers: Timers, log: Logger, sdp?: SdpRewriter) {
    this.transactions = transactions;
    this.timers = timers;
    this.log = log;
    this.sdp = sdp;
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
    const offer = sdpBody(request);
    const pending: PendingReinvite = { fromSide, request, tx, origin, other, outSeq: out.cseq().seq, lateOffer: offer === undefined, chain: Promise.resolve() };
    this.pending = pending;
    const rewrite = this.sdp && offer !== undefined ? this.sdp.offer(offer, fromSide, origin.remoteTag) : Promise.resolve(undefined);
    rewrite.then((sdp) => {
      if (sdp !== undefined) setSdp(out, sdp);
      this.transactions.sendRequest(out, other.target(), {
        onResponse: (res) => {
          pending.chain = pending.chain.then(() => this.onResponse(pending, res))
            .catch((err: unknown) => this.log.error('re-INVITE response relay failed', { err }));
        },
        onFailure: (err) => this.finish(pending, createResponse(request, err.status ?? 500)),
      });
    }).catch((err: unknown) => {
      this.log.info('re-INVITE not relayed', { err });
      this.finish(pending, createResponse(request, (err as Partial<SbcError>).status ?? 500));
    });
  }

  /** The ACK for a relayed 2xx; returns false when the ACK is not ours (e.g. the initial INVITE's). */
  handleAck(side: LegSide, ack: SipRequest): boolean {
    const p = this.pending;
    if (!p || p.fromSide !== side || ack.cseq().seq !== p.request.cseq().seq) return false;
    if (!p.ok || p.ack) return true;
    p.retransmitter?.stop();
    // RFC 3261 13.2.2.4 end to end: the originator's ACK becomes our ACK on the other leg.
    const out = p.other.createRequest('ACK', p.outSeq);
    p.ack = out;
    copyBody(ack, out);
    const answer = sdpBody(ack);
    const rewrite = this.sdp && p.lateOffer && answer !== undefined ? this.sdp.answer(answer, p.origin.remoteTag) : Promise.resolve(undefined);
    rewrite.then((sdp) => {
      if (sdp !== undefined) setSdp(out, sdp);
    }, (err: unknown) => this.log.warn('late-offer answer not anchored', { err })).finally(() => this.sendAck(p));
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

  private async onResponse(p: PendingReinvite, res: SipResponse): Promise<void> {
    if (res.status === 100) return;
    if (res.status < 200) {
      if (p.tx.pending) p.tx.respond(this.rebuild(p, res, this.sdp && sdpBody(res) !== undefined ? '' : undefined));
      return;
    }
    if (res.status >= 300) {
      // The client transaction ACKed the non-2xx hop by hop.
      this.finish(p, this.rebuild(p, res, this.sdp ? '' : undefined));
      return;
    }
    if (p.ok) {
      if (p.ack) this.sendAck(p);
      return;
    }
    p.ok = res;
    p.other.refreshTarget(res);
    let sdp: string | undefined;
    const body = sdpBody(res);
    if (this.sdp && body !== undefined) {
      try {
        sdp = p.lateOffer
          ? await this.sdp.offer(body, p.fromSide === 'a' ? 'b' : 'a', p.other.remoteTag)
          : await this.sdp.answer(body, p.other.remoteTag);
      } catch (err) {
        // The other side accepted but its media cannot be anchored: close its transaction, refuse upstream.
        this.log.warn('re-INVITE answer not anchored', { err });
        p.ack = p.other.createRequest('ACK', p.outSeq);
        this.sendAck(p);
        this.finish(p, createResponse(p.request, (err as Partial<SbcError>).status ?? 500));
        return;
      }
    }
    const ok = this.rebuild(p, res, sdp);
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

  /** The other leg's response for the originator; `sdp` replaces its body ('' drops it). */
  private rebuild(p: PendingReinvite, res: SipResponse, sdp?: string): SipResponse {
    const out = createResponse(p.request, res.status, carriedReason(res));
    if (res.status < 300) out.headers.append('Contact', p.origin.contact());
    copyBody(res, out);
    if (sdp === '') {
      out.body = Buffer.alloc(0);
      out.headers.remove('content-type');
    } else if (sdp !== undefined) {
      setSdp(out, sdp);
    }
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
