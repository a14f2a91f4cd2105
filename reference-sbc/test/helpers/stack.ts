import { validateConfig } from '../../src/config';
import { CallEvents, type CallEvent } from '../../src/events';
import { silentLogger } from '../../src/logger';
import { Metrics } from '../../src/metrics';
import { createResponse, type SipMessage, type SipRequest, type SipResponse } from '../../src/sip/message';
import { parseMessage } from '../../src/sip/parser';
import { serializeMessage } from '../../src/sip/serializer';
import { createSignalling, type Signalling } from '../../src/signalling';
import { Timers } from '../../src/transaction/timers';
import type { Endpoint, Protocol } from '../../src/transport/types';
import { FakeClock } from './fake-clock';
import { FakeTransport } from './fake-transport';

class StackTransport extends FakeTransport {
  local(zone: string, protocol: Protocol): Endpoint | undefined {
    if (protocol !== 'udp') return undefined;
    return zone === 'public' ? { address: '127.0.0.10', port: 5060 } : { address: '127.0.0.11', port: 5060 };
  }
}

export const CALLER: Endpoint = { address: '127.0.0.30', port: 5070 };

/**
 * The signalling stack (transactions, B2BUA, policy) on a fake transport and clock, with helpers
 * to play the caller and the core servers message by message.
 */
export class Stack {
  readonly clock = new FakeClock();
  readonly transport = new StackTransport();
  readonly events: CallEvent[] = [];
  readonly sig: Signalling;

  constructor(configOverrides: Record<string, unknown> = {}) {
    const callEvents = new CallEvents();
    callEvents.on((e) => this.events.push(e));
    const config = validateConfig({
      zones: { public: { address: '127.0.0.10', udp: 5060 }, core: { address: '127.0.0.11', udp: 5060 } },
      coreServers: [{ host: '127.0.0.21', port: 5060 }],
      admin: { socket: '/tmp/unused.sock' },
      ...configOverrides,
    });
    this.sig = createSignalling(config, { transport: this.transport, timers: new Timers({ t1: 500, t2: 4000, t4: 5000 }, this.clock), events: callEvents, metrics: new Metrics(), log: silentLogger });
  }

  async fromCaller(data: Buffer): Promise<void> {
    this.sig.receive({ message: parseMessage(data), zone: 'public', protocol: 'udp', source: CALLER, local: { address: '127.0.0.10', port: 5060 } });
    await flush();
  }

  async fromCore(message: SipMessage, source: Endpoint): Promise<void> {
    this.sig.receive({ message: parseMessage(serializeMessage(message)), zone: 'core', protocol: 'udp', source, local: { address: '127.0.0.11', port: 5060 } });
    await flush();
  }

  /** What was sent into a zone, as `METHOD` or `STATUS METHOD`, with the peer address. */
  sent(zone: string): Array<{ what: string; to: string }> {
    return this.transport.sent.filter((s) => s.target.zone === zone).map(({ message: m, target }) => ({
      what: m.kind === 'request' ? m.method : `${m.status} ${m.cseq().method}`,
      to: 'endpoint' in target ? target.endpoint.address : 'via',
    }));
  }

  /** The last request of `method` sent to the core address `to`. */
  requestTo(method: string, to: string): SipRequest {
    const found = this.transport.sent.filter((s) => s.target.zone === 'core' && 'endpoint' in s.target && s.target.endpoint.address === to
      && s.message.kind === 'request' && s.message.method === method).pop();
    if (!found || found.message.kind !== 'request') throw new Error(`no ${method} sent to ${to}`);
    return found.message;
  }

  answer(request: SipRequest, status: number, reason?: string): SipResponse {
    const res = createResponse(request, status, reason, 'coretag');
    if (status < 300 && status > 100) res.headers.append('Contact', `<sip:${request.uri.split('@')[1] ?? ''}>`);
    return res;
  }
}

export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
