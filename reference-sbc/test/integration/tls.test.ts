import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config';
import type { CallEvent } from '../../src/events';
import { silentLogger } from '../../src/logger';
import { startSbc, type Sbc } from '../../src/sbc';
import { hasSipp, startSipp, stopSipp, type SippRun } from '../helpers/sipp';
import { makeCertificate, TlsPeer } from '../helpers/tls-peer';

/** TLS 5061 and the transport limits, on loopback addresses of their own (127.0.78.x). */
const PUBLIC = '127.0.78.10';
const CORE = '127.0.78.11';
const CORE_SERVER = '127.0.78.21';
const CALLER = '127.0.78.30';

describe('TLS transport and limits', () => {
  let sbc: Sbc;
  let work: string;
  const events: CallEvent[] = [];

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'sbc-tls-'));
    const { cert, key } = makeCertificate(work);
    const config = validateConfig({
      zones: { public: { address: PUBLIC, udp: 5060, tls: 5061 }, core: { address: CORE, udp: 5060, tls: 5061 } },
      tls: { cert, key },
      coreServers: [{ host: CORE_SERVER, port: 5060 }],
      admin: { socket: join(work, 'admin.sock') },
      timers: { t1Ms: 100 },
      limits: { maxMessageBytes: 4000 },
    });
    sbc = await startSbc(config, { log: silentLogger });
    sbc.events.on((e) => events.push(e));
  }, 30000);

  afterAll(async () => {
    await sbc?.close();
    rmSync(work, { recursive: true, force: true });
  });

  const options = (peer: TlsPeer, callId: string): string[] => [
    `OPTIONS sip:sbc@${PUBLIC}:5061;transport=tls SIP/2.0`,
    `Via: SIP/2.0/TLS ${CALLER}:${peer.localPort};branch=z9hG4bK${callId}`,
    'Max-Forwards: 70',
    `From: <sip:probe@${CALLER}>;tag=t1`,
    `To: <sip:sbc@${PUBLIC}>`,
    `Call-ID: ${callId}`,
    'CSeq: 1 OPTIONS',
  ];

  it('answers OPTIONS over TLS on the same connection', async () => {
    const peer = await TlsPeer.open(PUBLIC, 5061, CALLER);
    peer.send(options(peer, 'tls-opt-1'));
    const res = await peer.waitFor(/Call-ID: tls-opt-1/);
    expect(res).toMatch(/^SIP\/2\.0 200 OK/);
    expect(res).toMatch(/Via: SIP\/2\.0\/TLS 127\.0\.78\.30:\d+;branch=z9hG4bKtls-opt-1/);
    peer.close();
  });

  it('refuses TLS older than 1.2', async () => {
    await expect(TlsPeer.open(PUBLIC, 5061, CALLER, 'TLSv1.1')).rejects.toThrow();
  });

  it('has no TCP listener on 5060', async () => {
    const err = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      const s = netConnect({ host: PUBLIC, port: 5060 }, () => { s.destroy(); resolve(undefined); });
      s.on('error', (e) => resolve(e));
    });
    expect(err?.code).toBe('ECONNREFUSED');
  });

  it('closes a TLS connection that breaks framing and counts it', async () => {
    const before = sbc.metrics.value('sbc_sip_dropped_total', { zone: 'public', reason: 'framing' });
    const peer = await TlsPeer.open(PUBLIC, 5061, CALLER);
    const closed = new Promise<void>((resolve) => peer.socket.on('close', () => resolve()));
    peer.socket.write('OPTIONS sip:x@y SIP/2.0\r\nContent-Length: nope\r\n\r\n');
    await closed;
    expect(sbc.metrics.value('sbc_sip_dropped_total', { zone: 'public', reason: 'framing' })).toBe(before + 1);
  });

  it('drops and counts UDP datagrams above the size limit', async () => {
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, CALLER, () => r()));
    await new Promise<void>((r) => sock.send(Buffer.alloc(5000, 'a'), 5060, PUBLIC, () => r()));
    for (let i = 0; i < 20 && sbc.metrics.value('sbc_sip_dropped_total', { zone: 'public', reason: 'too_large' }) === 0; i++) {
      await new Promise((r) => setTimeout(r, 25));
    }
    sock.close();
    expect(sbc.metrics.value('sbc_sip_dropped_total', { zone: 'public', reason: 'too_large' })).toBe(1);
  });

  it.skipIf(!hasSipp())('completes a call from a TLS caller to a UDP core server, BYE from the caller', async () => {
    const core: SippRun = startSipp(['-sn', 'uas', '-i', CORE_SERVER, '-p', '5060', '-m', '1'], work);
    try {
      await new Promise((r) => setTimeout(r, 300));
      const peer = await TlsPeer.open(PUBLIC, 5061, CALLER);
      const via = `Via: SIP/2.0/TLS ${CALLER}:${peer.localPort};branch=z9hG4bKtlscall1`;
      const common = [`From: "TLS Caller" <sip:4930111@${CALLER}>;tag=tc1`, 'Call-ID: tls-call-1', 'Max-Forwards: 70'];
      const sdp = `v=0\r\no=- 1 1 IN IP4 ${CALLER}\r\ns=-\r\nc=IN IP4 ${CALLER}\r\nt=0 0\r\nm=audio 7000 RTP/AVP 0\r\n`;
      peer.send([`INVITE sip:5551234@${PUBLIC}:5061;transport=tls SIP/2.0`, via, ...common, `To: <sip:5551234@${PUBLIC}>`, 'CSeq: 1 INVITE', `Contact: <sip:caller@${CALLER}:${peer.localPort};transport=tls>`, 'Content-Type: application/sdp'], sdp);
      const ok = await peer.waitFor(/^SIP\/2\.0 200 OK[\s\S]*CSeq: 1 INVITE/);
      expect(ok).toMatch(/Contact: <sip:127\.0\.78\.10:5061;transport=tls>/);
      // No core address in the headers the caller sees (the SDP is carried as-is until media anchoring).
      expect(ok.split('\r\n\r\n')[0]).not.toMatch(/127\.0\.78\.(11|21)/);
      const toTag = /To: [^\r\n]*;tag=([^;\r\n]+)/.exec(ok)?.[1] ?? '';
      const to = `To: <sip:5551234@${PUBLIC}>;tag=${toTag}`;
      peer.send([`ACK sip:${PUBLIC}:5061;transport=tls SIP/2.0`, `Via: SIP/2.0/TLS ${CALLER}:${peer.localPort};branch=z9hG4bKtlsack1`, ...common, to, 'CSeq: 1 ACK']);
      await new Promise((r) => setTimeout(r, 200));
      peer.send([`BYE sip:${PUBLIC}:5061;transport=tls SIP/2.0`, `Via: SIP/2.0/TLS ${CALLER}:${peer.localPort};branch=z9hG4bKtlsbye1`, ...common, to, 'CSeq: 2 BYE']);
      expect(await peer.waitFor(/^SIP\/2\.0 200 OK[\s\S]*CSeq: 2 BYE/)).toBeTruthy();
      expect(await core.exited, core.output()).toBe(0);
      peer.close();
      const mine = events.filter((e) => e.kind === 'started' && e.transport === 'tls').map((e) => e.key);
      expect(mine).toHaveLength(1);
      const ended = events.find((e) => e.kind === 'ended' && e.key === mine[0]);
      expect(ended?.kind === 'ended' && ended.endReason).toBe('caller-bye');
    } finally {
      await stopSipp(core);
    }
  });
});
