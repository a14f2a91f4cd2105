import { MediaError } from './media-error';
import type { EndpointStartOptions } from './media-endpoint';
import { parseCryptoAttr, type CryptoAttr } from './sdes-crypto';
import type { AnalyserOptions } from './stream-analyser';

/*
 * The line protocol between RemoteMediaEndpoint and media-agent.ts: one JSON object per line.
 * Key material crosses as `a=crypto` values because CryptoAttr holds Buffers and bigints.
 */

export type WireStartOptions = Omit<EndpointStartOptions, 'srtp'> & { srtp?: { send?: string; recv?: string } };
export type WireExpectOptions = Omit<AnalyserOptions, 'srtp'> & { srtp?: string };

export type AgentRequest =
  | { id: number; cmd: 'start'; options: WireStartOptions }
  | { id: number; cmd: 'expect'; options: WireExpectOptions }
  | { id: number; cmd: 'stats' }
  | { id: number; cmd: 'wait'; count: number; timeoutMs: number }
  | { id: number; cmd: 'stop' }
  | { id: number; cmd: 'close' };

export type AgentMessage =
  | { event: 'ready'; localIp: string; localPort: number; rtcpPort?: number }
  | { event: 'reply'; id: number; ok: true; result?: unknown }
  | { event: 'reply'; id: number; ok: false; code: string; message: string };

export function cryptoFromWire(value: string): CryptoAttr {
  const r = parseCryptoAttr(value);
  if (!r.ok) throw r.error;
  return r.value;
}

export function parseAgentLine<T>(line: string): T {
  try {
    return JSON.parse(line) as T;
  } catch (err) {
    throw new MediaError('bad-option', `not a JSON line: ${line.slice(0, 200)}`, { cause: err });
  }
}
