import { getHeader, insertAfter, removeHeader, serializeDraft, setHeader, valuesOf, viewWire, type Draft, type Rng, type WireView } from './draft';

/**
 * The mutation catalogue of the robustness corpus: each entry turns a valid request into one that is
 * malformed in exactly one named way, and `holds` proves from the bytes alone that it is (the unit
 * tests run it on every generated case). The groups follow issue 11: oversize fields, bad numbers,
 * bad URIs, NULs and control characters, broken SDP, duplicated or missing mandatory headers, and
 * framing faults of the start line and header lines.
 *
 * Limits quoted by the oversize group are the core's (CORE_LIMITS): what an SBC must never let
 * through, whatever it accepts itself.
 */

export type Method = 'INVITE' | 'REGISTER' | 'OPTIONS' | 'BYE';
export const METHODS: readonly Method[] = ['INVITE', 'REGISTER', 'OPTIONS', 'BYE'];

export type Group = 'baseline' | 'oversize' | 'bad-number' | 'bad-uri' | 'control-chars' | 'broken-sdp' | 'mandatory-headers' | 'framing';
export const GROUPS: readonly Group[] = ['baseline', 'oversize', 'bad-number', 'bad-uri', 'control-chars', 'broken-sdp', 'mandatory-headers', 'framing'];

/** What a core server accepts (issue 11): 1 KB per header value, 256 headers, 8 KB of headers, 16 KB of body. */
export const CORE_LIMITS = Object.freeze({ maxHeaderValueBytes: 1024, maxHeaders: 256, maxHeaderBytes: 8192, maxBodyBytes: 16384 });

/** Largest UDP payload over IPv4. */
export const MAX_UDP_PAYLOAD = 65_507;

export interface Mutation {
  name: string;
  group: Group;
  /** The base methods it applies to; all when absent. */
  methods?: readonly Method[];
  /** What is wrong with the result, in words for the report. */
  claim: string;
  /**
   * Why an SBC may leave this case unanswered (the documented drops): no answer can be routed
   * without a readable top Via, and responses or unreadable start lines are not requests.
   */
  dropAllowed?: string;
  /**
   * Why an SBC may leave this case unanswered when it comes over a stream (TLS): the fault breaks the
   * stream's framing, so the message has not ended (RFC 3261 18.3) or the connection must be closed.
   */
  streamDropAllowed?: string;
  /** 5xx statuses an RFC prescribes for exactly this fault (505 for a SIP version); any other 5xx is the SBC's fault. */
  allowedServerErrors?: readonly number[];
  apply(d: Draft, rng: Rng): Draft | Buffer;
  /** True when `data` shows the fault claimed. */
  holds(data: Buffer): boolean;
}

const NO_VIA = 'no readable top Via: nowhere to send an answer (RFC 3261 18.2.2)';
const STREAM_FRAMING = 'on a stream, Content-Length delimits the message (RFC 3261 18.3): without a usable one the message never ends or the connection is closed';
const NOT_A_REQUEST = 'the start line is not a request line: nothing identifies a request to answer (RFC 3261 7.1)';

const v = (data: Buffer): WireView => viewWire(data);
const longest = (w: WireView): number => Math.max(0, ...w.headers.map(([, value]) => Buffer.byteLength(value, 'latin1')));
const controlIn = (s: string): boolean => [...s].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
const requestUri = (w: WireView): string => w.startLine.split(' ')[1] ?? '';
const sdpOf = (w: WireView): string[] => w.body.split('\r\n');
const modify = (fn: (d: Draft, rng: Rng) => void) => (d: Draft, rng: Rng): Draft => {
  fn(d, rng);
  return d;
};
const sdpReplace = (from: RegExp, to: string) => modify((d) => {
  d.body = d.body.replace(from, to);
});

