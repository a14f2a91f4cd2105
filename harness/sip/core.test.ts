import { describe, expect, it } from 'vitest';
import { mergeHeaders } from './core';

describe('mergeHeaders', () => {
  const base: Array<[string, string]> = [['Via', 'v1'], ['Max-Forwards', '70'], ['From', 'f'], ['Contact', 'c'], ['User-Agent', 'ua']];

  it('replaces a header where it stood, drops null ones and appends new ones', () => {
    expect(mergeHeaders(base, { 'max-forwards': '0', 'User-Agent': null, 'X-Test': '1' })).toEqual([
      ['Via', 'v1'], ['max-forwards', '0'], ['From', 'f'], ['Contact', 'c'], ['X-Test', '1'],
    ]);
  });

  it('understands compact forms and keeps every line given for a name', () => {
    expect(mergeHeaders(base, [['m', 'c1'], ['Contact', 'c2'], ['v', 'v0']])).toEqual([
      ['v', 'v0'], ['Max-Forwards', '70'], ['From', 'f'], ['m', 'c1'], ['Contact', 'c2'], ['User-Agent', 'ua'],
    ]);
  });
});
