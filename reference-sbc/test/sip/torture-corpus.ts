import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the RFC 4475 style corpus lives: one message per `.sip` file. */
export const TORTURE_DIR = join(import.meta.dirname, '..', 'data', 'torture');

/**
 * Loads a corpus file into wire bytes. Files are written with LF line ends and the RFC 4475
 * conventions: `<hex>..</hex>` for bytes that are not printable, `<repeat count=N>s</repeat>` for
 * long repetitions; `@@` in a Content-Length stands for the length of the body that follows.
 */
export function loadTorture(name: string): Buffer {
  let text = readFileSync(join(TORTURE_DIR, `${name}.sip`), 'utf8');
  text = text.replace(/<repeat count=(\d+)>([^<]*)<\/repeat>/g, (_m, n: string, s: string) => s.repeat(Number(n)));
  text = text.replace(/\r?\n/g, '\r\n');
  const parts = text.split(/<hex>([0-9A-Fa-f]*)<\/hex>/);
  const buf = Buffer.concat(parts.map((p, i) => (i % 2 === 1 ? Buffer.from(p, 'hex') : Buffer.from(p, 'utf8'))));
  let wire = buf.toString('latin1');
  for (let at = wire.indexOf('@@'); at >= 0; at = wire.indexOf('@@')) {
    const bodyStart = wire.indexOf('\r\n\r\n', at) + 4;
    wire = `${wire.slice(0, at)}${Buffer.byteLength(wire.slice(bodyStart), 'latin1')}${wire.slice(at + 2)}`;
  }
  return Buffer.from(wire, 'latin1');
}
