import { isIP } from 'node:net';
import { splitSip } from '../capture/sip-text';
import { CORE_LIMITS } from './mutations';

/**
 * What reached the core, audited message by message (issue 11): whatever an SBC accepts from the
 * Internet, every message a core server receives must stay within the core's limits (CORE_LIMITS)
 * and be well-formed, since a core server is not built to survive what the SBC is there to stop.
 * The audit reads the bytes as captured in the core zone with its own lenient splitter: a message
 * it cannot split is a finding, never a crash or a silent skip.
 *
 * The calls audit follows each dialog the SBC opened towards a core server (by the INVITE's
 * Call-ID on that leg) to its end: a final error, a CANCEL, or a BYE after a 2xx.
 */

export interface CoreMessage {
  /** Capture time, seconds since the epoch. */
  time: number;
  src: string;
  dst: string;
  text: string;
}

export interface CoreFinding {
  kind: 'over-limit' | 'malformed';
  /** The dialled number of the message's Request-URI (or To), which names the corpus case. */
  number: string | undefined;
  first: string;
  why: string;
}

export interface CoreAudit {
  checked: number;
  overLimit: number;
  malformed: number;
  findings: CoreFinding[];
}

const REQUEST_LINE = /^([A-Za-z][A-Za-z-]*) (\S+) SIP\/2\.0$/;
const STATUS_LINE = /^SIP\/2\.0 [1-6]\d\d [^\r\n]*$/;

export function auditCoreMessages(messages: readonly CoreMessage[], limits = CORE_LIMITS): CoreAudit {
  const findings: CoreFinding[] = [];
  for (const m of messages) {
    for (const f of auditOne(m.text, limits)) findings.push(f);
  }
  return {
    checked: messages.length,
    overLimit: countMessages(findings, 'over-limit'),
    malformed: countMessages(findings, 'malformed'),
    findings,
  };
}

/** Messages with at least one finding of `kind` (a message over two limits counts once). */
function countMessages(findings: readonly (CoreFinding & { message?: number })[], kind: CoreFinding['kind']): number {
  return new Set(findings.filter((f) => f.kind === kind).map((f) => f.message)).size;
}

let messageSeq = 0;

