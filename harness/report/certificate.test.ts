import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCertificate, type Certificate } from './certificate';
import { validateCertificate } from './certificate-schema';
import { parseCucumberMessages } from './cucumber-results';
import { renderCertificateHtml } from './certificate-html';
import { sha256File } from './run-facts';
import { writeRunReport, type RunReport } from './run-report';
import { topologyHosts } from './sip-ladder';
import { fakeRun, ndjson } from './test-messages';
import { FIXTURE_HOSTS, writeFixtureReport, type FixtureReport } from './test-report';

const hasTshark = ((): boolean => {
  try {
    execFileSync('tshark', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const root = mkdtempSync(join(tmpdir(), 'certificate-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let fx: FixtureReport;
let report: RunReport;
let cert: Certificate;
const req = (id: string) => cert.requirements.find((r) => r.id === id)!;

beforeAll(async () => {
  fx = writeFixtureReport(root);
  report = await writeRunReport({ reportDir: fx.reportDir, repoRoot: root, runId: 'run-1', profileFile: fx.profileFile, provider: 'netns', hosts: topologyHosts(FIXTURE_HOSTS) });
  cert = report.certificate;
}, 60_000);

describe('the certificate of a run', () => {
  it('matches its JSON Schema, carries a version and is written as certificate.json', () => {
    expect(report.schemaErrors).toEqual([]);
    const onDisk = JSON.parse(readFileSync(report.files.json, 'utf8')) as Certificate;
    expect(onDisk.version).toBe(1);
    expect(validateCertificate(onDisk)).toEqual([]);
  });

  it('names the SUT (version from the profile, profile hash), the suite, machine, topology, date, filter and completeness', () => {
    expect(cert.sut).toEqual({ name: 'acme-sbc', version: '5.2.1 build 77', profile: { file: 'acme-sbc.yaml', sha256: sha256File(fx.profileFile) }, ...(hasTshark ? { reported: 'Server: acme-sbc/5.2.1-77' } : {}) });
    expect(cert.suite.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(cert.suite.commit).toMatch(/^([0-9a-f]{40}|unknown)$/);
    expect(cert.machine.cpus).toBeGreaterThan(0);
    expect(cert.topology.provider).toBe('netns');
    expect(Date.parse(cert.run.generatedAt)).not.toBeNaN();
    expect(cert.run.tagFilter).toBeNull();
    expect(cert.run.complete).toBe(false);
    expect(cert.run.scenarios).toEqual({ total: 6, passed: 2, failed: 2, incomplete: 2 });
  });

  it('gives every requirement a verdict and a reason; a fail names the first assertion message in plain words', () => {
    expect(req('GEN-03').verdict).toBe('pass');
    expect(req('GEN-04').verdict).toBe('pass');
    expect(req('IN-01').verdict).toBe('fail');
    expect(req('IN-01').reason).toBe('1 of 2 scenarios failed; first: "A blocked address gets no answer, a call from another address is served": IN-01: 203.0.113.66 is blocked but its INVITE was answered 100 Trying (trace scenarios/003-blocked/uac_messages.log)');
    const failed = req('IN-01').scenarios[0]!;
    expect(failed.details).toContain('at World.<anonymous> (steps/blocking.steps.ts:88:11)');
    expect(req('IN-01').scenarios[1]!.reason).toBe('not run: not selected for this run');
    expect(req('GEN-05').verdict).toBe('incomplete');
    expect(req('GEN-05').reason).toBe('its scenario gave no answer: the SUT profile has no CDR query (cdr.query), so CDRs cannot be read');
    expect(req('OUT-01')).toMatchObject({ verdict: 'incomplete', reason: 'no scenario of the suite checks this requirement' });
  });

  it('shows "beyond the requirement" checks apart; their failure does not fail the ID', () => {
    expect(req('GEN-06').verdict).toBe('incomplete');
    expect(req('GEN-06').beyond).toHaveLength(1);
    expect(req('GEN-06').beyond[0]).toMatchObject({ outcome: 'failed', reason: 'final_status was "done", expected "answered"' });
    expect(req('GEN-06').scenarios.map((s) => s.name)).toEqual(['A rejected call gets a row with its final status']);
  });

  it('links every scenario to its evidence files under every ID it serves, each link a file inside the folder', () => {
    const shared = 'A blocked address gets no answer, a call from another address is served';
    for (const id of ['IN-01', 'GEN-01']) {
      const s = req(id).scenarios.find((x) => x.name === shared)!;
      expect(s.evidence.map((e) => e.href)).toContain('scenarios/003-blocked/ladder.txt');
    }
    const hrefs = cert.requirements.flatMap((r) => [...r.scenarios, ...r.beyond]).flatMap((s) => s.evidence.map((e) => e.href));
    expect(hrefs.length).toBeGreaterThan(10);
    for (const h of [...hrefs, ...cert.runEvidence.map((e) => e.href)]) {
      const file = resolve(fx.reportDir, h);
      expect(file.startsWith(fx.reportDir + sep), h).toBe(true);
      expect(existsSync(file), h).toBe(true);
    }
  });

  it('shows no absolute path of the machine, in the JSON, the HTML and the evidence.json it links', () => {
    for (const file of [report.files.json, report.files.html, join(fx.reportDir, 'scenarios', '003-blocked', 'evidence.json')]) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toContain(root);
      expect(text, file).not.toMatch(/\/tmp\//);
    }
    const ev = JSON.parse(readFileSync(join(fx.reportDir, 'scenarios', '003-blocked', 'evidence.json'), 'utf8')) as { sipp: { files: { messages: string } }[] };
    expect(ev.sipp[0]!.files.messages).toBe('uac_messages.log');
  });

  it('says in one line what a customer needs: how many requirements are met, which failed, which could not be checked', () => {
    expect(cert.summary.text).toBe(
      'acme-sbc 5.2.1 build 77 meets 2 of 16 requirements; fails 2 (GEN-01, IN-01); 12 could not be fully checked (GEN-02, GEN-05, GEN-06, GEN-07, GEN-08, GEN-09, IN-02, IN-03, IN-04, OUT-01, OUT-02, OUT-03). Not every scenario gave an answer: this run does not certify the SBC as a whole.',
    );
    expect(cert.summary).toMatchObject({ pass: 2, fail: 2, incomplete: 12 });
  });

  it('renders the robustness summary as a section of its own', () => {
    expect(cert.robustness).toMatchObject({ file: 'robustness/summary.json', verdict: 'fail' });
    const html = readFileSync(report.files.html, 'utf8');
    expect(html).toContain('<section id="robustness">');
    expect(html).toContain('answered 500 to a request with a bad Content-Length');
  });

  it.skipIf(!hasTshark)('draws each scenario\'s ladder from the captures and cuts its pcap, with the TLS key log beside it', () => {
    const dir = join(fx.reportDir, 'scenarios', '001-answered-call');
    const ladder = readFileSync(join(dir, 'ladder.html'), 'utf8');
    expect((ladder.match(/<details id="msg-/g) ?? []).length).toBe(14);
    expect(ladder).toContain('203.0.113.20');
    expect(ladder).toContain('10.20.0.21');
    const count = execFileSync('tshark', ['-n', '-r', join(dir, 'scenario.pcap'), '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(count.trim().split('\n')).toHaveLength(14);
    expect(existsSync(join(dir, 'tls-keys.log'))).toBe(true);
    const other = readFileSync(join(fx.reportDir, 'scenarios', '002-options', 'ladder.html'), 'utf8');
    expect(other).toContain('The captures saw no SIP message');
  });
});

describe('certificate details', () => {
  const base = {
    sut: { name: '<sbc>', profile: { file: 'p.yaml', sha256: 'a'.repeat(64) } },
    suite: { name: 's', version: '1.0.0', commit: 'unknown', modified: false },
    machine: { hostname: 'h', os: 'Linux', arch: 'x64', cpus: 2, node: 'v20' },
    provider: 'netns',
    runId: 'r',
    paths: { reportDir: '/r', repoRoot: '/repo' },
  };

  it('a tag-filtered run says it is partial and names the filter', () => {
    const run = parseCucumberMessages(ndjson(fakeRun([{ name: 'o', tags: ['GEN-04'], status: 'passed' }, { name: 'b', tags: ['IN-01'] }])));
    const c = buildCertificate({ ...base, tagFilter: '@GEN-04', scenarios: run.scenarios, runFinished: true });
    expect(c.run).toMatchObject({ tagFilter: '@GEN-04', complete: false });
    expect(c.requirements.find((r) => r.id === 'IN-01')!.verdict).toBe('incomplete');
    expect(c.summary.text).toContain('This was a partial run, limited to the scenarios matching @GEN-04');
    expect(validateCertificate(c)).toEqual([]);
  });

  it('the schema refuses what a customer\'s tooling must not get: absolute links, a missing version, a fail without reason', () => {
    const c = buildCertificate({ ...base, scenarios: [], runFinished: true });
    expect(validateCertificate({ ...c, runEvidence: [{ label: 'x', href: '/tmp/x.pcap' }] })[0]).toMatch(/runEvidence\/0\/href/);
    expect(validateCertificate({ ...c, runEvidence: [{ label: 'x', href: '../other/x.pcap' }] })).not.toEqual([]);
    const { version: _v, ...noVersion } = c;
    expect(validateCertificate(noVersion).join()).toMatch(/version/);
    const bad = structuredClone(c);
    bad.requirements[0]!.scenarios.push({ name: 'x', location: 'f:1', outcome: 'failed', evidence: [] });
    expect(validateCertificate(bad).join()).toMatch(/reason/);
    expect(validateCertificate({ ...c, extra: 1 }).join()).toMatch(/extra/);
  });

  it('escapes everything it did not write itself in the HTML', () => {
    const run = parseCucumberMessages(ndjson(fakeRun([{ name: 'x & <y>', tags: ['GEN-01'], status: 'failed', message: 'Error: got <b>bold</b>' }])));
    const html = renderCertificateHtml(buildCertificate({ ...base, scenarios: run.scenarios, runFinished: true }));
    expect(html).toContain('&lt;sbc&gt;');
    expect(html).toContain('x &amp; &lt;y&gt;');
    expect(html).toContain('got &lt;b&gt;bold&lt;/b&gt;');
    expect(html).not.toContain('<b>bold');
  });

  it('a run that produced no results passes nothing', () => {
    const c = buildCertificate({ ...base, scenarios: [], runFinished: false });
    expect(c.summary.pass).toBe(0);
    expect(c.requirements.every((r) => r.verdict === 'incomplete')).toBe(true);
    expect(c.requirements[0]!.reason).toBe('not run: the acceptance run produced no results (no scenario was loaded)');
    expect(c.run.complete).toBe(false);
  });
});
