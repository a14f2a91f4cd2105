import { randomInt } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config';
import type { CallEvent } from '../../src/events';
import { silentLogger } from '../../src/logger';
import { startSbc, type Sbc } from '../../src/sbc';
import { hasSipp, startSipp, stopSipp, type SippRun } from '../helpers/sipp';
import { haveRtpengine, startTestRtpengine, type TestRtpengine } from '../../../test/support/test-rtpengine';

/**
 * The SBC with media anchored in a real rtpengine (userspace) on 127.0.81.x, SIPp on both sides:
 * every SDP a side receives, in the call and in re-INVITE/UPDATE, points at the SBC's own address
 * in that side's zone. Skipped without sipp or rtpengine.
 */
const PUBLIC = '127.0.81.10';
const CORE = '127.0.81.11';
const CORE_SERVER = '127.0.81.21';
const CALLER = '127.0.81.30';
const SCENARIOS = join(import.meta.dirname, '..', 'sipp');
const runnable = haveRtpengine && hasSipp();
if (!runnable) console.warn('media-loopback: sipp or rtpengine missing; skipping the anchored-media SIPp tests');

/** Every c= address in the SDP bodies of a SIPp message log, by direction. */
function connectionAddresses(messageLog: string, direction: 'received' | 'sent'): string[] {
  const blocks = messageLog.split(/^-{10,}.*$/m).filter((b) => b.includes(direction === 'received' ? 'message received' : 'message sent'));
  return blocks.flatMap((b) => [...b.matchAll(/^c=IN IP4 (\S+)/gm)].map((m) => m[1] ?? ''));
}

describe.skipIf(!runnable)('SBC with media anchored in rtpengine', () => {
  let sbc: Sbc;
  let rtpengine: TestRtpengine;
  let work: string;
  const events: CallEvent[] = [];

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'sbc-media-'));
    const ngPort = randomInt(20000, 29000);
    rtpengine = await startTestRtpengine({ interfaces: [`pub/${PUBLIC}`, `core/${CORE}`], ngPort, portMin: randomInt(40000, 48000), logLevel: 4 });
    const config = validateConfig({
      zones: { public: { address: PUBLIC, udp: 5060 }, core: { address: CORE, udp: 5060 } },
      coreServers: [{ host: CORE_SERVER, port: 5060 }],
      media: { rtpengine: { host: '127.0.0.1', port: ngPort } },
      admin: { socket: join(work, 'admin.sock') },
      timers: { t1Ms: 100 },
    });
    sbc = await startSbc(config, { log: silentLogger });
    sbc.events.on((e) => events.push(e));
  }, 20000);

  afterAll(async () => {
    await sbc?.close();
    await rtpengine?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  async function call(uasScenario: string, uacScenario: string): Promise<{ caller: string; core: string }> {
    const uasLog = join(work, `${uasScenario}.msg`);
    const uacLog = join(work, `${uacScenario}.msg`);
    const core: SippRun = startSipp(['-sf', join(SCENARIOS, `${uasScenario}.xml`), '-i', CORE_SERVER, '-p', '5060', '-m', '1', '-trace_msg', '-message_file', uasLog], work);
    try {
      await new Promise((r) => setTimeout(r, 300));
      const caller = startSipp(['-sf', join(SCENARIOS, `${uacScenario}.xml`), '-i', CALLER, '-p', '5070', '-s', '1234', '-m', '1', '-timeout', '20s', '-trace_msg', '-message_file', uacLog, `${PUBLIC}:5060`], work);
      expect(await caller.exited, caller.output()).toBe(0);
      expect(await core.exited, core.output()).toBe(0);
    } finally {
      await stopSipp(core);
    }
    return { caller: readFileSync(uacLog, 'utf8'), core: readFileSync(uasLog, 'utf8') };
  }

  it('anchors the call and the caller\'s re-INVITE and UPDATE: each side only sees the SBC', async () => {
    const logs = await call('uas-answer-in-dialog-requests', 'uac-in-dialog-requests');
    const callerSaw = connectionAddresses(logs.caller, 'received');
    const coreSaw = connectionAddresses(logs.core, 'received');
    expect(callerSaw.length).toBeGreaterThanOrEqual(2);
    expect(new Set(callerSaw)).toEqual(new Set([PUBLIC]));
    expect(coreSaw.length).toBeGreaterThanOrEqual(2);
    expect(new Set(coreSaw)).toEqual(new Set([CORE]));
    expect(logs.caller).not.toContain(CORE_SERVER);
  }, 30000);

  it('anchors the core\'s re-INVITE towards the caller', async () => {
    const logs = await call('uas-reinvite-info-bye', 'uac-accept-reinvite-info-bye');
    expect(new Set(connectionAddresses(logs.caller, 'received'))).toEqual(new Set([PUBLIC]));
    expect(new Set(connectionAddresses(logs.core, 'received'))).toEqual(new Set([CORE]));
    expect(logs.caller).not.toContain(CORE_SERVER);
    expect(events.filter((e) => e.kind === 'ended').map((e) => e.kind === 'ended' && e.endReason)).toContain('callee-bye');
  }, 30000);
});
