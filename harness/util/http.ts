import { request } from 'node:http';

export interface HttpResponse {
  status: number;
  body: string;
}

/**
 * A small HTTP client that also speaks to unix sockets, written `unix:/path/to.sock:/url/path`: an SBC's
 * admin socket is reachable from any network namespace, a TCP port only from its own.
 */
export function httpRequest(
  url: string,
  o: { method?: string; body?: string; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<HttpResponse> {
  let target: { socketPath?: string; host?: string; port?: number; path: string };
  const unix = /^unix:([^:]+):(\/.*)$/.exec(url);
  if (unix) target = { socketPath: unix[1]!, path: unix[2]! };
  else {
    const u = new URL(url);
    if (u.protocol !== 'http:') throw new Error(`unsupported URL ${url}: use http://host:port/path or unix:/socket:/path`);
    target = { host: u.hostname, port: Number(u.port || 80), path: `${u.pathname}${u.search}` };
  }
  return new Promise((resolve, reject) => {
    const req = request(
      { ...target, method: o.method ?? 'GET', headers: { ...(o.body ? { 'content-type': 'application/json' } : {}), ...o.headers }, timeout: o.timeoutMs ?? 5000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${o.method ?? 'GET'} ${url}: no answer within ${o.timeoutMs ?? 5000} ms`)));
    req.on('error', reject);
    req.end(o.body);
  });
}
