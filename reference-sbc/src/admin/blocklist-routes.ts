import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logger';
import { entryView, parseCidr, type Blocklist, type BlocklistDb } from '../policy/security';
import type { AdminServer } from './admin-server';
import { pathAfter, readJsonBody, sendJson } from './json-http';

/**
 * The operator's run-time control of the block list (IN-01):
 *   GET    /blocklist                 200 [{address, source, addedAt, expiresAt, reason?}]
 *   POST   /blocklist                 {"address": "203.0.113.66" | "198.51.100.0/24", "expiresInS"?: n, "reason"?: "..."}
 *                                     201 the entry; 400 with the problem
 *   DELETE /blocklist/<address|cidr>  200 {"address", "removed": [sources]}; idempotent (removed [] when not listed)
 * A range in the path may be URL-encoded (`198.51.100.0%2F24`) or not. Entries added here are not
 * persisted; a row of the database table is deleted from the table too, or it would come back.
 */
export interface BlocklistRoutesDeps {
  blocklist: Blocklist;
  db?: BlocklistDb | undefined;
  log: Logger;
}

export function registerBlocklistRoutes(admin: AdminServer, deps: BlocklistRoutesDeps): void {
  admin.route('GET /blocklist', (_req, res) => sendJson(res, 200, deps.blocklist.list().map(entryView)));
  admin.route('POST /blocklist', (req, res) => void guard(res, deps.log, () => add(req, res, deps)));
  admin.route('DELETE /blocklist/*', (req, res) => void guard(res, deps.log, () => remove(req, res, deps)));
}

async function add(req: IncomingMessage, res: ServerResponse, deps: BlocklistRoutesDeps): Promise<void> {
  const read = await readJsonBody(req, res);
  if (!read) return;
  const { body } = read;
  const problem = validate(body);
  if (problem) {
    sendJson(res, 400, { error: problem });
    return;
  }
  const { address, expiresInS, reason } = body as { address: string; expiresInS?: number; reason?: string };
  const entry = deps.blocklist.add('api', {
    address,
    expiresInMs: expiresInS === undefined ? undefined : expiresInS * 1000,
    reason,
  });
  deps.log.info('blocklist entry added', { address: entry.cidr.text, expiresInS, reason });
  sendJson(res, 201, entryView(entry));
}

function validate(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'expected a JSON object {"address": ...}';
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => !['address', 'expiresInS', 'reason'].includes(k));
  if (unknown.length) return `unknown field(s): ${unknown.join(', ')}`;
  if (typeof b.address !== 'string') return 'address: expected a string (IPv4 address or CIDR range)';
  try {
    parseCidr(b.address);
  } catch (err) {
    return `address: ${(err as Error).message}`;
  }
  if (b.expiresInS !== undefined && (typeof b.expiresInS !== 'number' || !Number.isFinite(b.expiresInS) || b.expiresInS <= 0)) {
    return 'expiresInS: expected a positive number of seconds';
  }
  if (b.reason !== undefined && typeof b.reason !== 'string') return 'reason: expected a string';
  return undefined;
}

async function remove(req: IncomingMessage, res: ServerResponse, deps: BlocklistRoutesDeps): Promise<void> {
  let address: string;
  try {
    address = pathAfter(req, '/blocklist/');
    parseCidr(address);
  } catch (err) {
    sendJson(res, 400, { error: `not an IPv4 address or CIDR range: ${(err as Error).message}` });
    return;
  }
  const cidr = parseCidr(address);
  const inDb = deps.blocklist.list().some((e) => e.source === 'db' && e.cidr.text === cidr.text);
  if (inDb && deps.db) {
    try {
      await deps.db.delete(cidr.text);
    } catch (err) {
      sendJson(res, 503, { error: `the address is in the blocklist table and the database is unavailable: ${(err as Error).message}` });
      return;
    }
  }
  const removed = deps.blocklist.remove(address);
  deps.log.info('blocklist entry removed', { address: cidr.text, removed });
  sendJson(res, 200, { address, removed });
}

async function guard(res: ServerResponse, log: Logger, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    log.error('blocklist admin request failed', { err });
    if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
  }
}
