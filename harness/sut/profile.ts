import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ACTION_PLACEHOLDERS, RTPENGINE_PLACEHOLDERS, TOPOLOGY_PLACEHOLDERS, stringsOf, unknownPlaceholders } from './placeholders';

export { substitute } from './placeholders';

/**
 * The SUT profile: everything the suite knows about an SBC (DESIGN.md, "SUT profile"). A requirement the
 * profile cannot exercise (no provisioning for it, no CDR query) is reported "incomplete", never "pass".
 * Relative paths in a profile are relative to the profile file; `${NAME}` placeholders are checked
 * against placeholders.ts when the profile is loaded, so a typo stops the run before anything starts.
 */
const ipv4 = z.string().regex(/^(\d{1,3})(\.\d{1,3}){3}$/, 'expected an IPv4 address');
const port = z.number().int().min(1).max(65535);

const endpoint = z
  .object({
    address: ipv4.describe('the SBC address in this zone'),
    udp: port.default(5060).describe('SIP over UDP port'),
    tls: port.optional().describe('SIP over TLS port; absent when the SBC has no TLS in this zone'),
  })
  .strict();

/** A provisioning action: a shell command or an HTTP call; `${ip}`, `${user}`, ... are substituted. */
const action = z.union([
  z.object({ shell: z.string().min(1).describe('run with sh -c in the SBC namespace') }).strict(),
  z
    .object({
      http: z
        .object({
          method: z.enum(['GET', 'POST', 'PUT', 'DELETE']).default('POST'),
          url: z.string().min(1).describe('http://host:port/path or unix:/path/to.sock:/path'),
          body: z.string().optional(),
          headers: z.record(z.string()).optional(),
        })
        .strict(),
    })
    .strict(),
]);
export type SutAction = z.infer<typeof action>;

const zone = z.enum(['public', 'core']).default('public');

/**
 * How the suite tells that the SBC is alive: exactly one of these (probe.ts runs them). `sipOptions`
 * is what SBC operators and load balancers use; `http` suits an SBC with a health endpoint.
 */
const probeFields = {
  http: z.string().min(1).optional().describe('an HTTP URL (or unix:/sock:/path) that answers 2xx; a JSON body may hold `pid`'),
  sipOptions: z
    .object({ zone: zone.describe('the zone the OPTIONS leaves from; it goes to the SBC address and UDP port of that zone') })
    .strict()
    .optional()
    .describe('an OPTIONS request without a user part; any final response means alive'),
  tcp: z
    .object({ zone: zone.describe('the zone the connection leaves from'), port: port.optional().describe('default: the zone\'s TLS port') })
    .strict()
    .optional()
    .describe('a TCP connection to the SBC address of that zone is accepted'),
  udp: z
    .object({ zone: zone.describe('which SBC address'), port: port.optional().describe('default: the zone\'s UDP port') })
    .strict()
    .optional()
    .describe('a UDP socket is bound to that SBC address and port in the SBC namespace'),
  command: z.string().min(1).optional().describe('a shell command run in the SBC namespace; exit status 0 means alive'),
};
const PROBE_KINDS = Object.keys(probeFields) as (keyof typeof probeFields)[];

function exactlyOneProbe(p: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const set = PROBE_KINDS.filter((k) => p[k] !== undefined);
  if (set.length !== 1) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `exactly one of ${PROBE_KINDS.join(', ')} (got ${set.length ? set.join(', ') : 'none'})` });
}

const probe = z.object(probeFields).strict().superRefine(exactlyOneProbe);
const readiness = z
  .object({ ...probeFields, timeoutMs: z.number().int().positive().default(20000).describe('how long to wait for the probe to succeed') })
  .strict()
  .superRefine(exactlyOneProbe);
export type SutProbe = z.infer<typeof probe>;
export type SutReadiness = z.infer<typeof readiness>;

const configFile = z
  .object({
    template: z.string().min(1).describe('template file, relative to the profile'),
    path: z.string().min(1).describe('where the rendered file is written (usually under ${RUN_DIR})'),
  })
  .strict();

