import { TransportError } from '../../src/errors';
import type { SipMessage, SipResponse } from '../../src/sip/message';
import type { ResponseRoute, TransactionTransport } from '../../src/transaction/types';
import type { Target } from '../../src/transport/types';

/** Records what the transaction layer sends; can be told to fail like a dead socket. */
export class FakeTransport implements TransactionTransport {
  readonly sent: Array<{ message: SipMessage; target: Target | ResponseRoute }> = [];
  failing = false;

  send(message: SipMessage, target: Target): Promise<void> {
    if (this.failing) return Promise.reject(new TransportError(target.zone, 'fake failure'));
    this.sent.push({ message, target });
    return Promise.resolve();
  }

  sendResponse(response: SipResponse, via: ResponseRoute): Promise<void> {
    if (this.failing) return Promise.reject(new TransportError(via.zone, 'fake failure'));
    this.sent.push({ message: response, target: via });
    return Promise.resolve();
  }

  /** First lines of everything sent, e.g. `INVITE`, `ACK`, `486`. */
  summary(): string[] {
    return this.sent.map(({ message }) => (message.kind === 'request' ? message.method : String(message.status)));
  }

  clear(): void {
    this.sent.length = 0;
  }
}
