/**
 * SIPp's `-trace_msg` log: every message the instance sent or received, which is what the suite
 * asserts on ("what really crossed the wire" at that endpoint).
 */
import { canonicalName } from '../sip/headers';

export interface TracedMessage {
  at: Date;
  direction: 'sent' | 'received';
  transport: string;
  text: string;
  /** 'INVITE', 'BYE', ... for requests; undefined for responses. */
  method?: string;
  /** Status code for responses. */
  status?: number;
  requestUri?: string;
  /** The value(s) of a header, compact forms folded to full names, case-insensitive. */
  headers(name: string): string[];
  header(name: string): string | undefined;
  body: string;
}

export function parseSipText(text: string): Pick<TracedMessage, 'method' | 'status' | 'requestUri' | 'headers' | 'header' | 'body'> {
  const normalised = text.replace(/\r\n/g, '\n');
  const split = normalised.indexOf('\n\n');
  const head = split >= 0 ? normalised.slice(0, split) : normalised;
  const body = split >= 0 ? normalised.slice(split + 2) : '';
  const lines = head.split('\n');
  const start = lines.shift() ?? '';
  const map = new Map<string, string[]>();
  let last: string | undefined;
  for (const line of lines) {
    if (/^[ \t]/.test(line) && last) {
      const vals = map.get(last)!;
      vals[vals.length - 1] += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    last = canonicalName(line.slice(0, colon));
    const list = map.get(last) ?? [];
    list.push(line.slice(colon + 1).trim());
    map.set(last, list);
  }
  const response = /^SIP\/2\.0\s+(\d{3})/.exec(start);
  const request = /^([A-Z]+)\s+(\S+)\s+SIP\/2\.0/.exec(start);
  return {
    status: response ? Number(response[1]) : undefined,
    method: request ? request[1] : undefined,
    requestUri: request ? request[2] : undefined,
    headers: (name) => map.get(canonicalName(name)) ?? [],
    header: (name) => map.get(canonicalName(name))?.[0],
    body,
  };
}

const SEPARATOR = /^-{20,} (\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d+)\s*$/;
const KIND = /^(\w+) message (sent|received)/;

export function parseMessageLog(log: string): TracedMessage[] {
  const out: TracedMessage[] = [];
  const lines = log.split('\n');
  let i = 0;
  while (i < lines.length) {
    const sep = SEPARATOR.exec(lines[i]!);
    if (!sep) {
      i++;
      continue;
    }
    const kind = KIND.exec(lines[i + 1] ?? '');
    let j = i + 1;
    while (j < lines.length && !SEPARATOR.test(lines[j]!)) j++;
    if (kind) {
      // The message starts after the kind line and one blank line; SIPp appends a blank line after it.
      const text = lines.slice(i + 3, j).join('\n').replace(/\n+$/, '\n');
      out.push({
        at: new Date(sep[1]!.replace(' ', 'T')), // SIPp writes local time
        direction: kind[2] as 'sent' | 'received',
        transport: kind[1]!,
        text,
        ...parseSipText(text),
      });
    }
    i = j;
  }
  return out;
}

/** The user part of a SIP URI inside a header value or a Request-URI, e.g. the dialled number. */
export function userOf(uriOrHeader: string | undefined): string | undefined {
  if (!uriOrHeader) return undefined;
  const m = /sips?:([^@;>\s]+)@/.exec(uriOrHeader);
  return m?.[1];
}
