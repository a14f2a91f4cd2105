import { LimitError } from '../errors';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { BRANCH_MAGIC, nameAddrTag, viaBranch, type Via } from '../sip/header-values';
import { createResponse, type SipRequest, type SipResponse } from '../sip/message';
import type { Inbound, Target } from '../transport/types';
import { InviteClientTransaction } from './invite-client';
import { InviteServerTransaction } from './invite-server';
import { NonInviteClientTransaction } from './non-invite-client';
import { NonInviteServerTransaction } from './non-invite-server';
import type { Timers } from './timers';
import type { ClientHandlers, ResponseRoute, TransactionContext, TransactionTransport } from './types';

export type ServerTransaction = InviteServerTransaction | NonInviteServerTransaction;
export type ClientTransaction = InviteClientTransaction | NonInviteClientTransaction;

/**
 * The transaction user's view of the layer: new requests (with their server transaction; ACKs for
 * 2xx and other requests that need no transaction come without one) and responses no client
 * transaction claimed.
 */
export interface TransactionUser {
  onRequest(request: SipRequest, tx: ServerTransaction | undefined, inbound: Inbound): void;
  onStrayResponse(response: SipResponse, inbound: Inbound): void;
}

export interface TransactionLayerOptions {
  transport: TransactionTransport;
  timers: Timers;
  log: Logger;
  metrics: Metrics;
  maxTransactions: number;
}

/**
 * Matches messages to transactions (RFC 3261 17.1.3, 17.2.3), creates server transactions for new
 * requests and client transactions for the TU, and hands the TU only what it must see.
 */
export class TransactionLayer {
  private readonly servers = new Map<string, ServerTransaction>();
  private readonly clients = new Map<string, ClientTransaction>();
  private readonly options: TransactionLayerOptions;
  private tu: TransactionUser | undefined;

  constructor(options: TransactionLayerOptions) {
    this.options = options;
    options.metrics.gauge('sbc_transactions', 'Live SIP transactions by role', () => [
      { labels: { role: 'server' }, value: this.servers.size },
      { labels: { role: 'client' }, value: this.clients.size },
    ]);
    options.metrics.counter('sbc_retransmissions_absorbed_total', 'Retransmitted requests absorbed by a server transaction');
  }

  setUser(tu: TransactionUser): void {
    this.tu = tu;
  }

  get timers(): Timers {
    return this.options.timers;
  }

  get size(): { servers: number; clients: number } {
    return { servers: this.servers.size, clients: this.clients.size };
  }

  /** Entry point from the transport layer. */
  receive(inbound: Inbound): void {
    const message = inbound.message;
    if (message.kind === 'response') {
      this.receiveResponse(message, inbound);
      return;
    }
    const key = serverKey(message);
    const existing = this.servers.get(key);
    if (existing) {
      // An ACK matching its INVITE transaction is the normal non-2xx ACK, not a retransmission.
      if (message.method !== 'ACK') this.options.metrics.inc('sbc_retransmissions_absorbed_total', { zone: inbound.zone, method: message.method });
      existing.receiveRequest(message);
      return;
    }
    if (message.method === 'ACK') {
      // An ACK matching no transaction is the ACK for a 2xx: it belongs to the dialog (17.2.3 / 13.2.2.4).
      this.tu?.onRequest(message, undefined, inbound);
      return;
    }
    if (this.servers.size + this.clients.size >= this.options.maxTransactions) {
      this.options.log.warn('transaction table full, answering 503', { zone: inbound.zone });
      const res = createResponse(message, 503);
      res.headers.append('Retry-After', '5');
      this.options.transport.sendResponse(res, routeOf(inbound)).catch(() => undefined);
      return;
    }
    const request = inbound as Inbound & { message: SipRequest };
    const tx = message.method === 'INVITE'
      ? new InviteServerTransaction(key, request, this.context())
      : new NonInviteServerTransaction(key, request, this.context());
    this.servers.set(key, tx);
    this.tu?.onRequest(message, tx, inbound);
  }

