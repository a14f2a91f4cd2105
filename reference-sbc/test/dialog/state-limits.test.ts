import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { createResponse, type SipRequest, type SipResponse } from '../../src/sip/message';
import { parseMessage } from '../../src/sip/parser';
import { serializeMessage } from '../../src/sip/serializer';
import { wire } from '../helpers/messages';
import { flush, Stack } from '../helpers/stack';

/**
 * State limits under load: calls of every ending (caller BYE, core BYE, rejected, cancelled, never
 * answered) run through the signalling stack in batches; once they are over and the RFC 3261 timers
 * have run out, nothing of them may remain (calls, dialog and CANCEL indexes, transactions, timers)
 * and the heap must not grow with the number of calls.
 */

const CORE = { address: '127.0.0.21', port: 5060 };
type Ending = 'caller-bye' | 'core-bye' | 'rejected' | 'cancelled' | 'no-answer';
const ENDINGS: Ending[] = ['caller-bye', 'core-bye', 'rejected', 'cancelled', 'no-answer'];

interface Call {
  n: number;
  ending: Ending;
  callId: string;
  number: string;
  b?: SipRequest;
}

const aLeg = (c: Call, method: string, seq: number, toTag?: string, branch = `z9hG4bK-${method}-${c.n}`): Buffer => wire([
  `${method} sip:${c.number}@127.0.0.10:5060 SIP/2.0`,
  `Via: SIP/2.0/UDP 127.0.0.30:5070;branch=${branch}`,
  'Max-Forwards: 70',
  `From: <sip:+31201110000@127.0.0.30:5070>;tag=a${c.n}`,
  `To: <sip:${c.number}@127.0.0.10:5060>${toTag ? `;tag=${toTag}` : ''}`,
  `Call-ID: ${c.callId}`,
  `CSeq: ${seq} ${method}`,
  ...(method === 'INVITE' ? ['Contact: <sip:+31201110000@127.0.0.30:5070>'] : []),
  'Content-Length: 0',
]);

/** What the stack holds; the registry's indexes are private, read here on purpose. */
function state(stack: Stack): Record<string, number> {
  const registry = stack.sig.registry as unknown as { byDialog: Map<unknown, unknown>; byInviteTx: Map<unknown, unknown>; filed: Map<unknown, unknown> };
  const tx = stack.sig.transactions.size;
  return {
    calls: stack.sig.registry.size,
    dialogIndex: registry.byDialog.size,
    cancelIndex: registry.byInviteTx.size,
    filed: registry.filed.size,
    serverTransactions: tx.servers,
    clientTransactions: tx.clients,
    timers: stack.clock.pending,
  };
}

class Load {
  private seq = 0;
  finals = 0;

  constructor(readonly stack: Stack) {}

  private sentTo(zone: string, pick: (m: SipRequest | SipResponse) => boolean): SipRequest | SipResponse | undefined {
    for (let i = this.stack.transport.sent.length - 1; i >= 0; i--) {
      const s = this.stack.transport.sent[i]!;
      if (s.target.zone === zone && pick(s.message)) return s.message;
    }
    return undefined;
  }

  private async core(res: SipResponse): Promise<void> {
    await this.stack.fromCore(res, CORE);
  }

  private async caller(data: Buffer): Promise<void> {
    await this.stack.fromCaller(data);
  }

