import { describe, expect, it } from 'vitest';
import { malformedCorpus, MAX_UDP_PAYLOAD } from './malformed-corpus';

describe('malformed corpus', () => {
  const corpus = malformedCorpus({ target: { ip: '203.0.113.10', port: 5060 }, local: { ip: '203.0.113.21', port: 5070 }, token: 'fuzz123' });

  it('has the cases the robustness check promises, each with a unique name', () => {
    const names = corpus.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const must of ['binary garbage', '1000 headers', 'Content-Length larger than the body', 'header injection: bare CR in a value', 'INVITE truncated mid-header']) {
      expect(names).toContain(must);
    }
  });

  it('keeps every UDP case within one datagram and sends more than 64 KiB over TLS', () => {
    for (const c of corpus.filter((x) => x.transport === 'udp')) expect(c.data.length, c.name).toBeLessThanOrEqual(MAX_UDP_PAYLOAD);
    expect(corpus.some((c) => c.transport === 'tls' && c.data.length > 64 * 1024)).toBe(true);
  });

  it('gives each case built on a whole message its own Call-ID, and none to the rest', () => {
    const byName = new Map(corpus.map((c) => [c.name, c]));
    expect(byName.get('binary garbage')?.callId).toBeUndefined();
    expect(byName.get('empty datagram')?.callId).toBeUndefined();
    const ids = corpus.map((c) => c.callId).filter((id): id is string => id !== undefined);
    expect(new Set(ids).size).toBe(ids.length);
    const twoCl = byName.get('two Content-Length headers')!;
    expect(twoCl.data.toString('latin1')).toContain(`Call-ID: ${twoCl.callId}\r\n`);
  });

  it('really breaks what each case says it breaks', () => {
    const text = (name: string): string => corpus.find((c) => c.name === name)!.data.toString('latin1');
    expect(text('1000 headers').split('\r\n').filter((l) => l.startsWith('X-Fuzz-'))).toHaveLength(1000);
    expect(text('1000 Via headers').split('\r\n').filter((l) => l.startsWith('Via:'))).toHaveLength(1000);
    expect(text('1000 Via headers').startsWith('OPTIONS ')).toBe(true);
    expect(text('header injection: bare CR in a value')).toMatch(/Subject: hi\rVia:/);
    expect(text('INVITE truncated mid-header')).not.toContain('\r\n\r\n');
    expect(text('invalid UTF-8 in the Request-URI')).toMatch(/^OPTIONS sip:.{4}@203\.0\.113\.10 SIP\/2\.0\r\nVia:/);
    expect(text('a response with no Via')).not.toMatch(/^Via:/m);
  });
});