  /**
   * Starts a client transaction for `request` (its top Via carries a fresh branch). ACK is not a
   * transaction: use `sendAck`.
   */
  sendRequest(request: SipRequest, target: Target, handlers: ClientHandlers): ClientTransaction {
    if (this.servers.size + this.clients.size >= this.options.maxTransactions) {
      throw new LimitError('transactions', this.options.maxTransactions);
    }
    const key = clientKey(request.topVia(), request.cseq().method);
    const tx = request.method === 'INVITE'
      ? new InviteClientTransaction(key, request, target, this.context(), handlers)
      : new NonInviteClientTransaction(key, request, target, this.context(), handlers);
    this.clients.set(key, tx);
    tx.start();
    return tx;
  }

  /** Sends an ACK for a 2xx (a request without a transaction, RFC 3261 13.2.2.4). */
  sendAck(ack: SipRequest, target: Target): Promise<void> {
    return this.options.transport.send(ack, target);
  }

  /** Sends a response outside any transaction (2xx retransmissions after the server transaction ended). */
  sendResponse(response: SipResponse, route: ResponseRoute): Promise<void> {
    return this.options.transport.sendResponse(response, route);
  }

  /**
   * The INVITE server transaction a CANCEL targets (RFC 3261 9.2): same branch and sent-by when the
   * branch has the magic cookie, else the RFC 2543 comparison of Request-URI, tags, Call-ID, CSeq
   * number and top Via.
   */
  findInviteForCancel(cancel: SipRequest): InviteServerTransaction | undefined {
    const tx = this.servers.get(serverKey(cancel, 'INVITE'));
    return tx instanceof InviteServerTransaction ? tx : undefined;
  }

  /** Ends every transaction (shutdown). */
  clear(): void {
    for (const tx of [...this.servers.values(), ...this.clients.values()]) tx.terminate();
  }

  private receiveResponse(response: SipResponse, inbound: Inbound): void {
    let tx: ClientTransaction | undefined;
    try {
      tx = this.clients.get(clientKey(response.topVia(), response.cseq().method));
    } catch {
      tx = undefined;
    }
    if (tx) {
      // 17.1.3: matched on branch and CSeq method; the transaction decides what the TU sees.
      tx.receiveResponse(response);
      return;
    }
    this.tu?.onStrayResponse(response, inbound);
  }

  private context(): TransactionContext {
    return {
      transport: this.options.transport,
      timers: this.options.timers,
      log: this.options.log,
      onTerminated: (key) => {
        this.servers.delete(key);
        this.clients.delete(key);
      },
    };
  }
}

function routeOf(inbound: Inbound): ResponseRoute {
  return { zone: inbound.zone, protocol: inbound.protocol, ...(inbound.connectionId === undefined ? {} : { connectionId: inbound.connectionId }) };
}

function sentBy(via: Via): string {
  return `${via.host.toLowerCase()}:${via.port ?? 5060}`;
}

/** 17.1.3: a response matches the client transaction of its top Via branch and CSeq method. */
function clientKey(via: Via, method: string): string {
  return `${viaBranch(via) ?? ''}|${method}`;
}

/**
 * 17.2.3: branch + sent-by + method, ACK matching its INVITE. Without the magic cookie, fall back
 * to the RFC 2543 fields (Call-ID, From tag, CSeq number, top Via).
 */
function serverKey(request: SipRequest, methodOverride?: string): string {
  const via = request.topVia();
  const method = methodOverride ?? (request.method === 'ACK' ? 'INVITE' : request.method);
  const branch = viaBranch(via);
  // A bare magic cookie is no transaction identifier (RFC 4475 3.2.1): such requests are matched the
  // RFC 2543 way, or two unrelated requests would be taken for retransmissions of each other.
  if (branch !== undefined && branch.startsWith(BRANCH_MAGIC) && branch.length > BRANCH_MAGIC.length) return `${branch}|${sentBy(via)}|${method}`;
  return `2543|${request.callId()}|${nameAddrTag(request.from()) ?? ''}|${request.cseq().seq}|${sentBy(via)}|${branch ?? ''}|${method}`;
}