  /** Runs `count` calls, all set up before any ends (so they overlap), then lets every timer run out. */
  async batch(count: number): Promise<void> {
    const calls: Call[] = [];
    for (let i = 0; i < count; i++) {
      const n = ++this.seq;
      const c: Call = { n, ending: ENDINGS[n % ENDINGS.length]!, callId: `load-${n}@127.0.0.30`, number: `+3120${String(n).padStart(7, '0')}` };
      await this.caller(aLeg(c, 'INVITE', 1));
      const b = this.sentTo('core', (m) => m.kind === 'request' && m.method === 'INVITE');
      c.b = b as SipRequest;
      calls.push(c);
    }
    for (const c of calls) {
      const b = c.b!;
      if (c.ending === 'no-answer') continue;
      if (c.ending === 'rejected') {
        await this.core(createResponse(b, 486, undefined, `core${c.n}`));
        continue;
      }
      await this.core(createResponse(b, 180, undefined, `core${c.n}`));
      if (c.ending === 'cancelled') continue;
      const ok = createResponse(b, 200, undefined, `core${c.n}`);
      ok.headers.append('Contact', '<sip:127.0.0.21:5060>');
      await this.core(ok);
      const relayed = this.sentTo('public', (m) => m.kind === 'response' && m.status === 200 && m.callId() === c.callId);
      const toTag = relayed?.to().params.find((p) => p.name === 'tag')?.value;
      await this.caller(aLeg(c, 'ACK', 1, toTag, `z9hG4bK-ack-${c.n}`));
      if (c.ending === 'caller-bye') {
        await this.caller(aLeg(c, 'BYE', 2, toTag));
        const bye = this.sentTo('core', (m) => m.kind === 'request' && m.method === 'BYE' && m.callId() === b.callId());
        await this.core(createResponse(bye as SipRequest, 200));
      } else {
        const ack = this.sentTo('core', (m) => m.kind === 'request' && m.method === 'ACK' && m.callId() === b.callId()) as SipRequest;
        await this.stack.fromCore(parseMessage(wire([
          'BYE sip:127.0.0.11:5060 SIP/2.0',
          `Via: SIP/2.0/UDP 127.0.0.21:5060;branch=z9hG4bK-core-bye-${c.n}`,
          'Max-Forwards: 70',
          `From: ${ack.headers.get('to') ?? ''}`,
          `To: ${ack.headers.get('from') ?? ''}`,
          `Call-ID: ${b.callId()}`,
          'CSeq: 9 BYE',
          'Content-Length: 0',
        ])), CORE);
        const bye = this.sentTo('public', (m) => m.kind === 'request' && m.method === 'BYE' && m.callId() === c.callId) as SipRequest;
        await this.caller(serializeMessage(createResponse(bye, 200)));
      }
    }
    for (const c of calls.filter((x) => x.ending === 'cancelled')) {
      await this.caller(aLeg(c, 'CANCEL', 1, undefined, `z9hG4bK-INVITE-${c.n}`));
      const cancel = this.sentTo('core', (m) => m.kind === 'request' && m.method === 'CANCEL' && m.callId() === c.b!.callId()) as SipRequest;
      await this.core(createResponse(cancel, 200));
      await this.core(createResponse(c.b!, 487, undefined, `core${c.n}`));
    }
    // The caller ACKs every non-2xx final answer it got (486, 487, and whatever ended the unanswered ones).
    for (let i = 0; i < 40 && calls.some((c) => !this.finalFor(c)); i++) {
      this.stack.clock.advance(5_000);
      await flush();
    }
    for (const c of calls) {
      const final = this.finalFor(c);
      expect(final, `call ${c.n} (${c.ending}) got no final answer`).toBeDefined();
      this.finals++;
      if (final!.status >= 300) await this.caller(aLeg(c, 'ACK', 1, final!.to().params.find((p) => p.name === 'tag')?.value));
    }
    // Timers D, H, I, J, K and the 2xx retransmission guard all end well within this.
    this.stack.clock.advance(200_000);
    await flush();
    this.stack.transport.clear();
    this.stack.events.length = 0;
  }

  private finalFor(c: Call): SipResponse | undefined {
    const m = this.sentTo('public', (x) => x.kind === 'response' && x.status >= 200 && x.callId() === c.callId && x.cseq().method === 'INVITE');
    return m as SipResponse | undefined;
  }
}

const signed = (bytes: number): string => `${bytes >= 0 ? '+' : ''}${(bytes / 1024).toFixed(0)} KiB`;

function gcNow(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('state limits under load', () => {
  it('forgets every call once it is over, and the heap does not grow with the number of calls', async () => {
    const stack = new Stack();
    const load = new Load(stack);
    const idle = state(stack);
    const gc = gcNow();

    // Warm-up: code paths compiled, caches of fixed size filled.
    const perRound = 250;
    const run = async (rounds: number): Promise<number> => {
      for (let r = 0; r < rounds; r++) {
        await load.batch(perRound);
        expect(state(stack), `after batch of ${perRound}`).toEqual(idle);
      }
      gc();
      return process.memoryUsage().heapUsed;
    };
    const warm = await run(4);
    // Two equal stretches: V8's own one-off growth (compiled code, feedback) lands mostly in the
    // first; a per-call leak grows both alike.
    const rounds = 16;
    const mid = await run(rounds);
    const end = await run(rounds);
    const calls = rounds * perRound;
    const first = mid - warm;
    const second = end - mid;
    process.stdout.write(`state limits: ${load.finals} calls (${perRound} overlapping per batch), every registry back to ${JSON.stringify(idle)}; heap after warm-up ${(warm / 2 ** 20).toFixed(1)} MiB, then ${signed(first)} and ${signed(second)} over two stretches of ${calls} calls (${(second / calls).toFixed(1)} B/call)\n`);
    // One call holds several kB (messages, transactions, dialogs): keeping any of them shows above this,
    // while V8 noise stays within about ±100 B per call here.
    expect(second / calls, `heap grew ${second} bytes over the last ${calls} calls`).toBeLessThan(1024);
    expect(load.finals).toBe((4 + 2 * rounds) * perRound);
  }, 120_000);
});
