import { lstat, unlink } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { sendJson } from './json-http';

export interface HealthReport {
  /** True once every SIP listener is bound. */
  ready: boolean;
  details: Record<string, unknown>;
}

export interface AdminOptions {
  socket?: string | undefined;
  host?: string | undefined;
  port?: number | undefined;
  log: Logger;
  metrics: Metrics;
  health(): HealthReport;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The operator's HTTP API, on a unix socket and/or a TCP host:port:
 *   GET /health  -> 200 {"status":"ok","pid":...} when all transports listen, else 503
 *   GET /metrics -> Prometheus text
 */
export class AdminServer {
  private readonly options: AdminOptions;
  private readonly servers: Server[] = [];
  private readonly routes = new Map<string, Handler>();

  constructor(options: AdminOptions) {
    this.options = options;
    this.routes.set('GET /health', (_req, res) => {
      const report = options.health();
      sendJson(res, report.ready ? 200 : 503, { status: report.ready ? 'ok' : 'starting', pid: process.pid, ...report.details });
    });
    this.routes.set('GET /metrics', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(options.metrics.render());
    });
  }

  /** Adds a route (`METHOD /path`, or `METHOD /prefix/*` for every path under the prefix) for admin features (block list, registrations). */
  route(key: string, handler: Handler): void {
    this.routes.set(key, handler);
  }

  async listen(): Promise<void> {
    const { socket, host, port, log } = this.options;
    if (socket !== undefined) {
      await removeStaleSocket(socket);
      await this.listenOn((server, cb) => server.listen(socket, cb));
      log.info('admin listening', { socket });
    }
    if (host !== undefined && port !== undefined) {
      await this.listenOn((server, cb) => server.listen(port, host, cb));
      log.info('admin listening', { host, port });
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    })));
    this.servers.length = 0;
    if (this.options.socket !== undefined) await removeStaleSocket(this.options.socket);
  }

  private listenOn(start: (server: Server, cb: () => void) => void): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      start(server, () => {
        server.off('error', reject);
        this.servers.push(server);
        resolve();
      });
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const key = `${req.method ?? 'GET'} ${path}`;
    const handler = this.routes.get(key) ?? [...this.routes].find(([k]) => k.endsWith('/*') && key.startsWith(k.slice(0, -1)))?.[1];
    if (!handler) {
      const known = [...this.routes.keys()].some((k) => k.endsWith(` ${path}`) || (k.endsWith('/*') && path.startsWith(k.slice(k.indexOf(' ') + 1, -1))));
      sendJson(res, known ? 405 : 404, { error: known ? 'method not allowed' : 'not found' });
      return;
    }
    try {
      handler(req, res);
    } catch (err) {
      this.options.log.error('admin handler failed', { path, err });
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
    }
  }
}

/** A socket file left by a crashed run would make listen() fail with EADDRINUSE. */
async function removeStaleSocket(path: string): Promise<void> {
  try {
    const st = await lstat(path);
    if (st.isSocket()) await unlink(path);
  } catch {
    // Nothing there: nothing to remove.
  }
}
