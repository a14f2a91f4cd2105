import { afterEach, describe, expect, it } from 'vitest';
import { MediaEndpoint } from './media-endpoint';
import { RemoteMediaEndpoint } from './remote-endpoint';
import { cryptoAttrValue, generateCryptoAttr } from './sdes-crypto';

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

describe('RemoteMediaEndpoint (media agent in a child process)', () => {
  it('exchanges SRTP with an in-process endpoint', async () => {
    const remote = await RemoteMediaEndpoint.open({ localIp: '127.0.0.1' });
    open.push(remote);
    const local = await MediaEndpoint.open({ localIp: '127.0.0.1' });
    open.push(local);
    const keyRemote = generateCryptoAttr();
    const keyLocal = generateCryptoAttr();
    const [remoteSent] = await Promise.all([
      remote.start({
        remoteIp: '127.0.0.1', remotePort: local.localPort, payloadType: 8, packets: 25, expectPackets: 25,
        srtp: { send: cryptoAttrValue(keyRemote), recv: cryptoAttrValue(keyLocal) },
      }),
      local.start({ remoteIp: '127.0.0.1', remotePort: remote.localPort, payloadType: 8, packets: 25, srtp: { send: keyLocal, recv: keyRemote } }),
    ]);
    expect(remoteSent.packets).toBe(25);
    expect(await remote.waitForReceived(25, 2000)).toBe(true);
    await local.waitForReceived(25, 2000);
    const stats = await remote.stats();
    expect(stats.received).toMatchObject({ received: 25, authenticated: 25, accepted: 25, lost: 0 });
    expect(local.stats().received).toMatchObject({ received: 25, authenticated: 25, lost: 0 });
  });

  it('reports typed errors from the agent and a failed bind', async () => {
    const remote = await RemoteMediaEndpoint.open({ localIp: '127.0.0.1' });
    open.push(remote);
    await remote.expect({});
    await expect(remote.expect({})).rejects.toMatchObject({ code: 'bad-option' });
    await expect(RemoteMediaEndpoint.open({ localIp: '192.0.2.1' })).rejects.toMatchObject({ code: 'socket-error' });
  });
});
