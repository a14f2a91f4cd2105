/**
 * A SIP ladder as a picture, the way sngrep and Wireshark's flow graph draw one: a column per host with
 * its address, an arrow per message with its method or status, the time since the first message and
 * since the previous one, SDP marked (with its media line, so the codecs offered are visible). Built from
 * what the captures saw, not from what the endpoints logged. One self-contained HTML file (inline SVG,
 * inline CSS, no script): each arrow links to the full message text below the picture.
 */
import { canonicalName } from '../sip/headers';
import { esc } from './html';

export interface LadderMessage {
  /** Capture time, seconds since the epoch. */
  time: number;
  src: string;
  srcPort: number;
  dst: string;
  dstPort: number;
  transport: 'udp' | 'tcp' | 'tls';
  text: string;
  /** Which capture saw it ("public", "core"). */
  capture?: string;
}

export interface LadderHost {
  address: string;
  /** What the host is, e.g. "SBC public", "core server". */
  label: string;
}

export interface LadderInput {
  title: string;
  messages: LadderMessage[];
  /** Known hosts in the order their columns should appear; others follow in order of appearance. */
  hosts?: LadderHost[];
  /** Shown under the title: where the messages came from. */
  source?: string;
}

export interface LadderArrow {
  index: number;
  from: number;
  to: number;
  label: string;
  sdp?: string;
  time: number;
  deltaMs: number;
  sinceStartMs: number;
}

/** The topology's address plan (topology/addresses.ts, by shape: harness/ does not import topology/). */
export interface HostPlan {
  publicHosts: string[];
  attacker: string;
  sbcPublic: string;
  sbcCore: string;
  coreServers: string[];
  enumDns: string;
}

/** Columns left to right as the zones lie: public hosts, the SBC's two sides, the core. */
export function topologyHosts(a: HostPlan): LadderHost[] {
  return [
    ...a.publicHosts.map((address) => ({ address, label: 'public host' })),
    { address: a.attacker, label: 'attacker' },
    { address: a.sbcPublic, label: 'SBC public' },
    { address: a.sbcCore, label: 'SBC core' },
    ...a.coreServers.map((address) => ({ address, label: 'core server' })),
    { address: a.enumDns, label: 'ENUM DNS' },
  ];
}

const COL_W = 210;
const LEFT = 150;
const HEAD_H = 56;
const ROW_H = 38;

function header(text: string, name: string): string | undefined {
  const head = text.split(/\r?\n\r?\n/)[0] ?? '';
  for (const line of head.split(/\r?\n/).slice(1)) {
    const m = /^([^:\s]+)\s*:\s*(.*)$/.exec(line);
    if (!m) continue;
    if (canonicalName(m[1]!) === name) return m[2]!.trim();
  }
  return undefined;
}

/** "INVITE", "200 OK (INVITE)" and, with SDP, its first media line ("audio 30000 RTP/AVP 0 8"). */
export function describeMessage(text: string): { label: string; sdp?: string } {
  const start = (text.split(/\r?\n/, 1)[0] ?? '').trim();
  const cseq = header(text, 'cseq');
  const response = /^SIP\/2\.0\s+(\d{3})\s*(.*)$/i.exec(start);
  const label = response ? `${response[1]} ${response[2]}`.trim() + (cseq ? ` (${cseq.split(/\s+/).pop()})` : '') : (start.split(/\s+/)[0] ?? '?');
  const type = header(text, 'content-type') ?? '';
  const body = text.split(/\r?\n\r?\n/).slice(1).join('\n\n');
  if (!/application\/sdp/i.test(type) && !/^v=0/m.test(body)) return { label };
  const media = /^m=(.*)$/m.exec(body)?.[1]?.trim();
  return { label, sdp: media ?? 'SDP' };
}

/** Column order: the known hosts that took part, in the given order, then the others as they appear. */
export function ladderColumns(messages: LadderMessage[], hosts: LadderHost[] = []): LadderHost[] {
  const seen = new Set<string>();
  for (const m of messages) {
    seen.add(m.src);
    seen.add(m.dst);
  }
  const cols = hosts.filter((h) => seen.has(h.address));
  const known = new Set(cols.map((c) => c.address));
  for (const m of [...messages].sort((a, b) => a.time - b.time)) {
    for (const a of [m.src, m.dst]) {
      if (!known.has(a)) {
        known.add(a);
        cols.push({ address: a, label: '' });
      }
    }
  }
  return cols;
}

export function ladderArrows(messages: LadderMessage[], columns: LadderHost[]): LadderArrow[] {
  const sorted = [...messages].sort((a, b) => a.time - b.time);
  const col = new Map(columns.map((c, i) => [c.address, i]));
  const t0 = sorted[0]?.time ?? 0;
  return sorted.map((m, i) => {
    const d = describeMessage(m.text);
    return {
      index: i + 1,
      from: col.get(m.src) ?? 0,
      to: col.get(m.dst) ?? 0,
      label: d.label,
      sdp: d.sdp,
      time: m.time,
      deltaMs: i === 0 ? 0 : Math.round((m.time - sorted[i - 1]!.time) * 1000),
      sinceStartMs: Math.round((m.time - t0) * 1000),
    };
  });
}

const clock = (t: number): string => new Date(t * 1000).toISOString().slice(11, 23);

