import { describe, expect, it } from 'vitest';
import { silentLogger } from '../src/logger';
import { Metrics } from '../src/metrics';
import { createResponse, SipRequest } from '../src/sip/message';
import { parseMessage } from '../src/sip/parser';
import { TransportLayer } from '../src/transport/transport-layer';
import type { Endpoint, Listener } from '../src/transport/types';

/** A listener that keeps what it was asked to send. */
class RecordingListener implements Listener {
  readonly zone = 'public';
  readonly protocol = 'udp';
  readonly local = { address: '127.0.0.1', port: 5060 };
  readonly sent: string[] = [];
  listen(): Promise<void> {
    return Promise.resolve();
  }
  send(data: Buffer): Promise<void> {
    this.sent.push(data.toString('latin1'));
    return Promise.resolve();
  }
  onData(): void {}
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const OPTIONS = [
  'OPTIONS sip:ping@127.0.0.1 SIP/2.0',
  'Via: SIP/2.0/UDP 127.0.0.2:5070;branch=z9hG4bKbanner',
  'From: <sip:a@127.0.0.2>;tag=1',
  'To: <sip:ping@127.0.0.1>',
  'Call-ID: banner',
  'CSeq: 1 OPTIONS',
  'Content-Length: 0',
  '', '',
].join('\r\n');

function layer(serverHeader?: string): { transport: TransportLayer; listener: RecordingListener } {
  const transport = new TransportLayer({ log: silentLogger, metrics: new Metrics(), maxMessageBytes: 65535, serverHeader });
  const listener = new RecordingListener();
  transport.add(listener);
  return { transport, listener };
}

const to: Endpoint = { address: '127.0.0.2', port: 5070 };

describe('Server / User-Agent banner', () => {
  it('sends none by default', async () => {
    const { transport, listener } = layer();
    const req = parseMessage(Buffer.from(OPTIONS)) as SipRequest;
    await transport.send(createResponse(req, 200), { zone: 'public', protocol: 'udp', endpoint: to });
    await transport.send(req, { zone: 'public', protocol: 'udp', endpoint: to });
    expect(listener.sent.join('\n')).not.toMatch(/^(server|user-agent):/im);
  });

  it('sends the configured value as Server on responses and User-Agent on requests, once', async () => {
    const { transport, listener } = layer('ExampleSBC');
    const req = parseMessage(Buffer.from(OPTIONS)) as SipRequest;
    const res = createResponse(req, 200);
    await transport.send(res, { zone: 'public', protocol: 'udp', endpoint: to });
    await transport.send(res, { zone: 'public', protocol: 'udp', endpoint: to });
    await transport.send(req, { zone: 'public', protocol: 'udp', endpoint: to });
    expect(listener.sent[1]!.match(/^Server: ExampleSBC\r$/gm)).toHaveLength(1);
    expect(listener.sent[2]).toMatch(/^User-Agent: ExampleSBC\r$/m);
  });
});
