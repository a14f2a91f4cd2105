import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SipParseError } from '../../src/errors';
import { isToken, unfold } from '../../src/sip/grammar';
import { canonicalName, Headers } from '../../src/sip/headers';
import { parseMessage } from '../../src/sip/parser';

/**
 * The parser's one-pass header splitter and its cached header views (STYLE.md 9): the splitter must
 * cut fields exactly as the plain line-by-line reading below does, and a cached view must never
 * outlive the header text it came from.
 */

/** The straightforward reading: split into lines, group continuation lines, slice each field. */
function referenceSplit(data: Buffer): { startLine: string; fields: { name: string; value: string; raw: string }[]; bodyStart: number } {
  const text = data.toString('latin1');
  let offset = 0;
  while (text[offset] === '\r' || text[offset] === '\n') offset++;
  const rest = text.slice(offset);
  const crlf = rest.indexOf('\r\n\r\n');
  const lf = rest.indexOf('\n\n');
  let end: number;
  let bodyStart: number;
  if (crlf >= 0 && (lf < 0 || crlf + 2 <= lf)) [end, bodyStart] = [crlf, crlf + 4];
  else if (lf >= 0) [end, bodyStart] = [lf, lf + 2];
  else throw new SipParseError('no empty line after the headers');
  const head = rest.slice(0, end);
  const lines = head.split(/\r?\n/);
  const starts: number[] = [];
  let pos = 0;
  for (const line of lines) {
    starts.push(pos);
    pos += line.length;
    if (head[pos] === '\r') pos++;
    if (head[pos] === '\n') pos++;
  }
  const groups: { first: number; last: number }[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith(' ') || line.startsWith('\t')) {
      const prev = groups[groups.length - 1];
      if (!prev) throw new SipParseError('continuation line before the first header');
      prev.last = i;
    } else groups.push({ first: i, last: i });
  }
  const fields = groups.map((g) => {
    const raw = head.slice(starts[g.first], starts[g.last]! + lines[g.last]!.length);
    const colon = raw.indexOf(':');
    if (colon < 0) throw new SipParseError(`header line without colon: "${lines[g.first]}"`);
    const name = raw.slice(0, colon).replace(/[ \t]+$/, '');
    if (!isToken(name)) throw new SipParseError(`invalid header name "${name}"`);
    return { name, value: unfold(raw.slice(colon + 1)).trim(), raw };
  });
  return { startLine: lines[0]!, fields, bodyStart: offset + bodyStart };
}

const eol = fc.constantFrom('\r\n', '\n', '\r\n', '\r\n');
const valueChar = fc.constantFrom(...'ab ;,=<>"\t:@\r'.split(''));
const headerLine = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom('X-A', 'x-b', 'Subject', 's', 'Bad Name', '', 'constructor'), fc.constantFrom(':', ' :', '\t:', ''), fc.string({ unit: valueChar, maxLength: 12 })).map(([n, c, v]) => `${n}${c}${v}`) },
  { weight: 2, arbitrary: fc.string({ unit: valueChar, maxLength: 8 }).map((v) => ` ${v}`) },
  { weight: 1, arbitrary: fc.constant('') },
);
const message = fc.record({
  lead: fc.constantFrom('', '\r\n', '\n\r\n'),
  extra: fc.array(fc.tuple(headerLine, eol), { maxLength: 6 }),
  mandatoryEol: eol,
  end: fc.constantFrom('\r\n\r\n', '\n\n', '\r\n\n', '\n\r\n'),
  body: fc.string({ unit: fc.constantFrom('v', '=', '0', '\r', '\n'), maxLength: 20 }),
}).map(({ lead, extra, mandatoryEol, end, body }) => {
  const mandatory = ['OPTIONS sip:a@b.example SIP/2.0', 'Via: SIP/2.0/UDP h.example;branch=z9hG4bKx', 'From: <sip:a@b.example>;tag=1', 'To: <sip:c@d.example>', 'Call-ID: abc', 'CSeq: 1 OPTIONS'];
  const head = mandatory.join(mandatoryEol) + extra.map(([l, e]) => `${e}${l}`).join('');
  return Buffer.from(`${lead}${head}${end}${body}`, 'latin1');
});

