import { createSocket } from 'node:dgram';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config';
import type { CallEvent } from '../../src/events';
import { silentLogger } from '../../src/logger';
import { startSbc, type Sbc } from '../../src/sbc';
import { hasSipp, startSipp, stopSipp, type SippRun } from '../helpers/sipp';

/**
 * The SBC in-process on loopback addresses of its own (127.0.77.x, away from the topology's), SIPp
 * as caller (public side) and core server. Every process started here is stopped by its pid.
 */
const PUBLIC = '127.0.77.10';
const CORE = '127.0.77.11';
const CORE_SERVER = '127.0.77.21';
const CALLER = '127.0.77.30';
const SCENARIOS = join(import.meta.dirname, '..', 'sipp');
const sippAvailable = hasSipp();
if (!sippAvailable) console.warn('loopback-sipp: sipp is not installed; skipping the SIPp integration tests');

describe.skipIf(!sippAvailable)('SBC on loopback with SIPp peers', () => {
  let sbc: Sbc;
  let work: string;
  const events: CallEvent[] = [];
  const running: SippRun[] = [];

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'sbc-loopback-'));
    const config = validateConfig({
      zones: { public: { address: PUBLIC, udp: 5060 }, core: { address: CORE, udp: 5060 } },
      coreServers: [{ host: CORE_SERVER, port: 5060 }],
      admin: { socket: join(work, 'admin.sock') },
      timers: { t1Ms: 100 },
    });
    sbc = await startSbc(config, { log: silentLogger });
    sbc.events.on((e) => events.push(e));
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map(stopSipp));
    events.length = 0;
  });

  afterAll(async () => {
    await sbc?.close();
    rmSync(work, { recursive: true, force: true });
  });

  function uas(scenario: string[]): SippRun {
    const run = startSipp([...scenario, '-i', CORE_SERVER, '-p', '5060'], work);
    running.push(run);
    return run;
  }

  async function uac(scenario: string[], calls: number): Promise<{ code: number | null; run: SippRun }> {
    const run = startSipp([...scenario, '-i', CALLER, '-p', '5070', '-s', '1234', '-m', String(calls), '-timeout', '20s', `${PUBLIC}:5060`], work);
    running.push(run);
    const code = await run.exited;
    return { code, run };
  }

  function errors(): string {
    return readdirSync(work).filter((f) => f.endsWith('_errors.log')).map((f) => readFileSync(join(work, f), 'utf8')).join('\n');
  }

  async function settle(): Promise<void> {
    for (let i = 0; i < 50 && sbc.registry.size > 0; i++) await new Promise((r) => setTimeout(r, 50));
  }

  it('completes calls with BYE from the caller (built-in uac/uas)', async () => {
    uas(['-sn', 'uas']);
    await new Promise((r) => setTimeout(r, 300));
    const { code } = await uac(['-sn', 'uac'], 5);
    expect(code, errors()).toBe(0);
    await settle();
    expect(sbc.registry.size).toBe(0);
    const kinds = events.filter((e) => e.kind === 'ended').map((e) => e.kind === 'ended' && e.endReason);
    expect(kinds).toEqual(Array(5).fill('caller-bye'));
    expect(events.filter((e) => e.kind === 'answered')).toHaveLength(5);
  });

  it('relays a BYE from the core side', async () => {
    uas(['-sf', join(SCENARIOS, 'uas-answer-then-bye.xml')]);
    await new Promise((r) => setTimeout(r, 300));
    const { code } = await uac(['-sf', join(SCENARIOS, 'uac-call-wait-bye.xml')], 3);
    expect(code, errors()).toBe(0);
    await settle();
    expect(events.filter((e) => e.kind === 'ended').map((e) => e.kind === 'ended' && e.endReason)).toEqual(Array(3).fill('callee-bye'));
  });

  it('turns a caller CANCEL into 200 + 487 and a CANCEL on the core leg', async () => {
    const core = uas(['-sf', join(SCENARIOS, 'uas-ring-until-cancel.xml'), '-m', '2']);
    await new Promise((r) => setTimeout(r, 300));
    const { code } = await uac(['-sf', join(SCENARIOS, 'uac-cancel-after-ringing.xml')], 2);
    expect(code, errors()).toBe(0);
    expect(await core.exited, errors()).toBe(0);
    const ended = events.filter((e) => e.kind === 'ended');
    expect(ended.map((e) => e.kind === 'ended' && [e.finalStatus, e.endReason])).toEqual([[487, 'cancelled'], [487, 'cancelled']]);
  });

  it('relays a core rejection as the same status, ACKed hop by hop', async () => {
    const core = uas(['-sf', join(SCENARIOS, 'uas-reject-486.xml'), '-m', '2']);
    await new Promise((r) => setTimeout(r, 300));
    const { code } = await uac(['-sf', join(SCENARIOS, 'uac-invite-rejected-486.xml')], 2);
    expect(code, errors()).toBe(0);
    expect(await core.exited, errors()).toBe(0);
    expect(events.filter((e) => e.kind === 'ended').map((e) => e.kind === 'ended' && e.finalStatus)).toEqual([486, 486]);
  });

  it('relays re-INVITE, INFO, UPDATE and OPTIONS from the caller, then its BYE', async () => {
    const core = uas(['-sf', join(SCENARIOS, 'uas-answer-in-dialog-requests.xml'), '-m', '2']);
    await new Promise((r) => setTimeout(r, 300));
    const { code } = await uac(['-sf', join(SCENARIOS, 'uac-in-dialog-requests.xml')], 2);
    expect(code, errors()).toBe(0);
    expect(await core.exited, errors()).toBe(0);
    expect(events.filter((e) => e.kind === 'ended').map((e) => e.kind === 'ended' && e.endReason)).toEqual(['caller-bye', 'caller-bye']);
  });

  it('relays re-INVITE and INFO from the core side, then its BYE', async () => {
    const core = uas(['-sf', join(SCENARIOS, 'uas-reinvite-info-bye.xml'), '-m', '2']);
    await new Promise((r) => setTimeout(r, 300));
    const { code } = await uac(['-sf', join(SCENARIOS, 'uac-accept-reinvite-info-bye.xml')], 2);
    expect(code, errors()).toBe(0);
    expect(await core.exited, errors()).toBe(0);
    expect(events.filter((e) => e.kind === 'ended').map((e) => e.kind === 'ended' && e.endReason)).toEqual(['callee-bye', 'callee-bye']);
  });

  it('answers OPTIONS itself and 400s or drops malformed datagrams', async () => {
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, CALLER, () => r()));
    const replies: string[] = [];
    sock.on('message', (m) => replies.push(m.toString('latin1')));
    const port = sock.address().port;
    const send = (text: string): Promise<void> => new Promise((r) => sock.send(Buffer.from(text), 5060, PUBLIC, () => r()));
    await send([
      'OPTIONS sip:ping@127.0.77.10 SIP/2.0',
      `Via: SIP/2.0/UDP ${CALLER}:${port};branch=z9hG4bKopt1;rport`,
      'Max-Forwards: 70',
      'From: <sip:probe@127.0.77.30>;tag=p1',
      'To: <sip:ping@127.0.77.10>',
      'Call-ID: opt-loopback',
      'CSeq: 1 OPTIONS',
      'Content-Length: 0',
      '', '',
    ].join('\r\n'));
    await send([
      'INVITE sip:1234@127.0.77.10 SIP/2.0',
      `Via: SIP/2.0/UDP ${CALLER}:${port};branch=z9hG4bKbad1`,
      'From: <sip:probe@127.0.77.30>;tag=p1',
      'To: <sip:1234@127.0.77.10>',
      'Call-ID: bad-loopback',
      'CSeq: 1 BYE',
      'Content-Length: 0',
      '', '',
    ].join('\r\n'));
    await send('\u0000\u0001 total garbage');
    for (let i = 0; i < 40 && replies.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    sock.close();
    expect(replies.find((r) => r.includes('CSeq: 1 OPTIONS'))).toMatch(/^SIP\/2\.0 200 OK[\s\S]*Allow: /);
    expect(replies.find((r) => r.includes('Call-ID: bad-loopback'))).toMatch(/^SIP\/2\.0 400 /);
    expect(sbc.metrics.value('sbc_sip_malformed_total', { zone: 'public' })).toBe(2);
    expect(sbc.metrics.value('sbc_sip_dropped_total', { zone: 'public', reason: 'malformed' })).toBe(1);
  });

  /** Sends one request from `from` to the SBC's `to` address and returns the final answer's status line. */
  async function finalStatus(from: string, to: string, lines: (port: number) => string[]): Promise<string> {
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, from, () => r()));
    const port = sock.address().port;
    const replies: string[] = [];
    sock.on('message', (m) => replies.push(m.toString('latin1')));
    const text = `${lines(port).join('\r\n')}\r\nContent-Length: 0\r\n\r\n`;
    await new Promise<void>((r) => sock.send(Buffer.from(text), 5060, to, () => r()));
    for (let i = 0; i < 40 && !replies.some((r) => !r.startsWith('SIP/2.0 100')); i++) await new Promise((r) => setTimeout(r, 50));
    sock.close();
    return replies.find((r) => !r.startsWith('SIP/2.0 100'))?.split('\r\n')[0] ?? 'no answer';
  }

  const invite = (from: string, ruri: string, extra: string[] = [], version = 'SIP/2.0') => (port: number): string[] => [
    `INVITE ${ruri} ${version}`,
    `Via: SIP/2.0/UDP ${from}:${port};branch=z9hG4bK${port}x${extra.length}${version.length};rport`,
    `From: <sip:100@${from}>;tag=c1`,
    'To: <sip:4930123@127.0.77.11>',
    `Call-ID: raw-${from}-${port}`,
    'CSeq: 1 INVITE',
    ...extra,
  ];

  it('refuses core-side INVITEs: 403 from strangers, 404 (no outbound route yet) from core servers', async () => {
    expect(await finalStatus('127.0.77.99', CORE, invite('127.0.77.99', 'sip:4930123@127.0.77.11', ['Max-Forwards: 70']))).toBe('SIP/2.0 403 Forbidden');
    expect(await finalStatus(CORE_SERVER, CORE, invite(CORE_SERVER, 'sip:4930123@127.0.77.11', ['Max-Forwards: 70']))).toBe('SIP/2.0 404 Not Found');
  });

  it('answers 483, 420, 416, 505 and 481 as RFC 3261 8.2 and 16.6 require', async () => {
    expect(await finalStatus(CALLER, PUBLIC, invite(CALLER, 'sip:1234@127.0.77.10', ['Max-Forwards: 0']))).toBe('SIP/2.0 483 Too Many Hops');
    expect(await finalStatus(CALLER, PUBLIC, invite(CALLER, 'sip:1234@127.0.77.10', ['Require: nothing-supports-this']))).toBe('SIP/2.0 420 Bad Extension');
    expect(await finalStatus(CALLER, PUBLIC, invite(CALLER, 'mailto:someone@example.com'))).toBe('SIP/2.0 416 Unsupported URI Scheme');
    expect(await finalStatus(CALLER, PUBLIC, invite(CALLER, 'sip:1234@127.0.77.10', [], 'SIP/3.0'))).toBe('SIP/2.0 505 Version Not Supported');
    expect(await finalStatus(CALLER, PUBLIC, (port) => [
      'BYE sip:1234@127.0.77.10 SIP/2.0',
      `Via: SIP/2.0/UDP ${CALLER}:${port};branch=z9hG4bKbye${port}`,
      `From: <sip:100@${CALLER}>;tag=c1`,
      'To: <sip:1234@127.0.77.10>;tag=nosuchdialog',
      'Call-ID: no-such-call',
      'CSeq: 2 BYE',
    ])).toBe('SIP/2.0 481 Call/Transaction Does Not Exist');
  });
});
