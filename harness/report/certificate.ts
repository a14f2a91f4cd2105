import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REQUIREMENTS } from './requirements';
import type { ScenarioResult } from './cucumber-results';

export type Verdict = 'pass' | 'fail' | 'not run';

export interface CertificateEntry {
  id: string;
  title: string;
  verdict: Verdict;
  scenarios: { name: string; status: string; message?: string; evidence?: string }[];
}

export interface Certificate {
  sut: string;
  runId: string;
  generatedAt: string;
  summary: Record<Verdict, number>;
  requirements: CertificateEntry[];
}

/** A requirement passes when at least one of its scenarios ran and none failed; with none run it is "not run". */
export function buildCertificate(o: { sut: string; runId: string; scenarios: ScenarioResult[]; evidence?: (s: ScenarioResult) => string | undefined }): Certificate {
  const requirements = Object.entries(REQUIREMENTS).map(([id, title]): CertificateEntry => {
    const mine = o.scenarios.filter((s) => s.tags.includes(id));
    const ran = mine.filter((s) => s.status !== 'skipped');
    const verdict: Verdict = ran.length === 0 ? 'not run' : ran.every((s) => s.status === 'passed') ? 'pass' : 'fail';
    return {
      id,
      title,
      verdict,
      scenarios: mine.map((s) => ({ name: s.name, status: s.status, message: s.message, evidence: o.evidence?.(s) })),
    };
  });
  const summary: Record<Verdict, number> = { pass: 0, fail: 0, 'not run': 0 };
  for (const r of requirements) summary[r.verdict]++;
  return { sut: o.sut, runId: o.runId, generatedAt: new Date().toISOString(), summary, requirements };
}

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export function writeCertificate(dir: string, cert: Certificate): { json: string; html: string } {
  const json = join(dir, 'certificate.json');
  const html = join(dir, 'certificate.html');
  writeFileSync(json, JSON.stringify(cert, null, 2));
  const colour: Record<Verdict, string> = { pass: '#1a7f37', fail: '#cf222e', 'not run': '#6e7781' };
  const rows = cert.requirements
    .map(
      (r) => `<tr><td>${r.id}</td><td>${esc(r.title)}</td><td style="color:${colour[r.verdict]};font-weight:bold">${r.verdict}</td><td>${r.scenarios
        .map((s) => `<div>${esc(s.status)}: ${esc(s.name)}${s.evidence ? ` (<a href="${esc(s.evidence)}">evidence</a>)` : ''}${s.message ? `<pre>${esc(s.message.slice(0, 2000))}</pre>` : ''}</div>`)
        .join('')}</td></tr>`,
    )
    .join('\n');
  writeFileSync(
    html,
    `<!doctype html><html><head><meta charset="utf-8"><title>SBC certificate: ${esc(cert.sut)}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top}pre{white-space:pre-wrap;font-size:12px;max-width:60em}</style></head>
<body><h1>SBC certificate: ${esc(cert.sut)}</h1><p>Run ${esc(cert.runId)}, ${esc(cert.generatedAt)}: ${cert.summary.pass} pass, ${cert.summary.fail} fail, ${cert.summary['not run']} not run.</p>
<table><tr><th>ID</th><th>Requirement</th><th>Verdict</th><th>Scenarios</th></tr>
${rows}
</table></body></html>\n`,
  );
  return { json, html };
}

/**
 * Maps scenario names to their evidence folders (`scenarios/NNN-name/`, relative to the report), read
 * from the `evidence.json` each scenario writes; the certificate links every scenario to its evidence.
 */
export function evidenceIndex(reportDir: string): (s: ScenarioResult) => string | undefined {
  const root = join(reportDir, 'scenarios');
  const byName = new Map<string, string[]>();
  if (existsSync(root)) {
    for (const dir of readdirSync(root).sort()) {
      const file = join(root, dir, 'evidence.json');
      if (!existsSync(file)) continue;
      try {
        const name = (JSON.parse(readFileSync(file, 'utf8')) as { scenario?: string }).scenario;
        if (name) byName.set(name, [...(byName.get(name) ?? []), `scenarios/${dir}/`]);
      } catch {
        // a scenario killed while writing its evidence has none to link
      }
    }
  }
  return (s) => byName.get(s.name)?.shift();
}
