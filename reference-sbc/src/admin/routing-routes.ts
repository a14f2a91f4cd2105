import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logger';
import type { Registrar } from '../policy/registrar';
import type { CoreServerView } from '../policy/routing-setup';
import type { AdminServer } from './admin-server';

/**
 * The operator's view and control of routing:
 *   GET    /core-servers      200 [{host, port, state: up|down, failures, successes, lastResult, lastProbeAt, changedAt, heldDown, inRotation}]
 *   GET    /registrations     200 [{user, contact, expiresInS, protocol, source}]           (404 without a registrar)
 *   POST   /users             {"username": "...", "password": "..."}  201 {"username"}; 400 with the problem
 *   DELETE /users/<username>  200 {"username", "removed": true|false}; the user's bindings go too
 */
export interface RoutingRoutesDeps {
  coreServers(): CoreServerView[];
  registrar: Registrar | undefined;
  log: Logger;
  now?: () => number;
}

const MAX_BODY_BYTES = 4096;

export function registerRoutingRoutes(admin: AdminServer, deps: RoutingRoutesDeps): void {
  const now = deps.now ?? Date.now;
  admin.route('GET /core-servers', (_req, res) => sendJson(res, 200, deps.coreServers()));
  const registrar = deps.registrar;
  if (!registrar) return;
  admin.route('GET /registrations', (_req, res) => sendJson(res, 200, registrar.bindings().map((b) => ({
    user: b.user,
    contact: b.contact,
    expiresInS: Math.max(0, Math.round((b.expiresAt - now()) / 1000)),
    protocol: b.protocol,
    source: `${b.sourceAddress}:${b.sourcePort}`,
  }))));
  admin.route('POST /users', (req, res) => void addUser(req, res, registrar, deps.log));
  admin.route('DELETE /users/*', (req, res) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const username = decodeURIComponent(path.slice('/users/'.length));
    if (username === '') {
      sendJson(res, 400, { error: 'expected /users/<username>' });
      return;
    }
    const removed = registrar.removeUser(username);
    deps.log.info('sip user removed', { username, removed });
    sendJson(res, 200, { username, removed });
  });
}

async function addUser(req: IncomingMessage, res: ServerResponse, registrar: Registrar, log: Logger): Promise<void> {
  let body: unknown;
  try {
    body = JSON.parse(await readBody(req));
  } catch (err) {
    sendJson(res, 400, { error: `body must be JSON: ${(err as Error).message}` });
    return;
  }
  const b = (typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
  const { username, password } = b;
  const extra = Object.keys(b).filter((k) => k !== 'username' && k !== 'password');
  if (typeof username !== 'string' || !/^[^\s:"]+$/.test(username) || typeof password !== 'string' || password === '' || extra.length > 0) {
    sendJson(res, 400, { error: 'expected {"username": "<no spaces, colons or quotes>", "password": "<non-empty>"}' });
    return;
  }
  registrar.addUser(username, password);
  log.info('sip user provisioned', { username });
  sendJson(res, 201, { username });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error(`body larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(`${JSON.stringify(body)}\n`);
}