describe('parser hot path', () => {
  it('splits header fields exactly as a line-by-line reading does', () => {
    fc.assert(fc.property(message, (data) => {
      let expected: ReturnType<typeof referenceSplit> | undefined;
      let expectedError = '';
      try {
        expected = referenceSplit(data);
      } catch (err) {
        expectedError = (err as Error).message;
      }
      let parsed;
      try {
        parsed = parseMessage(data);
      } catch (err) {
        expect(err).toBeInstanceOf(SipParseError);
        if (!expected) {
          expect((err as Error).message).toBe(expectedError);
          return;
        }
        // The fields were split; the message failed later: the partial shows the same fields.
        expect((err as SipParseError).partial?.headers).toEqual(expected.fields.map(({ name, value }) => ({ name, value })));
        expect((err as SipParseError).partial?.startLine).toBe(expected.startLine);
        return;
      }
      expect(expected).toBeDefined();
      expect(parsed.headers.fields.map(({ name, value, raw }) => ({ name, value, raw }))).toEqual(expected!.fields);
      expect(parsed.body.equals(data.subarray(expected!.bodyStart))).toBe(true);
    }), { numRuns: 3000 });
  });

  it('rejects malformed input without capturing a stack trace, and leaves other errors theirs', () => {
    let caught: unknown;
    try {
      parseMessage(Buffer.from('INVITE sip:a@b SIP/2.0\r\nVia SIP/2.0/UDP x\r\n\r\n'));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SipParseError);
    expect((caught as Error).stack ?? '').not.toMatch(/\n\s+at /);
    expect(new Error('x').stack).toMatch(/\n\s+at /);
  });

  it('gives prototype property names no special meaning', () => {
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) expect(canonicalName(name)).toBe(name.toLowerCase());
    const h = new Headers([{ name: 'Constructor', value: 'x' }]);
    expect(h.get('constructor')).toBe('x');
    expect(h.get('to')).toBeUndefined();
  });

  it('keeps canonical names across many distinct spellings without changing answers', () => {
    for (let i = 0; i < 2000; i++) expect(canonicalName(`X-Junk-${i}`)).toBe(`x-junk-${i}`);
    expect(canonicalName('V')).toBe('via');
    expect(canonicalName('Call-ID')).toBe('call-id');
  });

  it('re-reads a cached header view once its text changes', () => {
    const msg = parseMessage(Buffer.from('INVITE sip:a@b.example SIP/2.0\r\nVia: SIP/2.0/UDP h1.example;branch=z9hG4bK1\r\nFrom: <sip:a@b.example>;tag=1\r\nTo: <sip:c@d.example>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n\r\n'));
    expect(msg.topVia().host).toBe('h1.example');
    expect(msg.topVia()).toBe(msg.topVia());
    msg.headers.prepend('Via', 'SIP/2.0/UDP h2.example;branch=z9hG4bK2');
    expect(msg.topVia().host).toBe('h2.example');
    msg.headers.removeFirstValue('via');
    expect(msg.topVia().host).toBe('h1.example');
    msg.headers.set('From', '<sip:z@y.example>;tag=9');
    expect(msg.from().uri).toMatchObject({ user: 'z', host: 'y.example' });
    msg.headers.set('To', '<sip:c@d.example>;tag=5');
    expect(msg.to().params).toEqual([{ name: 'tag', value: '5' }]);
    msg.headers.set('CSeq', '2 INVITE');
    expect(msg.cseq().seq).toBe(2);
    msg.headers.remove('from');
    expect(() => msg.from()).toThrow(/missing from header/);
  });
});
