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

/**
 * Every message of RFC 4475 by its file name, with the section that defines it, so the corpus can be
 * checked complete. The other files are RFC 5118 (IPv6) messages and local variants.
 */
export const RFC4475_SECTIONS: Readonly<Record<string, string>> = {
  wsinv: '3.1.1.1', intmeth: '3.1.1.2', esc01: '3.1.1.3', escnull: '3.1.1.4', esc02: '3.1.1.5',
  lwsdisp: '3.1.1.6', longreq: '3.1.1.7', dblreq: '3.1.1.8', semiuri: '3.1.1.9', transports: '3.1.1.10',
  mpart01: '3.1.1.11', unreason: '3.1.1.12', noreason: '3.1.1.13',
  badinv01: '3.1.2.1', clerr: '3.1.2.2', ncl: '3.1.2.3', scalar02: '3.1.2.4', scalarlg: '3.1.2.5',
  quotbal: '3.1.2.6', ltgtruri: '3.1.2.7', lwsruri: '3.1.2.8', lwsstart: '3.1.2.9', trws: '3.1.2.10',
  escruri: '3.1.2.11', baddate: '3.1.2.12', regbadct: '3.1.2.13', badaspec: '3.1.2.14', baddn: '3.1.2.15',
  badvers: '3.1.2.16', mismatch01: '3.1.2.17', mismatch02: '3.1.2.18', bigcode: '3.1.2.19',
  badbranch: '3.2.1',
  insuf: '3.3.1', unkscm: '3.3.2', novelsc: '3.3.3', unksm2: '3.3.4', bext01: '3.3.5', invut: '3.3.6',
  regaut01: '3.3.7', multi01: '3.3.8', mcl01: '3.3.9', bcast: '3.3.10', zeromf: '3.3.11', cparam01: '3.3.12',
  cparam02: '3.3.13', regescrt: '3.3.14', sdp01: '3.3.15',
  inv2543: '3.4.1',
};