function repeat(rng: Rng, min: number, max: number, alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'): string {
  const n = rng.int(min, max);
  const unit = Array.from({ length: 64 }, () => alphabet[rng.int(0, alphabet.length - 1)]).join('');
  return unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
}

const oversize: Mutation[] = [
  { name: 'from-display-33k', group: 'oversize', claim: 'From display name of 33 KB', apply: modify((d) => setHeader(d, 'From', `"${'A'.repeat(33 * 1024)}" ${(getHeader(d, 'From') ?? '').replace(/^"[^"]*" /, '')}`)), holds: (b) => (valuesOf(v(b), 'from')[0] ?? '').length > 33 * 1024 },
  { name: 'from-display-60k', group: 'oversize', claim: 'From display name of 60 KB', apply: modify((d) => setHeader(d, 'From', `"${'B'.repeat(60 * 1024)}" ${(getHeader(d, 'From') ?? '').replace(/^"[^"]*" /, '')}`)), holds: (b) => (valuesOf(v(b), 'from')[0] ?? '').length > 60 * 1024 && b.length <= MAX_UDP_PAYLOAD },
  { name: 'header-value-over-1k', group: 'oversize', claim: `a header value over ${CORE_LIMITS.maxHeaderValueBytes} bytes`, apply: modify((d, rng) => d.headers.splice(3, 0, ['Subject', repeat(rng, 1100, 9000)])), holds: (b) => longest(v(b)) > CORE_LIMITS.maxHeaderValueBytes },
  { name: 'to-user-over-1k', group: 'oversize', claim: 'To user part over 1 KB', apply: modify((d, rng) => setHeader(d, 'To', (getHeader(d, 'To') ?? '').replace('sip:', `sip:${repeat(rng, 1100, 4000, '0123456789')}`))), holds: (b) => (valuesOf(v(b), 'to')[0] ?? '').length > CORE_LIMITS.maxHeaderValueBytes },
  { name: 'many-headers', group: 'oversize', claim: `more than ${CORE_LIMITS.maxHeaders} header fields`, apply: modify((d, rng) => {
    const n = rng.int(300, 1200);
    for (let i = 0; i < n; i++) d.headers.splice(3, 0, [`X-Fill-${i}`, 'x']);
  }), holds: (b) => v(b).headers.length > CORE_LIMITS.maxHeaders },
  { name: 'header-section-over-8k', group: 'oversize', claim: `a header section over ${CORE_LIMITS.maxHeaderBytes} bytes, every value under 1 KB`, apply: modify((d, rng) => {
    for (let i = 0; i < 10; i++) d.headers.splice(3, 0, [`X-Pad-${i}`, repeat(rng, 950, 1000)]);
  }), holds: (b) => v(b).headerBytes > CORE_LIMITS.maxHeaderBytes && longest(v(b)) <= CORE_LIMITS.maxHeaderValueBytes },
  { name: 'request-uri-over-1k', group: 'oversize', claim: 'Request-URI over 1 KB', apply: modify((d, rng) => {
    d.startLine = d.startLine.replace(/ sip:([^@ ]*@)?/, (_m, user: string | undefined) => ` sip:${user ? user.slice(0, -1) : ''}${repeat(rng, 1100, 5000, '0123456789')}@`);
  }), holds: (b) => requestUri(v(b)).length > CORE_LIMITS.maxHeaderValueBytes },
  { name: 'call-id-over-1k', group: 'oversize', claim: 'Call-ID over 1 KB', apply: modify((d, rng) => setHeader(d, 'Call-ID', `${getHeader(d, 'Call-ID') ?? ''}${repeat(rng, 1100, 6000)}`)), holds: (b) => (valuesOf(v(b), 'call-id')[0] ?? '').length > CORE_LIMITS.maxHeaderValueBytes },
  { name: 'via-branch-over-1k', group: 'oversize', claim: 'top Via branch over 1 KB', apply: modify((d, rng) => setHeader(d, 'Via', `${getHeader(d, 'Via') ?? ''}${repeat(rng, 1100, 3000)}`)), holds: (b) => (valuesOf(v(b), 'via')[0] ?? '').length > CORE_LIMITS.maxHeaderValueBytes },
  { name: 'sdp-body-over-16k', group: 'oversize', methods: ['INVITE'], claim: `SDP body over ${CORE_LIMITS.maxBodyBytes} bytes`, apply: modify((d, rng) => {
    d.body += Array.from({ length: 40 }, (_, i) => `a=x-pad${i}:${repeat(rng, 500, 600)}\r\n`).join('');
  }), holds: (b) => Buffer.byteLength(v(b).body, 'latin1') > CORE_LIMITS.maxBodyBytes },
];

