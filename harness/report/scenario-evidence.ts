/**
 * Per-scenario evidence built after the run from the whole-run captures: the SIP ladder picture
 * (ladder.html) of what the public and core captures saw during the scenario's time window, and the
 * scenario's own pcap with the TLS key log beside it. Done once the captures are closed, so every
 * packet the kernel delivered is in them; scenarios run one after another, so a scenario's window
 * holds its own traffic (plus the SBC's background, such as health-check OPTIONS, which is real).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCapture, type CapturedSip } from '../capture/pcap-read';
import type { ScenarioResult } from './cucumber-results';
import { cutScenarioPcap } from './pcap-cut';
import { renderLadderHtml, type LadderHost, type LadderMessage } from './sip-ladder';

export interface CaptureSource {
  /** "public", "core". */
  name: string;
  file: string;
}

export interface ScenarioEvidenceOptions {
  reportDir: string;
  scenarios: ScenarioResult[];
  captures: CaptureSource[];
  tlsKeylog?: string;
  hosts?: LadderHost[];
  /** Slack after the scenario's end for the last retransmissions and BYE answers (default 300 ms; see scenarioWindows). */
  tailMs?: number;
}

/** Capture messages sorted by time, with the capture that saw them. */
async function readAll(captures: CaptureSource[], tlsKeylog: string | undefined, problems: string[]): Promise<LadderMessage[]> {
  const all: LadderMessage[] = [];
  for (const c of captures) {
    if (!existsSync(c.file)) continue;
    try {
      const contents = await readCapture(c.file, { tlsKeylog: tlsKeylog && existsSync(tlsKeylog) ? tlsKeylog : undefined });
      all.push(...contents.sip.map((m: CapturedSip) => ({ ...m, capture: c.name })));
    } catch (err) {
      problems.push(`${c.name} capture unreadable: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  return all.sort((a, b) => a.time - b.time);
}

/** Messages with time in [fromMs, toMs] (epoch milliseconds), by binary search over the sorted list. */
export function inWindow(sorted: LadderMessage[], fromMs: number, toMs: number): LadderMessage[] {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]!.time * 1000 < fromMs) lo = mid + 1;
    else hi = mid;
  }
  const out: LadderMessage[] = [];
  for (let i = lo; i < sorted.length && sorted[i]!.time * 1000 <= toMs; i++) out.push(sorted[i]!);
  return out;
}

/**
 * What the SBC says of itself: the first Server (responses) or User-Agent (requests) header in a message
 * one of its addresses sent. Shown beside the profile's version: the build that really answered.
 */
export function softwareBanner(messages: LadderMessage[], sbcAddresses: string[]): string | undefined {
  for (const m of messages) {
    if (!sbcAddresses.includes(m.src)) continue;
    const head = m.text.split(/\r?\n\r?\n/)[0] ?? '';
    const h = /^(Server|User-Agent)[ \t]*:[ \t]*(.+?)[ \t]*$/im.exec(head);
    if (h) return `${h[1]}: ${h[2]}`;
  }
  return undefined;
}

/**
 * Each started scenario's capture window (epoch ms): from its start to its end plus a tail for the last
 * retransmissions, never into the next scenario (its packets are its own). A scenario the run never
 * finished (a crash, an interrupt) reaches to the next one's start, or an hour when it was the last.
 */
export function scenarioWindows(scenarios: ScenarioResult[], tailMs = 300): Map<string, { fromMs: number; toMs: number }> {
  const started = scenarios.filter((s) => s.startedAt !== undefined).sort((a, b) => a.startedAt! - b.startedAt!);
  const out = new Map<string, { fromMs: number; toMs: number }>();
  started.forEach((s, i) => {
    const fromMs = s.startedAt!;
    const next = started[i + 1]?.startedAt;
    const limit = next === undefined ? Infinity : next - 0.001;
    const end = s.finishedAt === undefined ? (next === undefined ? fromMs + 3_600_000 : limit) : s.finishedAt + tailMs;
    out.set(s.pickleId, { fromMs, toMs: Math.min(end, limit) });
  });
  return out;
}

/**
 * Writes ladder.html, scenario.pcap and tls-keys.log into each finished scenario's evidence folder.
 * Returns problems worth a line in the run's output (the certificate is written regardless) and the
 * captured SIP messages.
 */
export async function writeScenarioEvidence(o: ScenarioEvidenceOptions): Promise<{ problems: string[]; messages: LadderMessage[] }> {
  const problems: string[] = [];
  const targets = o.scenarios.filter((s) => s.evidenceDir && s.startedAt !== undefined && existsSync(join(o.reportDir, s.evidenceDir)));
  if (!targets.length) return { problems, messages: [] };
  const messages = await readAll(o.captures, o.tlsKeylog, problems);
  const sources = o.captures.filter((c) => existsSync(c.file)).map((c) => `capture/${c.file.split('/').pop()}`);
  const windows = scenarioWindows(o.scenarios, o.tailMs);
  for (const s of targets) {
    const dir = join(o.reportDir, s.evidenceDir!);
    const { fromMs, toMs } = windows.get(s.pickleId)!;
    const cut = await cutScenarioPcap({ inputs: o.captures.map((c) => c.file), fromMs, toMs, out: join(dir, 'scenario.pcap'), tlsKeylog: o.tlsKeylog });
    const note = [
      `Built from ${sources.join(' and ') || 'no capture'} between ${new Date(fromMs).toISOString()} and ${new Date(toMs).toISOString()}`,
      cut.pcap ? 'the same window is in scenario.pcap beside this file' : cut.note,
    ].filter(Boolean).join('; ');
    writeFileSync(join(dir, 'ladder.html'), renderLadderHtml({ title: s.name, messages: inWindow(messages, fromMs, toMs), hosts: o.hosts, source: note }));
  }
  return { problems, messages };
}
