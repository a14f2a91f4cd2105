/**
 * certificate.html: the document a vendor hands to a customer. It must make sense without the
 * repository: what was certified (and how to check it is the same configuration: the profile's hash),
 * by which suite, the verdict per requirement with the reason in plain words, and every evidence file
 * one click away. Self-contained (inline CSS, no script) and every link relative, so the folder can be
 * zipped, moved or served as a CI artifact.
 */
import type { Certificate, RequirementEntry, ScenarioEntry } from './certificate';
import type { EvidenceLink } from './evidence-files';
import { esc, href } from './html';
import { ROBUSTNESS_DEFECTS, type RobustnessSection } from './robustness';
import type { Verdict } from './verdicts';

const VERDICT_WORDS: Record<Verdict, string> = { pass: 'pass', fail: 'fail', incomplete: 'incomplete' };
const OUTCOME_CLASS: Record<ScenarioEntry['outcome'], Verdict> = { passed: 'pass', failed: 'fail', incomplete: 'incomplete' };

const badge = (v: Verdict, text: string = VERDICT_WORDS[v]): string => `<span class="badge ${v}">${esc(text)}</span>`;

function links(evidence: EvidenceLink[]): string {
  if (!evidence.length) return '<span class="muted">no evidence files</span>';
  return evidence.map((e) => `<a href="${esc(href(e.href))}">${esc(e.label)}</a>`).join(' · ');
}

function scenario(s: ScenarioEntry): string {
  const reason = s.reason ? `<div class="reason">${esc(s.reason)}</div>` : '';
  const details = s.details ? `<details><summary>technical details (stack trace)</summary><pre>${esc(s.details)}</pre></details>` : '';
  const took = s.durationMs !== undefined ? ` <span class="muted">${(s.durationMs / 1000).toFixed(1)} s</span>` : '';
  return `<li>${badge(OUTCOME_CLASS[s.outcome], s.outcome)} <strong>${esc(s.name)}</strong> <span class="muted">${esc(s.location)}</span>${took}${reason}${details}<div class="evidence">evidence: ${links(s.evidence)}</div></li>`;
}

function requirement(r: RequirementEntry): string {
  const beyond = r.beyond.length
    ? `<h4>Beyond the requirement</h4><p class="muted">These checks ask more than the requirement text; their outcome is shown for information and does not change the verdict above.</p><ul class="scenarios">${r.beyond.map(scenario).join('\n')}</ul>`
    : '';
  return `<section class="req" id="${esc(r.id)}"><h3>${esc(r.id)} ${badge(r.verdict)} ${esc(r.title)}</h3>
<p>${esc(r.reason)}</p>
<ul class="scenarios">${r.scenarios.map(scenario).join('\n')}</ul>
${beyond}</section>`;
}

function robustness(r: RobustnessSection | undefined): string {
  if (!r) return '';
  const source = `<p class="muted">From <a href="${esc(href(r.file))}">${esc(r.file)}</a>.</p>`;
  if ('error' in r) return `<section id="robustness"><h2>Robustness ${badge('incomplete', 'unreadable')}</h2><p>${esc(r.error)}</p>${source}</section>`;
  const s = r.summary;
  const answers = (by: Record<string, number>): string => Object.entries(by).map(([k, n]) => `${esc(k)}: ${n}`).join(', ') || '–';
  const defects = ROBUSTNESS_DEFECTS.map(([k, words]) => `<tr><td>${esc(words)}</td><td class="${(s[k] as number) > 0 ? 'bad' : ''}">${s[k] as number}</td></tr>`).join('');
  const groups = Object.entries(s.byGroup).map(([g, v]) => `<tr><td>${esc(g)}</td><td>${v.cases}</td><td>${answers(v.byAnswer)}</td></tr>`).join('');
  const failures = s.failures.length
    ? `<h4>Failures</h4><ul>${s.failures.map((f) => `<li><strong>${esc(String(f.case))}</strong>: ${esc(f.why)}</li>`).join('')}</ul>`
    : '';
  return `<section id="robustness"><h2>Robustness ${badge(r.verdict)}</h2>
<p>${s.cases} malformed or hostile messages (seed ${esc(String(s.seed))}, corpus version ${esc(String(s.version))}); answers: ${answers(s.byAnswer)}.</p>
<table><tr><th>defect</th><th>count</th></tr>${defects}<tr><td>cases that failed a check</td><td class="${s.failures.length ? 'bad' : ''}">${s.failures.length}</td></tr></table>
<h4>By group</h4><table><tr><th>group</th><th>cases</th><th>answers</th></tr>${groups}</table>
${failures}${source}</section>`;
}