const cseqOf = (d: Draft): string => (getHeader(d, 'CSeq') ?? '').split(' ').pop() ?? '';
const badNumber: Mutation[] = [
  { name: 'cseq-not-a-number', group: 'bad-number', claim: 'CSeq number is letters', apply: modify((d) => setHeader(d, 'CSeq', `abc ${cseqOf(d)}`)), holds: (b) => /^abc /.test(valuesOf(v(b), 'cseq')[0] ?? '') },
  { name: 'cseq-negative', group: 'bad-number', claim: 'CSeq number negative', apply: modify((d, rng) => setHeader(d, 'CSeq', `-${rng.int(1, 99999)} ${cseqOf(d)}`)), holds: (b) => /^-\d+ /.test(valuesOf(v(b), 'cseq')[0] ?? '') },
  { name: 'cseq-out-of-range', group: 'bad-number', claim: 'CSeq number at or above 2^31 (RFC 3261 8.1.1.5)', apply: modify((d, rng) => setHeader(d, 'CSeq', `${rng.pick([2 ** 31, 2 ** 32, 2 ** 32 + 7, 9999999999])} ${cseqOf(d)}`)), holds: (b) => Number((valuesOf(v(b), 'cseq')[0] ?? '').split(' ')[0]) >= 2 ** 31 },
  { name: 'cseq-30-digits', group: 'bad-number', claim: 'CSeq number of 30 digits', apply: modify((d, rng) => setHeader(d, 'CSeq', `${repeat(rng, 30, 30, '123456789')} ${cseqOf(d)}`)), holds: (b) => /^\d{30} /.test(valuesOf(v(b), 'cseq')[0] ?? '') },
  { name: 'content-length-negative', group: 'bad-number', streamDropAllowed: STREAM_FRAMING, claim: 'Content-Length negative', apply: modify((d, rng) => {
    d.keepContentLength = true;
    setHeader(d, 'Content-Length', `-${rng.int(1, 500)}`);
  }), holds: (b) => /^-\d+$/.test(valuesOf(v(b), 'content-length')[0] ?? '') },
  { name: 'content-length-beyond-body', group: 'bad-number', streamDropAllowed: STREAM_FRAMING, claim: 'Content-Length larger than the body (RFC 3261 18.3: 400)', apply: modify((d, rng) => {
    d.keepContentLength = true;
    setHeader(d, 'Content-Length', String(Buffer.byteLength(d.body, 'latin1') + rng.int(1, 4000)));
  }), holds: (b) => Number(valuesOf(v(b), 'content-length')[0]) > Buffer.byteLength(v(b).body, 'latin1') },
  { name: 'content-length-not-a-number', group: 'bad-number', streamDropAllowed: STREAM_FRAMING, claim: 'Content-Length is a word', apply: modify((d) => {
    d.keepContentLength = true;
    setHeader(d, 'Content-Length', 'ten');
  }), holds: (b) => valuesOf(v(b), 'content-length')[0] === 'ten' },
  { name: 'content-length-conflicting', group: 'bad-number', streamDropAllowed: STREAM_FRAMING, claim: 'two Content-Length headers that disagree', apply: modify((d) => {
    d.keepContentLength = true;
    const n = Buffer.byteLength(d.body, 'latin1');
    removeHeader(d, 'Content-Length');
    d.headers.push(['Content-Length', String(n)], ['Content-Length', String(n + 3)]);
  }), holds: (b) => new Set(valuesOf(v(b), 'content-length')).size === 2 },
  { name: 'max-forwards-not-a-number', group: 'bad-number', claim: 'Max-Forwards is a word', apply: modify((d) => setHeader(d, 'Max-Forwards', 'seventy')), holds: (b) => valuesOf(v(b), 'max-forwards')[0] === 'seventy' },
  { name: 'max-forwards-negative', group: 'bad-number', claim: 'Max-Forwards negative', apply: modify((d, rng) => setHeader(d, 'Max-Forwards', `-${rng.int(1, 70)}`)), holds: (b) => /^-\d+$/.test(valuesOf(v(b), 'max-forwards')[0] ?? '') },
  { name: 'via-port-zero', group: 'bad-number', claim: 'top Via sent-by port 0', apply: modify((d) => setHeader(d, 'Via', (getHeader(d, 'Via') ?? '').replace(/:(\d+);/, ':0;'))), holds: (b) => /^SIP\/2\.0\/[A-Z]+ [^:;]+:0;/.test(valuesOf(v(b), 'via')[0] ?? '') },
  { name: 'via-port-over-65535', group: 'bad-number', claim: 'top Via sent-by port above 65535', apply: modify((d, rng) => setHeader(d, 'Via', (getHeader(d, 'Via') ?? '').replace(/:(\d+);/, `:${rng.int(65536, 999999)};`))), holds: (b) => Number(/:(\d+);/.exec(valuesOf(v(b), 'via')[0] ?? '')?.[1]) > 65535 },
  { name: 'expires-not-a-number', group: 'bad-number', methods: ['REGISTER', 'INVITE'], claim: 'Expires is not delta-seconds', apply: modify((d, rng) => setHeader(d, 'Expires', rng.pick(['soon', '-5', '1e9', '0x10']))), holds: (b) => !/^\d+$/.test(valuesOf(v(b), 'expires')[0] ?? '0') },
];

