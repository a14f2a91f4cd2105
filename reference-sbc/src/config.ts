import { isIP } from 'node:net';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from './errors';
import { DEFAULT_SCANNER_AGENTS, parseCidr } from './policy/security';
import { DEFAULT_MESSAGE_LIMITS } from './sip/message-limits';

/**
 * The one configuration of the SBC (STYLE.md 6): a YAML file read once by main.ts, validated here
 * against a strict schema (an unknown or misspelt option is an error naming its path), then frozen.
 * Nothing else in the SBC reads files or the environment for settings.
 */

const ipv4 = z.string().refine((s) => isIP(s) === 4, { message: 'expected IPv4 address' });
const port = z.number({ invalid_type_error: 'expected port number' }).int().min(1).max(65535);
const hostName = z.string().min(1).refine((s) => isIP(s) !== 0 || /^[A-Za-z0-9.-]+$/.test(s), {
  message: 'expected IP address or host name',
});

/** An IPv4 address (`203.0.113.66`) or CIDR range (`198.51.100.0/24`). */
const cidr = z.string().refine((s) => {
  try {
    parseCidr(s);
    return true;
  } catch {
    return false;
  }
}, { message: 'expected IPv4 address or CIDR range without host bits (a.b.c.d or a.b.c.d/n)' });

const zoneSchema = z.object({
  /** The IPv4 address the SBC binds and advertises in this zone (Via, Contact, SDP). */
  address: ipv4,
  /** UDP port for SIP in this zone (usually 5060). */
  udp: port,
  /** TLS port for SIP in this zone (usually 5061); needs the top-level `tls` section. */
  tls: port.optional(),
  /**
   * When set, this zone reads SIP only from these addresses/CIDR ranges; anything else is dropped
   * before parsing (GEN-02). Core default: the core servers and the /24 of the core address.
   */
  allowedSources: z.array(cidr).optional(),
  /** This zone never reads SIP from these. Public default: the core servers and the SBC's core address. */
  deniedSources: z.array(cidr).optional(),
}).strict();