export const sutProfileSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    /** The SBC's version or build, shown on the certificate (a YAML number such as 5.6 is taken as written). */
    version: z.union([z.string().min(1), z.number()]).optional(),
    sbc: z.object({ public: endpoint, core: endpoint }).strict(),
    /** Host names of the core that must never be seen on the public side (addresses are known from the topology). */
    coreHostNames: z.array(z.string()).default([]),
    /**
     * Media relay: `rtpengine` (the topology starts one in the SBC namespace; RTPENGINE_* placeholders)
     * or `own` (the SBC brings its own; the topology starts none).
     */
    media: z.object({ relay: z.enum(['rtpengine', 'own']).default('rtpengine') }).strict().default({}),
    /**
     * How the SBC's database is prepared before it starts: SQL files applied in order as DB_USER, or a
     * shell command run in the SBC namespace. Without it the database is empty.
     */
    database: z
      .union([
        z.object({ sql: z.array(z.string().min(1)).min(1).describe('SQL files, relative to the profile') }).strict(),
        z.object({ command: z.string().min(1).describe('a shell command run in the SBC namespace (DB_* placeholders)') }).strict(),
      ])
      .optional(),
    /** How the topology starts this SBC. Absent for an SBC the suite does not start (an appliance, a VM). */
    start: z
      .object({
        /** Command run in the SBC's namespace, from the profile's directory. */
        command: z.array(z.string().min(1)).min(1),
        /** Configuration files the topology writes from templates before starting the SBC (the first start). */
        config: z.union([configFile, z.array(configFile)]).optional(),
        ready: readiness,
        stopSignal: z.enum(['SIGTERM', 'SIGINT']).default('SIGTERM'),
      })
      .strict()
      .optional(),
    /**
     * How the suite checks that the SBC is alive (robustness: before and after hostile input). An HTTP
     * health URL whose JSON body holds `pid` also proves that the process did not restart.
     */
    health: probe.optional(),
    /**
     * Where the SBC publishes Prometheus metrics; capacity runs scrape it around every step. `eventLoopDelay`
     * names a histogram of the SBC's event-loop delay in seconds (an SBC built on an event loop); without it
     * the figure is reported as "not reported".
     */
    metrics: z
      .object({
        http: z.string().min(1).describe('an HTTP URL (or unix:/sock:/path) answering Prometheus text'),
        eventLoopDelay: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'a Prometheus metric name').optional(),
      })
      .strict()
      .optional(),
    provision: z
      .object({
        blockIp: action.optional(),
        unblockIp: action.optional(),
        addUser: action.optional(),
        removeUser: action.optional(),
        reload: action.optional(),
      })
      .strict()
      .default({}),
    cdr: z
      .object({
        /** PostgreSQL connection string the suite uses to read CDRs. */
        connection: z.string().min(1),
        /** SQL returning the normalised columns: call_id, attempt_at, answer_at, end_at, duration_s, src_number, dst_number, remote_ip, final_status. */
        query: z.string().min(1),
      })
      .strict()
      .optional(),
    /**
     * How the suite crashes the SBC and starts it again (GEN-05: no CDR of a finished call is lost across
     * a crash). `kill: sigkill` sends SIGKILL to every process of the SBC (the process tree the topology
     * started and whatever else runs in its namespace, except the topology's rtpengine) and waits until
     * its SIP ports are free; `start: start` runs the `start` section again. An SBC the suite does not
     * start names actions instead. Without this section the crash scenario is "incomplete".
     */
    control: z
      .object({
        kill: z.union([z.literal('sigkill'), action]),
        start: z.union([z.literal('start'), action]),
        /** Readiness after the restart; defaults to `start.ready`. */
        ready: readiness.optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (!p.control) return;
    const needsStart = (field: string): void => {
      if (!p.start) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['control', field], message: `needs the start section (the suite did not start this SBC)` });
    };
    if (p.control.kill === 'sigkill') needsStart('kill');
    if (p.control.start === 'start') needsStart('start');
    if (!p.control.ready && !p.start) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['control', 'ready'], message: 'required when there is no start section' });
  });

