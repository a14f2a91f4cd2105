import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The request and response plumbing every admin route shares: JSON answers, a size-capped JSON body,
 * and the resource named by the path after a route prefix.
 */

/** An admin request carries a few fields; a larger body is a mistake or an attack, not data. */
const MAX_BODY_BYTES = 4096;

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(`${JSON.stringify(body)}\n`);
}

/**
 * The request body parsed as JSON, or undefined once it has answered 400 (not JSON, or larger than
 * MAX_BODY_BYTES): the caller then has nothing left to do.
 */
export async function readJsonBody(req: IncomingMessage, res: ServerResponse): Promise<{ body: unknown } | undefined> {
  try {
    return { body: JSON.parse(await readBody(req)) };
  } catch (err) {
    sendJson(res, 400, { error: `body must be JSON: ${(err as Error).message}` });
    return undefined;
  }
}

/** The URL-decoded path after `prefix` (`/users/` of `/users/alice?x` is `alice`); throws URIError on a bad escape. */
export function pathAfter(req: IncomingMessage, prefix: string): string {
  const path = (req.url ?? '').split('?')[0] ?? '';
  return decodeURIComponent(path.slice(prefix.length));
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
