import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evidenceLinks, relativizeReportFiles } from './evidence-files';

const report = mkdtempSync(join(tmpdir(), 'evidence-'));
afterAll(() => rmSync(report, { recursive: true, force: true }));

describe('evidence files', () => {
  const dir = join(report, 'scenarios', '007-a call');
  mkdirSync(join(dir, 'sipp'), { recursive: true });
  for (const f of ['evidence.json', 'ladder.txt', 'zz.log', 'ladder.html', 'scenario.pcap', 'sipp/uac_messages.log']) writeFileSync(join(dir, f), 'x');

  it('lists every file (not the folder), the picture and the capture first, hrefs relative to the report', () => {
    expect(evidenceLinks(report, 'scenarios/007-a call').map((l) => `${l.label}=${l.href}`)).toEqual([
      'ladder.html=scenarios/007-a call/ladder.html',
      'ladder.txt=scenarios/007-a call/ladder.txt',
      'scenario.pcap=scenarios/007-a call/scenario.pcap',
      'evidence.json=scenarios/007-a call/evidence.json',
      'sipp/uac_messages.log=scenarios/007-a call/sipp/uac_messages.log',
      'zz.log=scenarios/007-a call/zz.log',
    ]);
  });

  it('no evidence folder, or one that is gone: no links', () => {
    expect(evidenceLinks(report, undefined)).toEqual([]);
    expect(evidenceLinks(report, 'scenarios/404-none')).toEqual([]);
  });

  it('rewrites absolute paths into the report as paths relative to the file naming them', () => {
    writeFileSync(join(dir, 'evidence.json'), JSON.stringify({ files: [join(dir, 'sipp', 'uac_messages.log'), join(report, 'core', 'trace.log')], dir: report }));
    writeFileSync(join(dir, 'scenario.pcap'), `binary ${report}`);
    const changed = relativizeReportFiles(report);
    expect(changed).toEqual([join(dir, 'evidence.json')]);
    expect(JSON.parse(readFileSync(join(dir, 'evidence.json'), 'utf8'))).toEqual({ files: ['sipp/uac_messages.log', '../../core/trace.log'], dir: '../..' });
    expect(readFileSync(join(dir, 'scenario.pcap'), 'utf8')).toContain(report);
  });
});