function auditOne(text: string, limits: typeof CORE_LIMITS): Array<CoreFinding & { message: number }> {
  const message = ++messageSeq;
  const out: Array<CoreFinding & { message: number }> = [];
  const sep = text.indexOf('\r\n\r\n');
  const head = sep < 0 ? text : text.slice(0, sep);
  const body = sep < 0 ? '' : text.slice(sep + 4);
  const m = splitSip(text);
  const number = numberOf(m.startLine, m.headers.find((h) => h.canonical === 'to')?.value);
  const first = m.startLine.slice(0, 120);
  const over = (why: string): void => void out.push({ kind: 'over-limit', number, first, why, message });
  const bad = (why: string): void => void out.push({ kind: 'malformed', number, first, why, message });

  // Sizes first: they are what crashes a core server.
  const uri = REQUEST_LINE.exec(m.startLine)?.[2];
  if (uri !== undefined && uri.length > limits.maxHeaderValueBytes) over(`Request-URI of ${uri.length} bytes`);
  if (m.headers.length > limits.maxHeaders) over(`${m.headers.length} header fields`);
  const headerBytes = Buffer.byteLength(head, 'latin1') - m.startLine.length;
  if (headerBytes > limits.maxHeaderBytes) over(`header section of ${headerBytes} bytes`);
  for (const h of m.headers) if (h.value.length > limits.maxHeaderValueBytes) over(`${h.name} value of ${h.value.length} bytes`);
  if (Buffer.byteLength(body, 'latin1') > limits.maxBodyBytes) over(`body of ${body.length} bytes`);

  if (sep < 0) bad('no empty line after the headers');
  const request = REQUEST_LINE.exec(m.startLine);
  if (!request && !STATUS_LINE.test(m.startLine)) bad('start line is neither a request line nor a status line');
  if (hasStrayControl(head)) bad('control character or bare CR/LF in the header section');
  if (!isUtf8(Buffer.from(head, 'latin1'))) bad('header section is not UTF-8');
  if (m.junk.length > 0) bad(`header line without a colon: ${m.junk[0]!.slice(0, 40)}`);
  for (const h of m.headers) if (!/^[A-Za-z0-9\-.!%*_+`'~]+$/.test(h.name)) bad(`header name "${h.name.slice(0, 40)}" is not a token`);
  const count = (name: string): number => m.headers.filter((h) => h.canonical === name).length;
  if (count('via') === 0) bad('no Via');
  for (const name of ['from', 'to', 'call-id', 'cseq']) if (count(name) !== 1) bad(`${name} ${count(name) === 0 ? 'missing' : 'more than once'}`);
  const cseq = m.headers.find((h) => h.canonical === 'cseq')?.value ?? '';
  const cm = /^(\d{1,10}) ([A-Za-z][A-Za-z-]*)$/.exec(cseq);
  if (!cm || Number(cm[1]) >= 2 ** 31) bad(`CSeq "${cseq.slice(0, 40)}"`);
  else if (request && cm[2] !== request[1] && request[1] !== 'ACK' && request[1] !== 'CANCEL') bad(`CSeq method ${cm[2]} on a ${request[1]}`);
  if (request) {
    const mf = m.headers.find((h) => h.canonical === 'max-forwards')?.value;
    if (mf !== undefined && !/^\d{1,3}$/.test(mf)) bad(`Max-Forwards "${mf.slice(0, 20)}"`);
  }
  for (const h of m.headers) {
    if (['from', 'to', 'contact', 'route', 'record-route'].includes(h.canonical) && count$(h.value, '<') !== count$(h.value, '>')) bad(`${h.name} with unbalanced <>`);
    if (h.canonical === 'via' && /^SIP\/2\.0\/[A-Z]+ [^;:\s]+:0(?:[;,\s]|$)/i.test(h.value)) bad('Via with port 0');
  }
  const cl = m.headers.find((h) => h.canonical === 'content-length')?.value;
  if (cl !== undefined && Number(cl) !== Buffer.byteLength(body, 'latin1')) bad(`Content-Length ${cl.slice(0, 12)} for a body of ${Buffer.byteLength(body, 'latin1')} bytes`);
  const type = m.headers.find((h) => h.canonical === 'content-type')?.value ?? '';
  if (/^application\/sdp/i.test(type) && body.length > 0) {
    const problem = sdpProblem(body);
    if (problem) bad(`SDP: ${problem}`);
  }
  return out;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Whether the bytes are valid UTF-8 (U+FFFD written as such is valid; a stray 0xff is not). */
function isUtf8(bytes: Buffer): boolean {
  try {
    UTF8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** A C0 control or DEL other than tab and the CR LF pairs that end lines. */
function hasStrayControl(head: string): boolean {
  for (let i = 0; i < head.length; i++) {
    const c = head.charCodeAt(i);
    if (c === 0x0d && head.charCodeAt(i + 1) === 0x0a) {
      i++;
      continue;
    }
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return true;
  }
  return false;
}

function count$(s: string, ch: string): number {
  return s.split(ch).length - 1;
}

/** The few SDP rules a core's media stack relies on (RFC 4566): a checker of its own, not the SBC's. */
export function sdpProblem(body: string): string | undefined {
  const lines = body.split(/\r?\n/).filter((l) => l !== '');
  if (lines[0] !== 'v=0') return 'does not start with v=0';
  for (const l of lines) {
    if (!/^[a-z]=/.test(l)) return `line "${l.slice(0, 30)}" is not type=value`;
    if (l.startsWith('c=')) {
      const c = /^c=IN (IP4|IP6) ([^/\s]+)/.exec(l);
      if (!c || isIP(c[2]!) !== (c[1] === 'IP4' ? 4 : 6)) return `connection line "${l.slice(0, 40)}"`;
    }
    if (l.startsWith('m=')) {
      const mm = /^m=[a-z]+ (\d+)(?:\/\d+)? \S+( \S+)+$/.exec(l);
      if (!mm || Number(mm[1]) > 65535) return `media line "${l.slice(0, 40)}"`;
    }
    if (l.startsWith('a=rtpmap:') && !/^a=rtpmap:\d{1,3} [^/\s]+\/[1-9]\d*(\/\d+)?$/.test(l)) return `rtpmap "${l.slice(0, 40)}"`;
  }
  if (!lines.some((l) => l.startsWith('m='))) return 'no m= line';
  return undefined;
}

function numberOf(startLine: string, to: string | undefined): string | undefined {
  const uri = REQUEST_LINE.exec(startLine)?.[2] ?? /<([^>]*)>/.exec(to ?? '')?.[1] ?? to;
  return /^sips?:([^@;>]+)@/.exec(uri ?? '')?.[1];
}

export interface CoreCall {
  callId: string;
  /** The dialled number of the core leg's INVITE. */
  number: string | undefined;
  server: string;
  answered: boolean;
  ended: boolean;
  /** How the dialog ended or why it counts as open. */
  how: string;
}

/**
 * Every dialog the SBC opened towards a core server in `messages` (INVITEs without a To tag) and
 * whether it ended: a final error answer, a CANCEL, or a BYE in either direction after a 2xx.
 */
export function auditCoreCalls(messages: readonly CoreMessage[], coreServers: readonly string[]): CoreCall[] {
  const servers = new Set(coreServers);
  const calls = new Map<string, CoreCall>();
  for (const msg of messages) {
    const m = splitSip(msg.text);
    const callId = m.headers.find((h) => h.canonical === 'call-id')?.value;
    if (callId === undefined) continue;
    const method = REQUEST_LINE.exec(m.startLine)?.[1];
    const cseqMethod = (m.headers.find((h) => h.canonical === 'cseq')?.value ?? '').split(/\s+/)[1];
    const toTagged = /;\s*tag=/i.test(m.headers.find((h) => h.canonical === 'to')?.value ?? '');
    if (method === 'INVITE' && !toTagged && servers.has(msg.dst)) {
      if (!calls.has(callId)) calls.set(callId, { callId, number: numberOf(m.startLine, undefined), server: msg.dst, answered: false, ended: false, how: 'no final answer and no CANCEL' });
      continue;
    }
    const call = calls.get(callId);
    if (!call || call.ended) continue;
    if (!method && cseqMethod === 'INVITE') {
      const status = Number(m.startLine.split(' ')[1]);
      if (status >= 300) Object.assign(call, { ended: true, how: `answered ${status}` });
      else if (status >= 200) Object.assign(call, { answered: true, how: `answered ${status}, no BYE` });
    } else if (method === 'BYE') {
      Object.assign(call, { ended: true, how: 'BYE' });
    } else if (method === 'CANCEL' && !call.answered) {
      Object.assign(call, { ended: true, how: 'CANCEL' });
    }
  }
  return [...calls.values()];
}
