import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { splitSip } from '../capture/sip-text';
import { generateCorpus } from './corpus';
import { fireCorpus } from './fire';

/**
 * fireCorpus against a scripted fake SBC on loopback: 200 to valid INVITEs (then 200 to the BYE),
 * 400 to everything mutated except the mandatory-headers group, which it ignores (drops).
 */
let sbc: Socket | undefined;
afterEach(() => new Promise<void>((r) => {
  const s = sbc;
  sbc = undefined;
  if (s) s.close(() => r());
  else r();
}));

async function fakeSbc(): Promise<{ port: number; received: string[] }> {
  const received: string[] = [];
  const sock = createSocket('udp4');
  sbc = sock;
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  sock.on('message', (data, rinfo) => {
    const text = data.toString('latin1');
    received.push(text.split('\r\n')[0] ?? '');
    const m = splitSip(text);
    const get = (n: string): string => m.headers.find((h) => h.canonical === n)?.value ?? '';
    if (m.startLine.startsWith('ACK ') || get('via') === '') return;
    if (/Robust/.test(text) && m.headers.length < 3) return;
    const valid = /^(INVITE|BYE|OPTIONS|REGISTER) sip:\S+ SIP\/2\.0$/.test(m.startLine) && !text.includes('X-Fill') && get('from') !== '' && get('to') !== '' && !/missing|duplicate/.test(text);
    const group = valid ? 'ok' : 'bad';
    const status = m.startLine.startsWith('BYE ') && /tag=sbc/.test(get('to')) ? 200 : m.startLine.startsWith('INVITE ') && group === 'ok' ? 200 : group === 'ok' ? 481 : 400;
    const lines = [`SIP/2.0 ${status} X`, `Via: ${get('via')}`, `From: ${get('from')}`, `To: ${get('to')}${/tag=/.test(get('to')) ? '' : ';tag=sbc'}`, `Call-ID: ${get('call-id')}`, `CSeq: ${get('cseq')}`, 'Contact: <sip:127.0.0.1>', 'Content-Length: 0', '', ''];
    sock.send(Buffer.from(lines.join('\r\n'), 'latin1'), rinfo.port, rinfo.address);
  });
  return { port: sock.address().port, received };
}

describe('fireCorpus', () => {
  it('gets an answer per case, ACKs every INVITE answer, hangs up answered calls and probes the SBC', async () => {
    const { port, received } = await fakeSbc();
    const cases = generateCorpus({ seed: 5, cases: 60, sbc: { ip: '127.0.0.1', port }, numberPrefix: '+3120999', token: 'rbF' });
    let probes = 0;
    const result = await fireCorpus({
      cases, sources: ['127.0.0.1'], port: 0, target: { ip: '127.0.0.1', port }, ratePerS: 1000,
      answerTimeoutMs: 300, finalTimeoutMs: 1000, probeEvery: 20,
      probe: () => {
        probes++;
        return Promise.resolve({ ok: true, ms: 1, detail: 'ok' });
      },
    });
    expect(result.outcomes).toHaveLength(60);
    expect(result.outcomes.map((o) => o.index)).toEqual(cases.map((c) => c.index));
    expect(probes).toBe(4);
    const baselineInvites = result.outcomes.filter((o) => o.group === 'baseline' && o.method === 'INVITE');
    for (const o of baselineInvites) expect(o.call?.byeStatus, o.id).toBe(200);
    // An ACK for every 400 to an INVITE and one for every 200 (end to end, before the BYE).
    const acks = received.filter((l) => l.startsWith('ACK ')).length;
    expect(acks).toBeGreaterThanOrEqual(baselineInvites.length + 1);
    expect(received.filter((l) => l.startsWith('BYE ')).length).toBeGreaterThanOrEqual(baselineInvites.length);
    expect(result.outcomes.every((o) => ['200', '400', '481', 'dropped'].includes(o.answer))).toBe(true);
  }, 30_000);

  it('refuses to fire without a source address', async () => {
    await expect(fireCorpus({ cases: [], sources: [], port: 0, target: { ip: '127.0.0.1', port: 9 }, ratePerS: 1, answerTimeoutMs: 1, finalTimeoutMs: 1, probeEvery: 1, probe: () => Promise.resolve({ ok: true, ms: 0, detail: '' }) })).rejects.toThrow(/no source addresses/);
  });
});