/** The start line with the Request-URI's host[:port] replaced (`sip:[user@]host[:port]`). */
function withRuriHost(d: Draft, host: (hostPort: string) => string): void {
  d.startLine = d.startLine.replace(/^(\S+ sips?:(?:[^@ ]*@)?)([^ ;>?]+)/, (_m, head: string, hostPort: string) => `${head}${host(hostPort)}`);
}

const badUri: Mutation[] = [
  { name: 'request-uri-no-scheme', group: 'bad-uri', claim: 'Request-URI without a scheme', apply: modify((d) => {
    d.startLine = d.startLine.replace(' sip:', ' ');
  }), holds: (b) => !/^[a-z][a-z0-9+.-]*:/i.test(requestUri(v(b))) },
  { name: 'request-uri-bad-host', group: 'bad-uri', claim: 'Request-URI host with characters no host has', apply: modify((d) => withRuriHost(d, () => 'ho$t!name')), holds: (b) => requestUri(v(b)).includes('ho$t!name') },
  { name: 'request-uri-bad-escape', group: 'bad-uri', claim: 'Request-URI with a bad %-escape', apply: modify((d) => {
    d.startLine = d.startLine.replace(/ sip:/, ' sip:%zz');
  }), holds: (b) => requestUri(v(b)).includes('%zz') },
  { name: 'request-uri-ipv6-unbracketed', group: 'bad-uri', claim: 'Request-URI with an IPv6 host outside brackets (RFC 5118 4.5)', apply: modify((d) => withRuriHost(d, () => '2001:db8::9:5060')), holds: (b) => /^sip:(?:[^@]*@)?2001:db8::9/.test(requestUri(v(b))) },
  { name: 'request-uri-port-over-65535', group: 'bad-uri', claim: 'Request-URI port above 65535', apply: modify((d, rng) => withRuriHost(d, (hp) => `${hp.split(':')[0]}:${rng.int(65536, 99999)}`)), holds: (b) => Number(/:(\d+)(?:;|$)/.exec(requestUri(v(b)))?.[1]) > 65535 },
  { name: 'from-unbalanced-brackets', group: 'bad-uri', claim: 'From with < but no >', apply: modify((d) => setHeader(d, 'From', (getHeader(d, 'From') ?? '').replace('>', ''))), holds: (b) => { const f = valuesOf(v(b), 'from')[0] ?? ''; return f.includes('<') && !f.includes('>'); } },
  { name: 'to-garbage-uri', group: 'bad-uri', claim: 'To URI of colons only', apply: modify((d) => setHeader(d, 'To', '<::::>')), holds: (b) => valuesOf(v(b), 'to')[0] === '<::::>' },
  { name: 'contact-unbalanced-brackets', group: 'bad-uri', claim: 'Contact with < but no >', apply: modify((d) => setHeader(d, 'Contact', (getHeader(d, 'Contact') ?? '<sip:x@192.0.2.1').replace('>', ''))), holds: (b) => { const c = valuesOf(v(b), 'contact')[0] ?? ''; return c.includes('<') && !c.includes('>'); } },
  { name: 'contact-port-zero', group: 'bad-uri', claim: 'Contact URI port 0', apply: modify((d) => setHeader(d, 'Contact', (getHeader(d, 'Contact') ?? '<sip:x@192.0.2.1:5060>').replace(/:\d+(?=[;>])/, ':0'))), holds: (b) => /:0[;>]/.test(valuesOf(v(b), 'contact')[0] ?? '') },
  { name: 'record-route-unbalanced', group: 'bad-uri', claim: 'Record-Route with < but no >', apply: modify((d) => insertAfter(d, 'Via', ['Record-Route', '<sip:rr.example.net;lr'])), holds: (b) => valuesOf(v(b), 'record-route')[0] === '<sip:rr.example.net;lr' },
  { name: 'from-uri-headers-outside-brackets', group: 'bad-uri', claim: 'From addr-spec with ?headers outside <> (RFC 4475 3.1.2.13)', apply: modify((d) => setHeader(d, 'From', 'sip:user@example.net?Route=%3Csip:evil.example.net%3E;tag=q1')), holds: (b) => /^sip:[^<]*\?/.test(valuesOf(v(b), 'from')[0] ?? '') },
];

