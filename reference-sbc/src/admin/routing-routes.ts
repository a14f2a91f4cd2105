import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logger';
import type { Registrar } from '../policy/registrar';
import type { CoreServerView } from '../policy/routing';
import type { AdminServer } from './admin-server';
import { pathAfter, readJsonBody, sendJson } from './json-http';

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
    const username = pathAfter(req, '/users/');
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
  const read = await readJsonBody(req, res);
  if (!read) return;
  const { body } = read;
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