type ParsedProfile = z.infer<typeof sutProfileSchema>;

/** A loaded profile: paths made absolute (relative to the profile), config templates as a list. */
export type SutProfile = Omit<ParsedProfile, 'start' | 'database'> & {
  /** Absolute directory of the profile file (`${PROFILE_DIR}`). */
  dir: string;
  database?: { sql: string[] } | { command: string } | undefined;
  start?: (Omit<NonNullable<ParsedProfile['start']>, 'config'> & { config: { template: string; path: string }[] }) | undefined;
};

export class SutProfileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`invalid SUT profile ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'SutProfileError';
  }
}

/** The placeholder names a profile may use (topology facts, and rtpengine's when it uses the topology's). */
export function knownPlaceholders(p: Pick<ParsedProfile, 'media'>): Set<string> {
  const docs = p.media.relay === 'rtpengine' ? [...TOPOLOGY_PLACEHOLDERS, ...RTPENGINE_PLACEHOLDERS] : TOPOLOGY_PLACEHOLDERS;
  return new Set(docs.map((d) => d.name));
}

/** Problems with the placeholders of every field that is filled in at run time, templates included. */
function placeholderProblems(p: SutProfile, extra: readonly string[]): string[] {
  const known = new Set([...knownPlaceholders(p), ...extra]);
  const fields = { start: p.start, health: p.health, metrics: p.metrics, cdr: p.cdr, control: p.control, database: p.database };
  const problems = unknownPlaceholders(stringsOf(fields), known);
  for (const [name, spec] of Object.entries(p.provision)) {
    problems.push(...unknownPlaceholders(stringsOf(spec, ['provision', name]), new Set([...known, ...(ACTION_PLACEHOLDERS[name] ?? [])])));
  }
  for (const [i, c] of (p.start?.config ?? []).entries()) {
    let text: string;
    try {
      text = readFileSync(c.template, 'utf8');
    } catch (err) {
      problems.push(`start.config.${i}.template: cannot read ${c.template}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      continue;
    }
    // Line numbers make a template's unknown placeholder easy to find.
    text.split('\n').forEach((line, n) => problems.push(...unknownPlaceholders([{ path: [`start.config.${i}.template (${c.template}:${n + 1})`], text: line }], known)));
  }
  return problems;
}

export interface ParseOptions {
  /** Placeholder names the caller fills in on top of the topology's (tests of the lifecycle use their own). */
  extraPlaceholders?: readonly string[];
}

export function parseSutProfile(text: string, file: string, o: ParseOptions = {}): SutProfile {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (err) {
    throw new SutProfileError(file, [`not valid YAML: ${(err as Error).message}`]);
  }
  const result = sutProfileSchema.safeParse(data);
  if (!result.success) {
    throw new SutProfileError(
      file,
      result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`),
    );
  }
  const dir = dirname(resolve(file));
  const abs = (path: string): string => (isAbsolute(path) || path.startsWith('${') ? path : resolve(dir, path));
  const { start, database, ...rest } = result.data;
  const profile: SutProfile = {
    ...rest,
    dir,
    ...(database ? { database: 'sql' in database ? { sql: database.sql.map(abs) } : database } : {}),
    ...(start
      ? { start: { ...start, config: (start.config === undefined ? [] : [start.config].flat()).map((c) => ({ template: abs(c.template), path: abs(c.path) })) } }
      : {}),
  };
  const problems = placeholderProblems(profile, o.extraPlaceholders ?? []);
  if (problems.length) throw new SutProfileError(file, problems);
  return profile;
}

export function loadSutProfile(file: string, o: ParseOptions = {}): SutProfile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new SutProfileError(file, [`cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`]);
  }
  return parseSutProfile(text, file, o);
}
