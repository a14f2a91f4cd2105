import type { TransactionTimeoutError, TransportError } from '../errors';
import type { Logger } from '../logger';
import type { SipMessage, SipResponse } from '../sip/message';
import type { Protocol, Target } from '../transport/types';
import type { Timers } from './timers';

/** What a transaction needs from the transport layer; a fake implements it in tests. */
export interface TransactionTransport {
  send(message: SipMessage, target: Target): Promise<void>;
  sendResponse(response: SipResponse, via: ResponseRoute): Promise<void>;
}

/** How a server transaction answers: back into the zone, protocol and connection the request used. */
export interface ResponseRoute {
  zone: string;
  protocol: Protocol;
  connectionId?: string;
}

export interface TransactionContext {
  transport: TransactionTransport;
  timers: Timers;
  log: Logger;
  /** Called exactly once when the machine reaches Terminated, so the layer can forget it. */
  onTerminated(key: string): void;
}

/** The TU's side of a client transaction. */
export interface ClientHandlers {
  /** Every response the TU must see (retransmissions absorbed, 2xx retransmissions passed per RFC 6026). */
  onResponse(response: SipResponse): void;
  /** Timer B/F expiry (408) or a transport failure (503), RFC 3261 8.1.3.1. Called at most once. */
  onFailure(error: TransactionTimeoutError | TransportError): void;
}

export function isReliable(protocol: Protocol): boolean {
  return protocol !== 'udp';
}
