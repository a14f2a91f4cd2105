import { createSocket, type Socket } from 'node:dgram';

/**
 * The core side of the capacity run's media probes, run inside the core zone's namespace for the whole
 * run: `node --import tsx media-echo.ts <port> <address>...`. scenarios/uas-answer-media.xml points
 * every answered call at this port of its core server; each datagram is sent straight back to where
 * it came from (symmetric RTP, as rtpengine expects), so any number of probe calls share one port
 * and each probe's G.711 crosses the SBC in both directions. The load calls send no RTP, so they
 * cost nothing here. Prints "ready" once every socket is bound and a count when it is stopped.
 */
async function bind(address: string, port: number): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, address, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  return socket;
}

async function main(): Promise<void> {
  const [portText, ...addresses] = process.argv.slice(2);
  const port = Number(portText);
  if (!Number.isInteger(port) || addresses.length === 0) throw new Error('usage: media-echo.ts <port> <address>...');
  let reflected = 0;
  const sockets = await Promise.all(addresses.map((a) => bind(a, port)));
  for (const socket of sockets) {
    socket.on('message', (buf, from) => {
      reflected++;
      socket.send(buf, from.port, from.address);
    });
    // A send to a vanished SBC port reports ICMP unreachable here; the echo must outlive it.
    socket.on('error', () => undefined);
  }
  process.stdout.write(`ready ${addresses.map((a) => `${a}:${port}`).join(' ')}\n`);
  process.once('SIGTERM', () => {
    process.stdout.write(`reflected ${reflected} datagrams\n`);
    for (const s of sockets) s.close();
    process.exit(0);
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
});
