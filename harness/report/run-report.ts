/**
 * Everything the report folder gets after an acceptance run, in one call from the command line: the
 * per-scenario ladders and pcaps, the evidence made relative, certificate.json (checked against its
 * schema before it is written), certificate.html and the one junit.xml for CI.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildCertificate, type Certificate } from './certificate';
import { renderCertificateHtml } from './certificate-html';
import { validateCertificate } from './certificate-schema';
import { readCucumberMessages } from './cucumber-results';
import { evidenceLinks, relativizeReportFiles, type EvidenceLink } from './evidence-files';
import { renderJunit, scenarioSuite, vitestSuites } from './junit';
import { readRobustnessSection } from './robustness';
import { readRunChecks } from './run-checks';
import { machineFacts, suiteFacts, sutFacts } from './run-facts';
import { softwareBanner, writeScenarioEvidence } from './scenario-evidence';
import type { LadderHost } from './sip-ladder';

export interface RunReportOptions {
  reportDir: string;
  repoRoot: string;
  runId: string;
  profileFile: string;
  /** The tag expression the user asked for (without the suite's own "not @capacity"). */
  tagFilter?: string;
  provider: string;
  /** Hosts of the topology, in the ladder's column order. */
  hosts?: LadderHost[];
  log?: (line: string) => void;
}

export interface RunReport {
  certificate: Certificate;
  files: { json: string; html: string; junit: string };
  /** Where certificate.json departs from its schema (empty when it matches): a suite bug to report. */
  schemaErrors: string[];
}

// Run-wide files a reader may want, linked when the run produced them.
const RUN_FILES = [
  'cucumber.html', 'cucumber.ndjson', 'junit.xml', 'vitest.json', 'sbc.log',
  'capture/public.pcap', 'capture/core.pcap', 'capture/tls-keys.log',
  'capture/public-topology-audit.txt', 'capture/core-zone-audit.txt', 'capture/dumpcap.log',
];

export async function writeRunReport(o: RunReportOptions): Promise<RunReport> {
  const log = o.log ?? (() => undefined);
  const paths = { reportDir: o.reportDir, repoRoot: o.repoRoot };
  const run = readCucumberMessages(join(o.reportDir, 'cucumber.ndjson'));
  const { problems, messages } = await writeScenarioEvidence({
    reportDir: o.reportDir,
    scenarios: run.scenarios,
    captures: [
      { name: 'public', file: join(o.reportDir, 'capture', 'public.pcap') },
      { name: 'core', file: join(o.reportDir, 'capture', 'core.pcap') },
    ],
    tlsKeylog: join(o.reportDir, 'capture', 'tls-keys.log'),
    hosts: o.hosts,
  });
  for (const p of problems) log(`report: ${p}`);
  relativizeReportFiles(o.reportDir);
  // The run-wide checks (GEN-03's whole-run audit) are judged as scenarios of their requirement.
  const scenarios = [...run.scenarios, ...readRunChecks(o.reportDir)];

  const junit = join(o.reportDir, 'junit.xml');
  writeFileSync(junit, renderJunit([...vitestSuites(join(o.reportDir, 'vitest.json'), paths), scenarioSuite(scenarios, o.tagFilter, paths)]));

  const runEvidence: EvidenceLink[] = RUN_FILES.filter((f) => existsSync(join(o.reportDir, f))).map((f) => ({ label: f, href: f }));
  const certificate = buildCertificate({
    sut: sutFacts(o.profileFile, o.repoRoot, softwareBanner(messages, (o.hosts ?? []).filter((h) => h.label.startsWith('SBC')).map((h) => h.address))),
    suite: suiteFacts(o.repoRoot),
    machine: machineFacts(),
    provider: o.provider,
    runId: o.runId,
    tagFilter: o.tagFilter,
    scenarios,
    runFinished: run.runFinished,
    paths,
    evidence: (s) => evidenceLinks(o.reportDir, s.evidenceDir),
    runEvidence,
    robustness: readRobustnessSection(o.reportDir),
  });
  const schemaErrors = validateCertificate(certificate);
  for (const e of schemaErrors) log(`report: certificate.json does not match certificate.schema.json: ${e}`);
  return { certificate, files: { ...writeCertificateFiles(o.reportDir, certificate), junit }, schemaErrors };
}

/**
 * Writes certificate.json and certificate.html. Written even when the schema check failed: a suite
 * bug in the JSON must not cost the customer the verdicts (the run reports the mismatch).
 */
export function writeCertificateFiles(dir: string, certificate: Certificate): { json: string; html: string } {
  const json = join(dir, 'certificate.json');
  const html = join(dir, 'certificate.html');
  writeFileSync(json, `${JSON.stringify(certificate, null, 2)}\n`);
  writeFileSync(html, renderCertificateHtml(certificate));
  return { json, html };
}

/** The certificate of a report folder, as written. */
export function readCertificate(dir: string): Certificate {
  return JSON.parse(readFileSync(join(dir, 'certificate.json'), 'utf8')) as Certificate;
}