const controlChars: Mutation[] = [
  { name: 'nul-in-call-id', group: 'control-chars', claim: 'a NUL byte in the Call-ID', apply: modify((d) => setHeader(d, 'Call-ID', (getHeader(d, 'Call-ID') ?? '').replace('@', '\x00@'))), holds: (b) => (valuesOf(v(b), 'call-id')[0] ?? '').includes('\x00') },
  { name: 'nul-in-display-name', group: 'control-chars', claim: 'a NUL byte in the From display name', apply: modify((d) => setHeader(d, 'From', `"Eve\x00Mallory" ${(getHeader(d, 'From') ?? '').replace(/^"[^"]*" /, '')}`)), holds: (b) => (valuesOf(v(b), 'from')[0] ?? '').includes('\x00') },
  { name: 'escaped-nul-in-user', group: 'control-chars', claim: 'an escaped NUL (%00) in the From user', apply: modify((d) => setHeader(d, 'From', (getHeader(d, 'From') ?? '').replace('sip:', 'sip:%00'))), holds: (b) => (valuesOf(v(b), 'from')[0] ?? '').includes('sip:%00') },
  { name: 'bare-cr-in-value', group: 'control-chars', claim: 'a bare CR inside a header value', apply: modify((d) => d.headers.splice(3, 0, ['Subject', 'first\rsecond'])), holds: (b) => /[^\n]\r[^\n]/.test(b.toString('latin1')) },
  { name: 'bare-lf-in-call-id', group: 'control-chars', claim: 'a bare LF splitting the Call-ID', apply: modify((d) => setHeader(d, 'Call-ID', (getHeader(d, 'Call-ID') ?? '').replace('@', '\n@'))), holds: (b) => /[^\r]\n/.test(b.toString('latin1')) },
  { name: 'control-in-method', group: 'control-chars', claim: 'a control character inside the method', apply: modify((d) => {
    d.startLine = `${d.startLine.slice(0, 2)}\x01${d.startLine.slice(2)}`;
  }), holds: (b) => controlIn(v(b).startLine) },
  { name: 'del-in-to-user', group: 'control-chars', claim: 'a DEL byte in the To user', apply: modify((d) => setHeader(d, 'To', (getHeader(d, 'To') ?? '').replace('sip:', 'sip:\x7f'))), holds: (b) => (valuesOf(v(b), 'to')[0] ?? '').includes('\x7f') },
  { name: 'control-in-header-name', group: 'control-chars', claim: 'a control character inside a header name', apply: modify((d) => d.headers.splice(3, 0, ['X-\x02Bad', 'value'])), holds: (b) => v(b).headers.some(([n]) => controlIn(n)) },
  { name: 'invalid-utf8-display-name', group: 'control-chars', claim: 'bytes that are not UTF-8 (0xff 0xfe) in the From display name', apply: modify((d) => setHeader(d, 'From', `"\xff\xfe\xc0" ${(getHeader(d, 'From') ?? '').replace(/^"[^"]*" /, '')}`)), holds: (b) => b.includes(Buffer.from([0xff, 0xfe])) },
];

