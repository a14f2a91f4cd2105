/**
 * A MediaEndpoint in a process of its own, so it can run inside another network namespace
 * (`ip netns exec core node --import tsx harness/media/media-agent.ts --local-ip 10.20.0.21`).
 * It is driven by JSON lines on stdin (agent-protocol.ts) and answers on stdout; it closes when
 * told to or when stdin ends, so it never outlives its parent. Use RemoteMediaEndpoint to drive it.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { cryptoFromWire, parseAgentLine, type AgentMessage, type AgentRequest } from './agent-protocol';
import { MediaEndpoint, type RtcpMode } from './media-endpoint';
import { MediaError } from './media-error';

function say(msg: AgentMessage): void {
  process.stdout.write(`${JSON.stringify(msg)}\n`);
}

async function handle(ep: MediaEndpoint, req: AgentRequest): Promise<unknown> {
  switch (req.cmd) {
    case 'start': {
      const { srtp, ...rest } = req.options;
      const sent = ep.start({
        ...rest,
        ...(srtp
          ? {
              srtp: {
                ...(srtp.send ? { send: cryptoFromWire(srtp.send) } : {}),
                ...(srtp.recv ? { recv: cryptoFromWire(srtp.recv) } : {}),
              },
            }
          : {}),
      });
      // The reply comes when sending ends, as a local start() resolves.
      return sent;
    }
    case 'expect': {
      const { srtp, ...rest } = req.options;
      ep.expect({ ...rest, ...(srtp ? { srtp: cryptoFromWire(srtp) } : {}) });
      return undefined;
    }
    case 'stats':
      return ep.stats();
    case 'wait':
      return ep.waitForReceived(req.count, req.timeoutMs);
    case 'stop':
      ep.stop();
      return undefined;
    case 'close':
      await ep.close();
      return undefined;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'local-ip': { type: 'string' },
      'local-port': { type: 'string' },
      rtcp: { type: 'string', default: 'none' },
    },
  });
  const localIp = values['local-ip'];
  if (!localIp) throw new MediaError('bad-option', '--local-ip is required');
  const rtcp = values.rtcp as RtcpMode;
  if (!['none', 'mux', 'separate'].includes(rtcp)) throw new MediaError('bad-option', `--rtcp ${rtcp}`);
  const ep = await MediaEndpoint.open({
    localIp,
    ...(values['local-port'] ? { localPort: Number(values['local-port']) } : {}),
    rtcp,
  });
  const rtcpPort = ep.rtcpPort;
  say({ event: 'ready', localIp, localPort: ep.localPort, ...(rtcpPort !== undefined ? { rtcpPort } : {}) });

  let closing = false;
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (!line.trim()) return;
    let req: AgentRequest;
    try {
      req = parseAgentLine<AgentRequest>(line);
    } catch (err) {
      process.stderr.write(`${(err as Error).message}\n`);
      return;
    }
    handle(ep, req).then(
      (result) => {
        say({ event: 'reply', id: req.id, ok: true, ...(result !== undefined ? { result } : {}) });
        if (req.cmd === 'close') {
          closing = true;
          process.exit(0);
        }
      },
      (err: unknown) => {
        const code = err instanceof MediaError ? err.code : 'socket-error';
        say({ event: 'reply', id: req.id, ok: false, code, message: err instanceof Error ? err.message : String(err) });
      },
    );
  });
  lines.on('close', () => {
    if (!closing) void ep.close().then(() => process.exit(0));
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`media-agent: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
