import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { run } from '../util/process';
import { busySipPorts, probeOnce, waitForProbe, type Zone, type ZoneExec } from './probe';
import type { SutProfile } from './profile';

/** Runs everything right here, recording in which zone it was asked to run. */
function recordingExec(): { exec: ZoneExec; zones: Zone[] } {
  const zones: Zone[] = [];
  return { zones, exec: (zone, argv, o) => (zones.push(zone), run(argv[0]!, argv.slice(1), { check: false, timeoutMs: o.timeoutMs })) };
}

const sbcAt = (port: number, tls?: number): SutProfile['sbc'] => ({
  public: { address: '127.0.0.1', udp: port, ...(tls === undefined ? {} : { tls }) },
  core: { address: '127.0.0.2', udp: port },
});

let udp: Socket | undefined;
let tcp: Server | undefined;
afterEach(async () => {
  udp?.close();
  udp = undefined;
  await new Promise((r) => (tcp ? tcp.close(r) : r(undefined)));
  tcp = undefined;
});

/** A UDP SIP peer answering every request with `status` (or nothing), echoing the request's Via/Call-ID/CSeq. */
async function sipPeer(status: number | undefined, provisional = false): Promise<{ port: number; seen: string[] }> {
  const seen: string[] = [];
  udp = createSocket('udp4');
  const sock = udp;
  sock.on('message', (m, from) => {
    const text = m.toString('latin1');
    seen.push(text);
    if (status === undefined) return;
    const copy = text.split('\r\n').filter((l) => /^(Via|From|To|Call-ID|CSeq):/i.test(l));
    const reply = (code: number): void => {
      sock.send(`SIP/2.0 ${code} Whatever\r\n${copy.join('\r\n')}\r\nContent-Length: 0\r\n\r\n`, from.port, from.address);
    };
    if (provisional) reply(100);
    reply(status);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  return { port: (sock.address() as AddressInfo).port, seen };
}

describe('SUT probes on real sockets', () => {
  it('sipOptions: any final response is alive, sent from the zone the profile names, without a user part', async () => {
    const peer = await sipPeer(486, true);
    const { exec, zones } = recordingExec();
    const r = await probeOnce({ sipOptions: { zone: 'public' } }, { sbc: sbcAt(peer.port), vars: {}, exec });
    expect(r).toMatchObject({ ok: true, status: 486 });
    expect(zones).toEqual(['public']);
    expect(peer.seen[0]).toMatch(new RegExp(`^OPTIONS sip:127\\.0\\.0\\.1:${peer.port} SIP/2\\.0\\r\\n`));
  });

  it('sipOptions: silence (or only a provisional response) is not alive', async () => {
    const silent = await sipPeer(undefined);
    const { exec } = recordingExec();
    const r = await probeOnce({ sipOptions: { zone: 'public' } }, { sbc: sbcAt(silent.port), vars: {}, exec });
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/no final response to OPTIONS/);
    // Retransmitted per RFC 3261 (T1 = 500 ms) while waiting.
    expect(silent.seen.length).toBeGreaterThanOrEqual(2);
  });

  it('tcp: an accepted connection is alive, a refused one is not', async () => {
    tcp = createServer((s) => s.destroy());
    await new Promise<void>((r) => tcp!.listen(0, '127.0.0.1', r));
    const port = (tcp.address() as AddressInfo).port;
    const { exec } = recordingExec();
    expect((await probeOnce({ tcp: { zone: 'public' } }, { sbc: sbcAt(5060, port), vars: {}, exec })).ok).toBe(true);
    await new Promise((r) => tcp!.close(r));
    tcp = undefined;
    const refused = await probeOnce({ tcp: { zone: 'public', port } }, { sbc: sbcAt(5060), vars: {}, exec });
    expect(refused).toMatchObject({ ok: false });
    expect(refused.detail).toMatch(/ECONNREFUSED/);
  });

  it('udp: a socket bound to the SBC address and port is alive; the port-free check sees it too', async () => {
    const peer = await sipPeer(undefined);
    const { exec, zones } = recordingExec();
    expect((await probeOnce({ udp: { zone: 'public' } }, { sbc: sbcAt(peer.port), vars: {}, exec })).ok).toBe(true);
    expect(zones).toContain('sbc');
    expect(await busySipPorts(sbcAt(peer.port), exec)).toEqual([{ proto: 'udp', address: '127.0.0.1', port: peer.port }]);
    udp!.close();
    udp = undefined;
    expect((await probeOnce({ udp: { zone: 'public' } }, { sbc: sbcAt(peer.port), vars: {}, exec })).ok).toBe(false);
    expect(await busySipPorts(sbcAt(peer.port), exec)).toEqual([]);
  });

  it('command: exit status 0 is alive, in the SBC zone, with placeholders filled', async () => {
    const { exec, zones } = recordingExec();
    expect(await probeOnce({ command: 'test "${RUN_DIR}" = /x' }, { sbc: sbcAt(5060), vars: { RUN_DIR: '/x' }, exec })).toMatchObject({ ok: true, status: 0 });
    expect(await probeOnce({ command: 'echo down; exit 3' }, { sbc: sbcAt(5060), vars: {}, exec })).toMatchObject({ ok: false, status: 3, detail: expect.stringContaining('down') });
    expect(zones).toEqual(['sbc', 'sbc']);
  });

  it('waits for a probe to succeed and names the probe and the last failure when it never does', async () => {
    const { exec } = recordingExec();
    await expect(waitForProbe({ command: 'exit 1', timeoutMs: 300 }, { sbc: sbcAt(5060), vars: {}, exec }, { name: 'sbc' }))
      .rejects.toThrow(/timed out after 300 ms waiting for sbc to answer `exit 1` \(last error: `exit 1` exited 1/);
    const peer = await sipPeer(200);
    expect((await waitForProbe({ sipOptions: { zone: 'public' }, timeoutMs: 5000 }, { sbc: sbcAt(peer.port), vars: {}, exec }, { name: 'sbc' })).status).toBe(200);
  });
});
