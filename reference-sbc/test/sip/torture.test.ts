import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SipParseError } from '../../src/errors';
import { checkRequest, nextMaxForwards } from '../../src/policy/request-checks';
import { parseNameAddr } from '../../src/sip/header-values';
import { parseMessage } from '../../src/sip/parser';
import { serializeMessage } from '../../src/sip/serializer';
import { loadTorture, TORTURE_DIR } from './torture-corpus';

/**
 * RFC 4475 (and RFC 5118 for IPv6) torture messages, table-driven (STYLE.md 9).
 * `valid`: parses, its structured headers parse, and it re-serializes byte for byte.
 * `invalid`: the parser rejects it (a request then gets 400 or is dropped by the transport).
 * `status`: parses, and the SBC's UAS checks answer it with this status.
 */
type Expectation = { kind: 'valid' } | { kind: 'invalid' } | { kind: 'status'; status: number };

const valid: Expectation = { kind: 'valid' };
const invalid: Expectation = { kind: 'invalid' };
const status = (s: number): Expectation => ({ kind: 'status', status: s });

const CORPUS: Record<string, Expectation> = {
  wsinv: valid,
  intmeth: valid,
  esc01: valid,
  escnull: valid,
  esc02: valid,
  lwsdisp: valid,
  longreq: valid,
  dblreq: valid,
  semiuri: valid,
  transports: valid,
  mpart01: valid,
  unreason: valid,
  noreason: valid,
  bcast: valid,
  inv2543: valid,
  unksm2: valid,
  zeromf: valid,
  'ipv6-rfc5118': valid,
  badinv01: invalid,
  clerr: invalid,
  ncl: invalid,
  scalar02: invalid,
  scalarlg: invalid,
  quotbal: invalid,
  ltgtruri: invalid,
  lwsruri: invalid,
  lwsstart: invalid,
  trws: invalid,
  escruri: invalid,
  baddn: invalid,
  badaspec: invalid,
  mismatch01: invalid,
  mismatch02: invalid,
  bigcode: invalid,
  insuf: invalid,
  multi01: invalid,
  mcl01: invalid,
  'ipv6-bad-noBrackets': invalid,
  badvers: status(505),
  unkscm: status(416),
  novelsc: status(416),
  bext01: status(420),
  'zeromf-invite': status(483),
};

describe('RFC 4475 torture corpus', () => {
  it('has an expectation for every file', () => {
    const files = readdirSync(TORTURE_DIR).filter((f) => f.endsWith('.sip')).map((f) => f.slice(0, -4)).sort();
    expect(files).toEqual(Object.keys(CORPUS).sort());
  });

  it.each(Object.entries(CORPUS))('%s', (name, expectation) => {
    const data = loadTorture(name);
    if (expectation.kind === 'invalid') {
      expect(() => parseMessage(data)).toThrow(SipParseError);
      return;
    }
    const msg = parseMessage(data);
    if (expectation.kind === 'valid') {
      msg.vias();
      for (const h of ['from', 'to']) parseNameAddr(msg.headers.get(h) ?? '');
      const out = serializeMessage(msg);
      expect(out.toString('latin1')).toBe(data.subarray(0, out.length).toString('latin1'));
      if (msg.kind === 'request') expect(checkRequest(msg)).toBeUndefined();
      return;
    }
    if (msg.kind !== 'request') throw new Error('status expectations are for requests');
    const refusal = checkRequest(msg);
    const hops = nextMaxForwards(msg);
    expect(refusal?.status ?? (typeof hops === 'number' ? undefined : hops.status)).toBe(expectation.status);
  });
});
