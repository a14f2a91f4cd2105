import type { Logger } from '../logger';
import { createResponse, type SipRequest } from '../sip/message';
import type { ServerTransaction, TransactionLayer } from '../transaction/transaction-layer';
import type { Dialog } from './dialog';
import { copyBody } from './leg-request';

/** Headers that describe a mid-dialog request's payload and may cross legs (no routing, no identities). */
const CARRIED = ['event', 'subscription-state', 'info-package', 'content-disposition'];

/**
 * Relays a non-INVITE in-dialog request (INFO, OPTIONS, UPDATE, MESSAGE, NOTIFY) to the other
 * leg's dialog as a new request of that dialog, and its final answer back: status, reason and
 * body only. Provisionals stay on their leg.
 */
export class InDialogRelay {
  private readonly transactions: TransactionLayer;
  private readonly log: Logger;

  constructor(transactions: TransactionLayer, log: Logger) {
    this.transactions = transactions;
    this.log = log;
  }

  forward(request: SipRequest, tx: ServerTransaction, origin: Dialog, other: Dialog): void {
    // UPDATE is a target refresh (RFC 3311 5.2): both dialogs learn the new remote targets.
    const refresh = request.method === 'UPDATE';
    if (refresh) origin.refreshTarget(request);
    const out = other.createRequest(request.method);
    for (const name of CARRIED) {
      const value = request.headers.get(name);
      if (value !== undefined) out.headers.append(name, value);
    }
    copyBody(request, out);
    try {
      this.transactions.sendRequest(out, other.target(), {
        onResponse: (res) => {
          if (res.status < 200) return;
          if (refresh && res.status < 300) other.refreshTarget(res);
          const answer = createResponse(request, res.status, res.reason);
          if (refresh && res.status < 300) answer.headers.append('Contact', origin.contact());
          copyBody(res, answer);
          tx.respond(answer);
        },
        onFailure: (err) => {
          tx.respond(createResponse(request, err.status ?? 500));
        },
      });
    } catch (err) {
      this.log.warn('cannot relay in-dialog request', { method: request.method, err });
      tx.respond(createResponse(request, 503));
    }
  }
}