const brokenSdp: Mutation[] = [
  { name: 'sdp-bad-connection-address', group: 'broken-sdp', methods: ['INVITE'], claim: 'c= address that is no IPv4 address', apply: sdpReplace(/c=IN IP4 \S+/, 'c=IN IP4 999.300.1.1'), holds: (b) => sdpOf(v(b)).includes('c=IN IP4 999.300.1.1') },
  { name: 'sdp-version-1', group: 'broken-sdp', methods: ['INVITE'], claim: 'v=1 (RFC 4566 knows only v=0)', apply: sdpReplace(/^v=0/, 'v=1'), holds: (b) => sdpOf(v(b))[0] === 'v=1' },
  { name: 'sdp-media-port-over-65535', group: 'broken-sdp', methods: ['INVITE'], claim: 'm= port above 65535', apply: sdpReplace(/m=audio \d+/, 'm=audio 70000'), holds: (b) => sdpOf(v(b)).some((l) => l.startsWith('m=audio 70000')) },
  { name: 'sdp-negative-clock-rate', group: 'broken-sdp', methods: ['INVITE'], claim: 'a=rtpmap with a negative clock rate', apply: sdpReplace(/PCMU\/8000/, 'PCMU/-8000'), holds: (b) => v(b).body.includes('PCMU/-8000') },
  { name: 'sdp-zero-clock-rate', group: 'broken-sdp', methods: ['INVITE'], claim: 'a=rtpmap with clock rate 0', apply: sdpReplace(/PCMA\/8000/, 'PCMA/0'), holds: (b) => v(b).body.includes('PCMA/0') },
  { name: 'sdp-no-media', group: 'broken-sdp', methods: ['INVITE'], claim: 'SDP without any m= line', apply: modify((d) => {
    d.body = d.body.split('\r\n').filter((l) => !l.startsWith('m=') && !l.startsWith('a=')).join('\r\n');
  }), holds: (b) => !sdpOf(v(b)).some((l) => l.startsWith('m=')) },
  { name: 'sdp-no-connection', group: 'broken-sdp', methods: ['INVITE'], claim: 'SDP without any c= line', apply: sdpReplace(/c=[^\r]*\r\n/g, ''), holds: (b) => !sdpOf(v(b)).some((l) => l.startsWith('c=')) && v(b).body.length > 0 },
  { name: 'sdp-payload-type-over-127', group: 'broken-sdp', methods: ['INVITE'], claim: 'RTP payload type above 127', apply: sdpReplace(/RTP\/AVP 0 8/, 'RTP/AVP 0 300'), holds: (b) => v(b).body.includes('RTP/AVP 0 300') },
  { name: 'sdp-garbage-line', group: 'broken-sdp', methods: ['INVITE'], claim: 'a line that is no type=value line', apply: sdpReplace(/s=-/, 's=-\r\nthis is not sdp'), holds: (b) => sdpOf(v(b)).includes('this is not sdp') },
  { name: 'sdp-truncated-media-line', group: 'broken-sdp', methods: ['INVITE'], claim: 'SDP cut inside its m= line', apply: modify((d) => {
    d.body = d.body.slice(0, d.body.indexOf('m=audio') + 'm=aud'.length);
  }), holds: (b) => v(b).body.endsWith('m=aud') },
  { name: 'sdp-missing-origin', group: 'broken-sdp', methods: ['INVITE'], claim: 'SDP without o= (RFC 4566 5.2 requires it)', apply: sdpReplace(/o=[^\r]*\r\n/, ''), holds: (b) => !sdpOf(v(b)).some((l) => l.startsWith('o=')) && v(b).body.length > 0 },
];