function facts(c: Certificate): string {
  const rows: [string, string][] = [
    ['System under test', `${esc(c.sut.name)}${c.sut.version ? ` <span class="muted">version/build</span> ${esc(c.sut.version)}` : ' <span class="muted">(the profile states no version)</span>'}`],
    ...(c.sut.reported ? [['Reported by the SBC', `<code>${esc(c.sut.reported)}</code> <span class="muted">(first such header it sent in the run)</span>`] as [string, string]] : []),
    ['SUT profile', `${esc(c.sut.profile.file)} <span class="muted">sha256</span> <code>${esc(c.sut.profile.sha256)}</code>`],
    ['Test suite', `${esc(c.suite.name)} ${esc(c.suite.version)}, commit <code>${esc(c.suite.commit)}</code>${c.suite.modified ? ' <strong>with local changes</strong>' : ''}`],
    ['Machine', `${esc(c.machine.hostname)}: ${esc(c.machine.os)} ${esc(c.machine.arch)}, ${c.machine.cpus} CPUs, Node ${esc(c.machine.node)}`],
    ['Topology', esc(c.topology.provider)],
    ['Date', esc(c.run.generatedAt)],
    ['Run', esc(c.run.id)],
    ['Tag filter', c.run.tagFilter ? `<code>${esc(c.run.tagFilter)}</code>` : 'none (every scenario selected)'],
    ['Complete run', c.run.complete ? 'yes' : '<strong>no</strong>'],
    ['Scenarios', `${c.run.scenarios.total} in the features: ${c.run.scenarios.passed} passed, ${c.run.scenarios.failed} failed, ${c.run.scenarios.incomplete} gave no answer`],
  ];
  return `<table class="facts">${rows.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join('')}</table>`;
}

export function renderCertificateHtml(c: Certificate): string {
  const overall: Verdict = c.summary.fail ? 'fail' : c.summary.incomplete || !c.run.complete ? 'incomplete' : 'pass';
  const overview = c.requirements
    .map((r) => `<tr><td><a href="#${esc(r.id)}">${esc(r.id)}</a></td><td>${esc(r.title)}</td><td>${badge(r.verdict)}</td><td>${esc(r.reason)}</td></tr>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SBC certificate: ${esc(c.sut.name)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:72em;padding:0 1em;color:#24292f;line-height:1.4}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #d0d7de;padding:4px 8px;vertical-align:top;text-align:left}
.facts th{background:#f6f8fa;white-space:nowrap}.summary{font-size:1.15em;padding:.8em 1em;border-radius:6px;border:1px solid}
.summary.pass{background:#dafbe1;border-color:#1a7f37}.summary.fail{background:#ffebe9;border-color:#cf222e}.summary.incomplete{background:#fff8c5;border-color:#d4a72c}
.badge{display:inline-block;padding:0 .5em;border-radius:1em;font-size:.85em;font-weight:bold;color:#fff}
.badge.pass{background:#1a7f37}.badge.fail{background:#cf222e}.badge.incomplete{background:#9a6700}
.muted{color:#57606a;font-size:.9em}.reason{margin:.2em 0 .2em 1em}.evidence{margin-left:1em;font-size:.9em}
ul.scenarios{list-style:none;padding-left:0}ul.scenarios li{margin:.6em 0;padding:.4em;border-left:3px solid #d0d7de}
pre{white-space:pre-wrap;font-size:12px;background:#f6f8fa;padding:.6em}.bad{color:#cf222e;font-weight:bold}code{font-size:.9em;word-break:break-all}
section.req{border-top:1px solid #d0d7de;margin-top:1em}.overview td:first-child{white-space:nowrap}
</style></head>
<body>
<h1>SBC conformance certificate: ${esc(c.sut.name)}${c.sut.version ? ` ${esc(c.sut.version)}` : ''}</h1>
<p class="summary ${overall}" id="summary">${esc(c.summary.text)}</p>
${facts(c)}
<h2>Requirements</h2>
<p class="muted">${c.summary.pass} pass, ${c.summary.fail} fail, ${c.summary.incomplete} incomplete. A requirement passes only when every one of its scenarios ran and passed; it fails when one of them failed; otherwise it is incomplete, with the reason.</p>
<table class="overview"><tr><th>ID</th><th>Requirement</th><th>Verdict</th><th>Why</th></tr>
${overview}
</table>
<h2>Scenarios and evidence per requirement</h2>
${c.requirements.map(requirement).join('\n')}
${robustness(c.robustness)}
<h2>Evidence of the whole run</h2>
<p>${links(c.runEvidence)}</p>
<p class="muted">Each scenario's ladder.html is drawn from the packet captures; scenario.pcap holds the same time window of both zones and opens in Wireshark (tls-keys.log beside it decrypts the TLS legs). certificate.json holds this certificate as data (schema version ${c.version}).</p>
</body></html>
`;
}
