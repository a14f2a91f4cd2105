import type { Logger } from '../logger';
import type { SipRequest, SipResponse } from '../sip/message';
import type { InviteClientTransaction } from '../transaction/invite-client';
import type { TransactionLayer } from '../transaction/transaction-layer';
import type { Target } from '../transport/types';
import { Dialog, type LocalSide } from './dialog';

/**
 * A B-leg INVITE the call gave up on (no answer in time, the call moved to another server). Its
 * transaction lives on; whatever it still brings is closed down: a provisional gets a CANCEL
 * (RFC 3261 9.1), a late 2xx an ACK and a BYE, so the abandoned server never keeps a session.
 */
export class AbandonedAttempt {
  private readonly transactions: TransactionLayer;
  private readonly log: Logger;
  private readonly invite: SipRequest;
  private readonly target: Target;
  private readonly side: LocalSide;
  private cancelled = false;
  private readonly closedTags = new Set<string>();

  constructor(transactions: TransactionLayer, log: Logger, attempt: { invite: SipRequest; target: Target; side: LocalSide }) {
    this.transactions = transactions;
    this.log = log;
    this.invite = attempt.invite;
    this.target = attempt.target;
    this.side = attempt.side;
  }

  onResponse(res: SipResponse, tx: InviteClientTransaction): void {
    if (res.status < 200) {
      if (res.status > 100 || tx.receivedProvisional) this.cancel(tx);
      return;
    }
    if (res.status >= 300) return;
    const tag = res.to().params.find((p) => p.name.toLowerCase() === 'tag')?.value ?? '';
    if (this.closedTags.has(tag)) return;
    this.closedTags.add(tag);
    const dialog = Dialog.asUac(this.invite, res, this.side, this.target.endpoint);
    this.transactions.sendAck(dialog.createRequest('ACK', this.invite.cseq().seq), dialog.target())
      .catch((err: unknown) => this.log.warn('ACK of an abandoned attempt failed', { err }));
    this.send(dialog.createRequest('BYE'), dialog.target());
  }

  private cancel(tx: InviteClientTransaction): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.send(tx.createCancel(), this.target);
  }

  private send(request: SipRequest, target: Target): void {
    try {
      this.transactions.sendRequest(request, target, { onResponse: () => undefined, onFailure: () => undefined });
    } catch (err) {
      this.log.warn('cannot close an abandoned attempt', { method: request.method, err });
    }
  }
}