const missing = (name: string, display: string, dropAllowed?: string): Mutation => ({
  name: `missing-${name.toLowerCase()}`, group: 'mandatory-headers', claim: `no ${display} header`,
  ...(dropAllowed ? { dropAllowed } : {}),
  apply: modify((d) => removeHeader(d, name)),
  holds: (b) => valuesOf(v(b), name).length === 0,
});
const duplicated = (name: string, fresh: (value: string) => string): Mutation => ({
  name: `duplicate-${name.toLowerCase()}`, group: 'mandatory-headers', claim: `two ${name} headers that differ`,
  apply: modify((d) => insertAfter(d, name, [name, fresh(getHeader(d, name) ?? '')])),
  holds: (b) => new Set(valuesOf(v(b), name)).size === 2,
});
const mandatory: Mutation[] = [
  missing('Via', 'Via', NO_VIA),
  missing('From', 'From'),
  missing('To', 'To'),
  missing('Call-ID', 'Call-ID'),
  missing('CSeq', 'CSeq'),
  duplicated('From', (f) => f.replace(/tag=[^;]+/, 'tag=other')),
  duplicated('To', (t) => t.replace('sip:', 'sip:9')),
  duplicated('Call-ID', (c) => `x${c}`),
  duplicated('CSeq', (c) => c.replace(/^\d+/, (n) => String(Number(n) + 1))),
  { name: 'cseq-method-mismatch', group: 'mandatory-headers', claim: 'CSeq method differs from the request method', apply: modify((d) => setHeader(d, 'CSeq', (getHeader(d, 'CSeq') ?? '1 X').replace(/\S+$/, (m) => (m === 'NOTIFY' ? 'INFO' : 'NOTIFY')))), holds: (b) => (valuesOf(v(b), 'cseq')[0] ?? '').split(' ')[1] !== v(b).startLine.split(' ')[0] },
];

/** The draft's bytes with one raw line (no `name: value` shape) right after the start line. */
function rawLineAfterStart(d: Draft, line: string): Buffer {
  const bytes = serializeDraft(d).toString('latin1');
  const eol = bytes.indexOf('\r\n');
  return Buffer.from(`${bytes.slice(0, eol)}\r\n${line}${bytes.slice(eol)}`, 'latin1');
}

