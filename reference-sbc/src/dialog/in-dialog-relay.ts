import type { SbcError } from '../errors';
import type { Logger } from '../logger';
import { createResponse, type SipMessage, type SipRequest } from '../sip/message';
import type { ServerTransaction, TransactionLayer } from '../transaction/transaction-layer';
import type { LegSide } from './call-registry';
import type { Dialog } from './dialog';
import { carriedReason, copyBody } from './leg-request';
import { sdpBody, type SdpRewriter } from './sdp-rewriter';

/** Headers that describe a mid-dialog request's payload and may cross legs (no routing, no identities). */
const CARRIED = ['event', 'subscription-state', 'info-package', 'content-disposition'];

/**
 * Relays a non-INVITE in-dialog request (INFO, OPTIONS, UPDATE, MESSAGE, NOTIFY) to the other
 * leg's dialog as a new request of that dialog, and its final answer back: status, reason and
 * body only. Provisionals stay on their leg. With media anchored, an UPDATE's SDP offer and its
 * answer go through the rewriter; an SDP in any other request or answer is not carried (it would
 * hand one side the other's addresses).
 */
export class InDialogRelay {
  private readonly transactions: TransactionLayer;
  private readonly log: Logger;
  private readonly sdp: SdpRewriter | undefined;

  constructor(transactions: TransactionLayer, log: Logger, sdp?: SdpRewriter) {
    this.transactions = transactions;
    this.log = log;
    this.sdp = sdp;
  }

  forward(fromSide: LegSide, request: SipRequest, tx: ServerTransaction, origin: Dialog, other: Dialog): void {
    this.relay(fromSide, request, tx, origin, other).catch((err: unknown) => {
      this.log.info('in-dialog request not relayed', { method: request.method, err });
      if (tx.pending) tx.respond(createResponse(request, (err as Partial<SbcError>).status ?? 500));
    });
  }

  private async relay(fromSide: LegSide, request: SipRequest, tx: ServerTransaction, origin: Dialog, other: Dialog): Promise<void> {
    // UPDATE is a target refresh (RFC 3311 5.2): both dialogs learn the new remote targets.
    const refresh = request.method === 'UPDATE';
    if (refresh) origin.refreshTarget(request);
    const out = other.createRequest(request.method);
    for (const name of CARRIED) {
      const value = request.headers.get(name);
      if (value !== undefined) out.headers.append(name, value);
    }
    copyBody(request, out);
    const offer = sdpBody(request);
    if (this.sdp && offer !== undefined) {
      if (refresh) setSdp(out, await this.sdp.offer(offer, fromSide, origin.remoteTag));
      else stripBody(out);
    }
    this.transactions.sendRequest(out, other.target(), {
      onResponse: (res) => {
        if (res.status < 200) return;
        if (refresh && res.status < 300) other.refreshTarget(res);
        const answer = createResponse(request, res.status, carriedReason(res));
        if (refresh && res.status < 300) answer.headers.append('Contact', origin.contact());
        copyBody(res, answer);
        const answerSdp = sdpBody(res);
        if (!this.sdp || answerSdp === undefined) {
          tx.respond(answer);
          return;
        }
        if (!refresh || offer === undefined || res.status >= 300) {
          stripBody(answer);
          tx.respond(answer);
          return;
        }
        this.sdp.answer(answerSdp, other.remoteTag).then((sdp) => {
          setSdp(answer, sdp);
          tx.respond(answer);
        }, (err: unknown) => {
          this.log.warn('UPDATE answer not anchored', { err });
          tx.respond(createResponse(request, (err as Partial<SbcError>).status ?? 500));
        });
      },
      onFailure: (err) => {
        tx.respond(createResponse(request, err.status ?? 500));
      },
    });
  }
}

export function setSdp(message: SipMessage, sdp: string): void {
  message.body = Buffer.from(sdp);
  message.headers.set('Content-Type', 'application/sdp');
}

function stripBody(message: SipMessage): void {
  message.body = Buffer.alloc(0);
  message.headers.remove('content-type');
  message.headers.remove('content-disposition');
}