function svg(columns: LadderHost[], arrows: LadderArrow[], messages: LadderMessage[]): string {
  const width = LEFT + Math.max(1, columns.length) * COL_W;
  const height = HEAD_H + (arrows.length + 1) * ROW_H;
  const x = (i: number): number => LEFT + i * COL_W + COL_W / 2;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="SIP ladder">`,
    '<defs><marker id="head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#24292f"/></marker></defs>',
  ];
  columns.forEach((c, i) => {
    parts.push(
      `<g class="host"><rect x="${x(i) - 90}" y="6" width="180" height="40" rx="4" fill="#f6f8fa" stroke="#8c959f"/>`,
      `<text x="${x(i)}" y="22" text-anchor="middle" font-weight="bold">${esc(c.label || 'host')}</text>`,
      `<text x="${x(i)}" y="39" text-anchor="middle">${esc(c.address)}</text>`,
      `<line x1="${x(i)}" y1="46" x2="${x(i)}" y2="${height - 4}" stroke="#d0d7de" stroke-dasharray="4 3"/></g>`,
    );
  });
  arrows.forEach((a, i) => {
    const y = HEAD_H + (i + 1) * ROW_H;
    const m = messages[i]!;
    // Requests blue, provisional grey, success green, redirect/failure red (sngrep's colours, roughly).
    const colour = /^1\d\d/.test(a.label) ? '#57606a' : /^2\d\d/.test(a.label) ? '#1a7f37' : /^[3-6]\d\d/.test(a.label) ? '#cf222e' : '#0969da';
    const dash = m.transport === 'tls' ? ' stroke-dasharray="6 3"' : '';
    const tip = `${clock(a.time)} ${m.src}:${m.srcPort} → ${m.dst}:${m.dstPort} ${m.transport.toUpperCase()}${m.capture ? ` (${m.capture} capture)` : ''}`;
    parts.push(
      `<a href="#msg-${a.index}"><g class="msg"><title>${esc(tip)}</title>`,
      `<text x="8" y="${y - 4}" font-size="11" fill="#57606a">+${(a.sinceStartMs / 1000).toFixed(3)} s</text>`,
      `<text x="8" y="${y + 9}" font-size="10" fill="#8c959f">Δ ${a.deltaMs} ms</text>`,
    );
    if (a.from === a.to) {
      const x0 = x(a.from);
      parts.push(`<path d="M${x0},${y - 8} h40 v12 h-40" fill="none" stroke="${colour}" stroke-width="1.5" marker-end="url(#head)"${dash}/>`);
      parts.push(`<text x="${x0 + 46}" y="${y}" fill="${colour}">${esc(a.label)}</text>`);
    } else {
      const x1 = x(a.from);
      const x2 = x(a.to);
      const mid = (x1 + x2) / 2;
      parts.push(`<line x1="${x1}" y1="${y}" x2="${x2}" y2="${y}" stroke="${colour}" stroke-width="1.5" marker-end="url(#head)"${dash}/>`);
      parts.push(`<text x="${mid}" y="${y - 5}" text-anchor="middle" fill="${colour}">${a.index}. ${esc(a.label)}${m.transport === 'tls' ? ' [TLS]' : ''}</text>`);
      if (a.sdp) {
        parts.push(`<rect x="${mid - 92}" y="${y + 3}" width="184" height="14" rx="3" fill="#fff8c5" stroke="#d4a72c"/>`);
        parts.push(`<text x="${mid}" y="${y + 14}" text-anchor="middle" font-size="10">SDP ${esc(a.sdp.slice(0, 34))}</text>`);
      }
    }
    parts.push('</g></a>');
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** The ladder page: the picture, then every message as captured (its arrow links to it). */
/**
 * A flood scenario sends thousands of requests: past this many the page draws the first ones and says
 * how many more scenario.pcap holds, so the ladder stays a picture a browser opens at once.
 */
export const MAX_LADDER_MESSAGES = 600;

export function renderLadderHtml(input: LadderInput): string {
  const all = [...input.messages].sort((a, b) => a.time - b.time);
  const messages = all.slice(0, MAX_LADDER_MESSAGES);
  const cut = all.length > messages.length ? `<p class="note"><strong>The first ${messages.length} of ${all.length} SIP messages are drawn</strong>; the capture (scenario.pcap) holds them all.</p>` : '';
  const columns = ladderColumns(messages, input.hosts);
  const arrows = ladderArrows(messages, columns);
  const list = messages
    .map((m, i) => {
      const a = arrows[i]!;
      return `<details id="msg-${a.index}"><summary>${a.index}. ${clock(m.time)} ${esc(m.src)}:${m.srcPort} → ${esc(m.dst)}:${m.dstPort} ${m.transport.toUpperCase()}: ${esc(a.label)}${a.sdp ? ' <span class="sdp">SDP</span>' : ''}</summary><pre>${esc(m.text)}</pre></details>`;
    })
    .join('\n');
  const body = messages.length
    ? `${cut}${svg(columns, arrows, messages)}\n<h2>Messages</h2>\n${list}${cut}`
    : '<p class="empty">The captures saw no SIP message in this scenario\'s time window.</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SIP ladder: ${esc(input.title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:1.5em;color:#24292f}svg{font-family:system-ui,sans-serif;font-size:12px;display:block;margin:1em 0}
svg a .msg:hover text{text-decoration:underline}pre{white-space:pre-wrap;background:#f6f8fa;padding:.6em;font-size:12px}.sdp{background:#fff8c5;border:1px solid #d4a72c;border-radius:3px;padding:0 4px;font-size:11px}
summary{cursor:pointer;font-family:ui-monospace,monospace;font-size:12px}.note{color:#57606a}</style></head>
<body><h1>SIP ladder: ${esc(input.title)}</h1>
<p class="note">${esc(input.source ?? 'Built from the packet captures')}. ${all.length} SIP messages; times are capture times (UTC); a dashed arrow is SIP over TLS.</p>
${body}
</body></html>
`;
}
