import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config';
import type { CallEvent } from '../../src/events';
import { silentLogger } from '../../src/logger';
import { startSbc, type Sbc } from '../../src/sbc';
import { hasSipp, startSipp, stopSipp } from '../helpers/sipp';

/** IN-04 on loopback (127.0.80.x): one of two core servers is down; every call still completes. */
const PUBLIC = '127.0.80.10';
const CORE = '127.0.80.11';
const DOWN_SERVER = '127.0.80.21';
const UP_SERVER = '127.0.80.22';
const CALLER = '127.0.80.30';

describe.skipIf(!hasSipp())('core server failover with SIPp', () => {
  let sbc: Sbc;
  let work: string;
  const events: CallEvent[] = [];

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'sbc-failover-'));
    const config = validateConfig({
      zones: { public: { address: PUBLIC, udp: 5060 }, core: { address: CORE, udp: 5060 } },
      coreServers: [{ host: DOWN_SERVER, port: 5060 }, { host: UP_SERVER, port: 5060 }],
      coreFailover: { noResponseMs: 1000 },
      admin: { socket: join(work, 'admin.sock') },
    });
    sbc = await startSbc(config, { log: silentLogger });
    sbc.events.on((e) => events.push(e));
  });

  afterAll(async () => {
    await sbc?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('skips the core server that does not answer', async () => {
    const core = startSipp(['-sn', 'uas', '-i', UP_SERVER, '-p', '5060'], work);
    try {
      await new Promise((r) => setTimeout(r, 300));
      const caller = startSipp(['-sn', 'uac', '-i', CALLER, '-p', '5070', '-s', '1234', '-m', '4', '-timeout', '30s', `${PUBLIC}:5060`], work);
      expect(await caller.exited, caller.output()).toBe(0);
    } finally {
      await stopSipp(core);
    }
    const peers = events.filter((e) => e.kind === 'routed').map((e) => e.kind === 'routed' && e.peer);
    expect(peers[0]).toBe(`${DOWN_SERVER}:5060`);
    expect(peers.filter((p) => p === `${UP_SERVER}:5060`)).toHaveLength(4);
    expect(sbc.metrics.value('sbc_sip_messages_total', { zone: 'core', direction: 'in', kind: 'response' })).toBeGreaterThan(0);
  }, 40000);
});