const framing: Mutation[] = [
  { name: 'request-line-extra-spaces', group: 'framing', claim: 'two spaces between the request line elements', apply: modify((d) => {
    d.startLine = d.startLine.replace(/ /g, '  ');
  }), holds: (b) => v(b).startLine.includes('  ') },
  { name: 'request-line-tab', group: 'framing', claim: 'a tab as request line separator', apply: modify((d) => {
    d.startLine = d.startLine.replace(' ', '\t');
  }), holds: (b) => v(b).startLine.includes('\t') },
  { name: 'sip-version-7', group: 'framing', claim: 'SIP version 7.0', allowedServerErrors: [505], apply: modify((d) => {
    d.startLine = d.startLine.replace(/SIP\/2\.0$/, 'SIP/7.0');
  }), holds: (b) => v(b).startLine.endsWith('SIP/7.0') },
  { name: 'method-not-a-token', group: 'framing', claim: 'a method with characters no token has', apply: modify((d) => {
    d.startLine = d.startLine.replace(/^(\S+)/, (m) => `${m.slice(0, 3)}@${m.slice(3)}`);
  }), holds: (b) => /^\S*[@(),"]/.test(v(b).startLine) },
  { name: 'header-without-colon', group: 'framing', claim: 'a header line without a colon', apply: (d) => rawLineAfterStart(d, 'Subject no colon here'), holds: (b) => b.toString('latin1').split('\r\n')[1] === 'Subject no colon here' },
  { name: 'header-name-with-space', group: 'framing', claim: 'a header name with a space inside', apply: modify((d) => d.headers.splice(2, 0, ['X Bad Name', 'v'])), holds: (b) => v(b).headers.some(([n]) => n === 'X Bad Name') },
  { name: 'continuation-before-first-header', group: 'framing', claim: 'a folded continuation line right after the start line', apply: (d) => rawLineAfterStart(d, '   folded'), holds: (b) => b.toString('latin1').split('\r\n')[1] === '   folded' },
  { name: 'no-empty-line', group: 'framing', streamDropAllowed: STREAM_FRAMING, claim: 'headers never end (no empty line)', apply: (d) => {
    const bytes = serializeDraft({ ...d, body: '' }).toString('latin1');
    return Buffer.from(bytes.slice(0, bytes.length - 4), 'latin1');
  }, holds: (b) => !b.includes('\r\n\r\n') },
  { name: 'garbage-start-line', group: 'framing', claim: 'a start line of random bytes', dropAllowed: NOT_A_REQUEST, apply: modify((d, rng) => {
    d.startLine = Array.from({ length: rng.int(5, 60) }, () => String.fromCharCode(rng.int(0x21, 0x7e))).join('').replace(/SIP\//g, 'S1P/');
  }), holds: (b) => !/^\S+ \S+ SIP\/\d/.test(v(b).startLine) },
  { name: 'stray-response', group: 'framing', claim: 'a response the SBC never asked for', dropAllowed: 'a response is never answered (RFC 3261 18.1.2: a stray response is discarded)', apply: modify((d) => {
    d.startLine = 'SIP/2.0 200 OK';
  }), holds: (b) => v(b).startLine === 'SIP/2.0 200 OK' },
  { name: 'random-bytes', group: 'framing', claim: 'a datagram of random bytes', dropAllowed: NOT_A_REQUEST, apply: (_d, rng) => Buffer.from(Array.from({ length: rng.int(20, 1400) }, () => rng.int(1, 255))), holds: (b) => !/^[A-Z]+ \S+ SIP\/2\.0\r\n/.test(b.toString('latin1')) },
];

/** Every mutation, by group. */
export const MUTATIONS: readonly Mutation[] = [...oversize, ...badNumber, ...badUri, ...controlChars, ...brokenSdp, ...mandatory, ...framing];

/** The mutations that apply to `method`. */
export function mutationsFor(method: Method): Mutation[] {
  return MUTATIONS.filter((m) => !m.methods || m.methods.includes(method));
}
