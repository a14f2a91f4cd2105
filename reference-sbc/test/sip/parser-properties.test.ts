import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SipParseError } from '../../src/errors';
import { Metrics } from '../../src/metrics';
import { silentLogger } from '../../src/logger';
import { parseNameAddr, parseVia } from '../../src/sip/header-values';
import { parseMessage } from '../../src/sip/parser';
import { serializeMessage } from '../../src/sip/serializer';
import { TransportLayer } from '../../src/transport/transport-layer';
import type { Endpoint, Listener } from '../../src/transport/types';
import { invite } from '../helpers/messages';
import { loadTorture } from './torture-corpus';

/** Property-based round trips and mutation fuzzing of the parser (STYLE.md 9). */

const alnum = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.split(''));
const tokenChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`\'~'.split(''));
const token = fc.string({ unit: tokenChar, minLength: 1, maxLength: 12 });
const word = fc.string({ unit: alnum, minLength: 1, maxLength: 10 });
const hostName = fc.array(word, { minLength: 1, maxLength: 3 }).map((p) => `${p.join('.')}.example`);
const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));
const host = fc.oneof(hostName, ipv4, fc.constant('[2001:db8::1]'));
const port = fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined });
const userChar = fc.constantFrom(...'abcXYZ0189+-_.!~*\'()&=$,;?/'.split(''), '%41', '%2B');
const user = fc.string({ unit: userChar, minLength: 1, maxLength: 12 });
const displayName = fc.string({ unit: fc.constantFrom(...'ab cXY,"\\<>;:@'.split('')), maxLength: 16 });
const sipUri = fc.record({ user: fc.option(user, { nil: undefined }), host, port, params: fc.array(token, { maxLength: 3 }) })
  .map(({ user: u, host: h, port: p, params }) => `sip:${u === undefined ? '' : `${u}@`}${h}${p === undefined ? '' : `:${p}`}${params.map((x) => `;${x}`).join('')}`);
const quoted = (s: string): string => `"${s.replace(/(["\\])/g, '\\$1')}"`;
const nameAddr = fc.record({ name: fc.option(displayName, { nil: undefined }), uri: sipUri, tag: token })
  .map(({ name, uri, tag }) => ({ text: `${name === undefined ? '' : `${quoted(name)} `}<${uri}>;tag=${tag}`, name, uri, tag }));
const method = fc.oneof(fc.constantFrom('INVITE', 'OPTIONS', 'BYE', 'INFO', 'MESSAGE'), token);
const body = fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b));
const folding = fc.constantFrom(' ', '\r\n ', '\r\n\t', '  ');
const compact = fc.boolean();

const request = fc.record({ method, ruri: sipUri, from: nameAddr, to: nameAddr, callId: token, seq: fc.integer({ min: 0, max: 2 ** 31 - 1 }), viaHost: host, branch: token, body, fold: folding, compact, extra: fc.array(fc.tuple(token, fc.string({ unit: fc.constantFrom(...'ab ;,="<>'.split('')), maxLength: 20 })), { maxLength: 4 }) });

describe('parser properties', () => {
  it('parses what it is given back into the same fields, and re-serializes byte for byte', () => {
    fc.assert(fc.property(request, (r) => {
      const lines = [
        `${r.method} ${r.ruri} SIP/2.0`,
        `${r.compact ? 'v' : 'Via'}: SIP/2.0/UDP ${r.viaHost};branch=z9hG4bK${r.branch}`,
        `${r.compact ? 'f' : 'From'}:${r.fold}${r.from.text}`,
        `${r.compact ? 't' : 'To'}: ${r.to.text}`,
        `${r.compact ? 'i' : 'Call-ID'}: ${r.callId}`,
        `CSeq: ${r.seq} ${r.method}`,
        ...r.extra.map(([n, v]) => `X-${n}: ${v.trim()}`),
        `${r.compact ? 'l' : 'Content-Length'}: ${r.body.length}`,
      ];
      const data = Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), r.body]);
      const msg = parseMessage(data);
      expect(msg.kind === 'request' && msg.method).toBe(r.method);
      expect(msg.callId()).toBe(r.callId);
      expect(msg.cseq().seq).toBe(r.seq);
      expect(msg.from().displayName).toBe(r.from.name);
      expect(msg.to().params.find((p) => p.name === 'tag')?.value).toBe(r.to.tag);
      expect(msg.body.equals(r.body)).toBe(true);
      expect(serializeMessage(msg).equals(data)).toBe(true);
    }), { numRuns: 300 });
  });

  it('name-addr and Via survive a parse/serialize/parse cycle', () => {
    fc.assert(fc.property(nameAddr, host, token, (na, h, branch) => {
      const parsed = parseNameAddr(na.text);
      expect(parsed.displayName).toBe(na.name);
      const via = parseVia(`SIP/2.0/UDP ${h};branch=${branch};rport`);
      expect(via.host).toBe(h);
    }), { numRuns: 300 });
  });
});