const schema = z.object({
  /** The two networks the SBC joins: `public` (Internet side) and `core` (private side). */
  zones: z.object({ public: zoneSchema, core: zoneSchema }).strict(),
  /** Certificate and key (PEM files) for the TLS listeners. */
  tls: z.object({ cert: z.string().min(1), key: z.string().min(1) }).strict().optional(),
  /** Core servers inbound calls are spread over, in round robin (IN-04). */
  coreServers: z.array(z.object({ host: ipv4, port: port.default(5060) }).strict()).min(1, 'expected at least one core server'),
  /**
   * Skipping core servers that fail (IN-04): a server silent for `noResponseMs` after an INVITE
   * (not even 100 Trying), or answering 503, or unreachable, gets the call's next attempt and is
   * left out of the rotation for `holdDownMs`.
   */
  coreFailover: z.object({
    noResponseMs: z.number().int().min(100).default(2000),
    holdDownMs: z.number().int().min(0).default(30000),
  }).strict().default({}),
  /** Media anchoring through rtpengine's ng control protocol. */
  media: z.object({
    rtpengine: z.object({ host: hostName, port }).strict(),
  }).strict().optional(),
  /** CDR storage: PostgreSQL URL and a local spool directory that absorbs database outages. */
  cdr: z.object({
    database: z.string().regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL'),
    spoolDir: z.string().min(1),
  }).strict().optional(),
  /** ENUM lookups for outbound calls (OUT-01, OUT-02): DNS server `ip:port` and the zone suffix. */
  enum: z.object({
    server: z.string().regex(/^\d{1,3}(\.\d{1,3}){3}(:\d{1,5})?$/, 'expected ip[:port]'),
    suffix: z.string().min(1).default('e164.arpa'),
    /** Wait per DNS query try; after `attempts` silent tries the call gets 503. */
    timeoutMs: z.number().int().min(50).default(1000),
    /** DNS query tries (the first included) before giving up. */
    attempts: z.number().int().min(1).max(5).default(2),
    /** Longest an answer is cached, whatever its TTL. */
    maxCacheS: z.number().int().min(0).default(3600),
    /**
     * Per-hop time-out of outbound calls (OUT-02): a destination silent this long (not even 100 Trying)
     * counts as failed and the next record is tried. Also applies to registered contacts.
     */
    hopTimeoutMs: z.number().int().min(100).default(2000),
    /** Country code for national numbers dialled with a leading 0 (e.g. "31"); absent: only +/00 numbers are E.164. */
    countryCode: z.string().regex(/^[1-9]\d{0,2}$/, 'expected 1-3 digits').optional(),
  }).strict().optional(),
  /** The registrar of public devices (IN-02). Absent: REGISTER is answered 405. */
  registrar: z.object({
    /** Digest realm of the challenges. */
    realm: z.string().min(1).regex(/^[^"\\]+$/, 'no quotes or backslashes').default('sbc'),
    /** Users and passwords; more can be added at run time through the admin API (kept in the database). */
    users: z.array(z.object({ username: z.string().min(1).regex(/^[^\s:"]+$/, 'no spaces, colons or quotes'), password: z.string().min(1) }).strict()).default([]),
    /** Binding lifetime when the REGISTER names none. */
    defaultExpiresS: z.number().int().min(1).default(3600),
    /** Shorter requested lifetimes are refused with 423 Interval Too Brief. */
    minExpiresS: z.number().int().min(1).default(60),
    /** Longer requested lifetimes are cut to this. */
    maxExpiresS: z.number().int().min(1).default(86400),
    /** How long a digest nonce is accepted; afterwards the device is re-challenged with stale=true. */
    nonceTtlS: z.number().int().min(1).default(300),
    /** PostgreSQL keeping bindings and users across restarts; absent: memory only. */
    database: z.string().regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL').optional(),
  }).strict().refine((r) => r.minExpiresS <= r.maxExpiresS, { message: 'minExpiresS must not exceed maxExpiresS' }).optional(),
  /**
   * OPTIONS probes of the core servers (IN-04): a server that stops answering or answers 503 leaves
   * the rotation. Off by default: a core that drops OPTIONS would otherwise lose every server.
   */
  coreHealth: z.object({
    enabled: z.boolean().default(false),
    /** Time between probes of one server. */
    intervalMs: z.number().int().min(100).default(5000),
    /** A probe unanswered this long is a failure. */
    timeoutMs: z.number().int().min(50).default(2000),
    /** Failed probes in a row before a server is taken out (a 503 takes it out at once). */
    downAfter: z.number().int().min(1).default(2),
    /** Answered probes in a row before it is put back. */
    upAfter: z.number().int().min(1).default(1),
  }).strict().default({}),
  /** The HTTP admin API: a unix socket path and/or a host+port. */
  admin: z.object({
    socket: z.string().min(1).optional(),
    host: hostName.optional(),
    port: port.optional(),
  }).strict()
    .refine((a) => a.socket !== undefined || (a.host !== undefined && a.port !== undefined), {
      message: 'expected socket and/or host with port',
    })
    .refine((a) => (a.host === undefined) === (a.port === undefined), { message: 'host and port go together' }),
  /** RFC 3261 timer base values; tests shrink them. */
  timers: z.object({
    /** RTT estimate T1 (default 500 ms); timers A, B, E, F, G, H, J derive from it. */
    t1Ms: z.number().int().min(1).default(500),
    /** Maximum retransmit interval T2 (default 4 s). */
    t2Ms: z.number().int().min(1).default(4000),
    /** Maximum time a message stays in the network, T4 (default 5 s); timers I and K. */
    t4Ms: z.number().int().min(1).default(5000),
  }).strict().default({}),
  /** Safety limits: oversized messages are dropped or refused, state tables refuse new work when full. */
  limits: z.object({
    /** Largest SIP message accepted, in bytes; bigger ones are dropped and counted. */
    maxMessageBytes: z.number().int().min(512).default(65535),
    /**
     * Most concurrent transactions before new requests are answered 503. Transactions linger up
     * to 64*T1 after their final answer (about 4 per call for 32 s), so 200000 covers ~1500 calls/s.
     */
    maxTransactions: z.number().int().min(1).default(200000),
    /** Most concurrent calls (B2BUA dialog pairs) before new INVITEs are answered 503. */
    maxCalls: z.number().int().min(1).default(10000),
    /**
     * Longest header value in bytes: a request with a longer one is answered 400 on arrival, and no
     * message with one is sent to the core (issue 11).
     */
    maxHeaderValueBytes: z.number().int().min(128).default(DEFAULT_MESSAGE_LIMITS.maxHeaderValueBytes),
    /** Most header fields in a message (400 beyond). */
    maxHeaders: z.number().int().min(16).default(DEFAULT_MESSAGE_LIMITS.maxHeaders),
    /** Largest header section in bytes, counted as `Name: value` CRLF lines (400 beyond). */
    maxHeaderBytes: z.number().int().min(1024).default(DEFAULT_MESSAGE_LIMITS.maxHeaderBytes),
    /** Largest body in bytes (413 beyond). */
    maxBodyBytes: z.number().int().min(512).default(DEFAULT_MESSAGE_LIMITS.maxBodyBytes),
    /** Display names carried to the other leg are re-quoted and cut to this many characters. */
    maxDisplayNameChars: z.number().int().min(0).max(512).default(64),
  }).strict().default({}),
  /** How long a call may last whatever its signalling, so that every call ends (issue 11 point 5). */
  calls: z.object({
    /**
     * A confirmed call is ended with a BYE on both legs after this many seconds (0 = no limit). The
     * default covers any real conversation; a carrier may shorten it.
     */
    maxDurationS: z.number().int().min(0).default(14400),
    /**
     * Headroom left above the CSeq of a dialog-creating INVITE: an INVITE with a CSeq above
     * 2^31 - 1 - headroom is answered 400, since the caller could not send a valid BYE afterwards.
     */
    cseqHeadroom: z.number().int().min(1).max(2 ** 30).default(65536),
    /**
     * With media anchored: an answered call whose media relay saw no RTP/RTCP packet for this many
     * seconds, or that the relay no longer knows, is ended with a BYE on both legs (0 = off, the
     * default, since calls without media, such as load tests, would be cut; 60 matches rtpengine's).
     */
    mediaTimeoutS: z.number().int().min(0).default(0),
  }).strict().default({}),
  /**
   * Headers of a caller's INVITE copied to the other leg, by name (case-insensitive). Every other
   * header is the SBC's own or dropped. Values are bounded by the limits above.
   */
  forwardHeaders: z.array(z.string().regex(/^[A-Za-z0-9\-.!%*_+`'~]+$/, 'expected a header name')).default([]),
  /** Block list, flood and scanner protection of the public zone (IN-01). */
  security: z.object({
    /** Addresses and CIDR ranges blocked for the process's life (removable at run time through the admin API). */
    blocklist: z.array(cidr).default([]),
    /** A `blocklist(address cidr, expires_at, reason)` table, loaded at start and every `refreshS`; an outage keeps the last list. */
    database: z.object({
      url: z.string().regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL'),
      refreshS: z.number().int().min(1).default(30),
    }).strict().optional(),
    /** Automatic bans of a public source sending more than `maxRequests` messages in `windowMs`. */
    flood: z.object({
      enabled: z.boolean().default(true),
      windowMs: z.number().int().min(100).default(2000),
      maxRequests: z.number().int().min(1).default(200),
      /** How long a flooding source stays on the block list. */
      banS: z.number().int().min(1).default(60),
      /** Most sources tracked at once (least recently seen forgotten first). */
      maxSources: z.number().int().min(16).default(10000),
      /** Sources never banned for their rate (carrier trunks, load generators). */
      exempt: z.array(cidr).default([]),
    }).strict().default({}),
    /** Scanners recognised by User-Agent (case-insensitive substrings): dropped unanswered, banned `banS` (0 = not banned). */
    scanners: z.object({
      userAgents: z.array(z.string().min(1)).default([...DEFAULT_SCANNER_AGENTS]),
      banS: z.number().int().min(0).default(600),
    }).strict().default({}),
    /** Server (responses) / User-Agent (requests) value the SBC sends; absent = no such header, no banner. */
    serverHeader: z.string().min(1).regex(/^[\x20-\x7e]+$/, 'expected printable ASCII').optional(),
  }).strict().default({}),
  /** Log threshold for the JSON lines written to stdout. */
  log: z.object({ level: z.enum(['debug', 'info', 'warn', 'error']).default('info') }).strict().default({}),
}).strict().superRefine((c, ctx) => {
  if ((c.zones.public.tls !== undefined || c.zones.core.tls !== undefined) && c.tls === undefined) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['tls'], message: 'a zone has a tls port but no tls cert/key is configured' });
  }
});

export type Config = DeepReadonly<z.infer<typeof schema>>;
export type ZoneName = keyof Config['zones'];
export type ZoneConfig = Config['zones']['public'];

type DeepReadonly<T> = T extends (infer U)[]
  ? ReadonlyArray<DeepReadonly<U>>
  : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function describeIssue(issue: z.ZodIssue): string {
  const path = issue.path.join('.');
  if (issue.code === z.ZodIssueCode.unrecognized_keys) {
    const where = path === '' ? '' : `${path}: `;
    return `config: ${where}unknown option ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  }
  return `config: ${path === '' ? '(root)' : path}: ${issue.message}`;
}

/** Validates an already-parsed document. Throws ConfigError listing every problem, one per line. */
export function validateConfig(doc: unknown): Config {
  const result = schema.safeParse(doc);
  if (!result.success) throw new ConfigError(result.error.issues.map(describeIssue).join('\n'));
  return deepFreeze(result.data);
}

/** Parses YAML text (the file main.ts read) into a frozen Config. `source` names the file in errors. */
export function parseConfig(yamlText: string, source: string): Config {
  let doc: unknown;
  try {
    doc = parseYaml(yamlText);
  } catch (err) {
    throw new ConfigError(`config: ${source}: not valid YAML: ${(err as Error).message}`, err);
  }
  return validateConfig(doc);
}
