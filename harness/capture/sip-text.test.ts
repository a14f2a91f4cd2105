import { describe, expect, it } from 'vitest';
import { describeSip, frameSipStream, isSipStart, splitSip } from './sip-text';

describe('isSipStart', () => {
  it.each([
    ['INVITE sip:+31@203.0.113.10 SIP/2.0\r\nVia: x\r\n\r\n', true],
    ['SIP/2.0 486 Busy Here\r\n', true],
    ['SIP/2.0 200\n', true],
    ['\r\n\r\n', false],
    ['GET / HTTP/1.1\r\n', false],
    ['\x80\x00\x00\x01', false],
  ])('%j -> %s', (text, expected) => {
    expect(isSipStart(text)).toBe(expected);
  });
});

describe('splitSip', () => {
  it('unfolds continuation lines, keeps compact names as written and maps them', () => {
    const m = splitSip('BYE sip:a SIP/2.0\r\nv: SIP/2.0/UDP 1.2.3.4\r\nSubject: one\r\n  two\r\n\tthree\r\nnonsense\r\n\r\nbody\r\n');
    expect(m.startLine).toBe('BYE sip:a SIP/2.0');
    expect(m.headers).toEqual([
      { name: 'v', canonical: 'via', value: 'SIP/2.0/UDP 1.2.3.4' },
      { name: 'Subject', canonical: 'subject', value: 'one two three' },
    ]);
    expect(m.junk).toEqual(['nonsense']);
    expect(m.body).toBe('body\r\n');
  });

  it('reads a head without a blank line as all head', () => {
    expect(splitSip('SIP/2.0 200 OK\nCSeq: 1 BYE').body).toBe('');
  });
});

describe('describeSip', () => {
  it('names requests by method and URI, responses by status and CSeq', () => {
    expect(describeSip('INVITE sip:1@h SIP/2.0\r\n\r\n')).toBe('INVITE sip:1@h');
    expect(describeSip('SIP/2.0 180 Ringing\r\nCSeq: 1 INVITE\r\n\r\n')).toBe('180 Ringing (1 INVITE)');
  });
});

describe('frameSipStream', () => {
  const a = 'OPTIONS sip:x SIP/2.0\r\nl: 3\r\n\r\nabc';
  const b = 'SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n';

  it('cuts back-to-back messages by Content-Length and skips keep-alives', () => {
    expect(frameSipStream(`\r\n\r\n${a}\r\n${b}`)).toEqual([
      { offset: 4, text: a, truncated: false },
      { offset: 4 + a.length + 2, text: b, truncated: false },
    ]);
  });

  it('marks a message whose body or head the stream does not finish', () => {
    expect(frameSipStream(a.slice(0, -1))[0]!.truncated).toBe(true);
    expect(frameSipStream('SIP/2.0 200 OK\r\nCSeq: 1')[0]!.truncated).toBe(true);
  });

  it('stops at bytes that are not SIP', () => {
    expect(frameSipStream(`${b}\x16\x03\x01garbage`).map((m) => m.text)).toEqual([b]);
  });
});