/** A listener whose only job is to hand data to the transport layer and record what it sends back. */
class FakeListener implements Listener {
  readonly zone = 'public';
  readonly protocol = 'udp';
  readonly local = { address: '127.0.0.10', port: 5060 };
  readonly sent: Buffer[] = [];
  private handler: ((data: Buffer, source: Endpoint) => void) | undefined;
  listen(): Promise<void> { return Promise.resolve(); }
  close(): Promise<void> { return Promise.resolve(); }
  onData(h: (data: Buffer, source: Endpoint) => void): void { this.handler = h; }
  send(data: Buffer): Promise<void> { this.sent.push(data); return Promise.resolve(); }
  deliver(data: Buffer): void { this.handler?.(data, { address: '127.0.0.30', port: 5070 }); }
}

const seeds = [invite({ body: 'v=0\r\ns=-\r\n' }), loadTorture('wsinv'), loadTorture('intmeth'), loadTorture('esc01'), loadTorture('longreq')];
const mutation = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), byte: fc.nat(255) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: fc.constantFrom('\r\n', ',', ';', '"', '<', '>', ':', '\\', ' ', '\u0000', '%', '[', '@') }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
);

interface Mutation {
  op: 'flip' | 'insert' | 'delete' | 'truncate';
  at: number;
  byte?: number;
  text?: string;
  len?: number;
}

function mutate(data: Buffer, ms: readonly Mutation[]): Buffer {
  let out = Buffer.from(data);
  for (const m of ms) {
    const at = out.length === 0 ? 0 : m.at % out.length;
    if (m.op === 'flip') out[at] = m.byte ?? 0;
    else if (m.op === 'insert') out = Buffer.concat([out.subarray(0, at), Buffer.from(m.text ?? '', 'latin1'), out.subarray(at)]);
    else if (m.op === 'delete') out = Buffer.concat([out.subarray(0, at), out.subarray(at + (m.len ?? 1))]);
    else out = out.subarray(0, at);
  }
  return out;
}

describe('mutation fuzzing', () => {
  it('the parser only ever throws SipParseError', () => {
    fc.assert(fc.property(fc.constantFrom(...seeds), fc.array(mutation, { minLength: 1, maxLength: 6 }), (seed, ms) => {
      const data = mutate(seed, ms);
      try {
        const msg = parseMessage(data);
        // Lazily parsed views must fail the same clean way.
        for (const h of ['contact', 'route', 'record-route']) for (const v of msg.headers.getValues(h)) {
          try { parseNameAddr(v); } catch (err) { if (!(err instanceof SipParseError)) throw err; }
        }
      } catch (err) {
        if (!(err instanceof SipParseError)) throw err;
      }
    }), { numRuns: 2000 });
  });

  it('the transport never throws and counts every malformed datagram', () => {
    const metrics = new Metrics();
    const layer = new TransportLayer({ log: silentLogger, metrics, maxMessageBytes: 65535 });
    const listener = new FakeListener();
    layer.add(listener);
    let delivered = 0;
    layer.onMessage(() => { delivered++; });
    let fed = 0;
    fc.assert(fc.property(fc.constantFrom(...seeds), fc.array(mutation, { minLength: 1, maxLength: 6 }), (seed, ms) => {
      listener.deliver(mutate(seed, ms));
      fed++;
    }), { numRuns: 1000 });
    const malformed = metrics.value('sbc_sip_malformed_total', { zone: 'public' });
    const keepalives = fed - delivered - malformed;
    expect(keepalives).toBeGreaterThanOrEqual(0);
    expect(malformed).toBeGreaterThan(0);
  });
});
