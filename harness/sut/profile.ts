import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/**
 * The SUT profile: everything the suite knows about an SBC (DESIGN.md, "SUT profile"). A requirement the
 * profile cannot exercise (no provisioning for it, no CDR query) is reported "not run", never "pass".
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
  z.object({ shell: z.string().min(1) }).strict(),
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

export const sutProfileSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    /** The SBC's version or build, shown on the certificate (a YAML number such as 5.6 is taken as written). */
    version: z.union([z.string().min(1), z.number()]).optional(),
    sbc: z.object({ public: endpoint, core: endpoint }).strict(),
    /** Host names of the core that must never be seen on the public side (addresses are known from the topology). */
    coreHostNames: z.array(z.string()).default([]),
    /** How the topology starts this SBC. Absent for an SBC the suite does not start (an appliance, a VM). */
    start: z
      .object({
        /** Command run in the SBC's namespace, from the repository root. */
        command: z.array(z.string().min(1)).min(1),
        /** A configuration file the topology writes from a template before starting the SBC. */
        config: z.object({ template: z.string().min(1), path: z.string().min(1) }).strict().optional(),
        /** Readiness probe: an HTTP URL that answers 2xx once the SBC serves SIP. */
        ready: z.object({ http: z.string().min(1), timeoutMs: z.number().int().positive().default(20000) }).strict(),
        stopSignal: z.enum(['SIGTERM', 'SIGINT']).default('SIGTERM'),
      })
      .strict()
      .optional(),
    /**
     * Where the SBC reports that it is alive: an HTTP URL answering 2xx, optionally with a JSON body
     * holding `pid`. The robustness checks compare it before and after hostile input (a restarted
     * process is a crash, even when it serves again).
     */
    health: z.object({ http: z.string().min(1).describe('http://host:port/path or unix:/path/to.sock:/path') }).strict().optional(),
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
     * a crash). `kill: sigkill` sends SIGKILL to the process the topology started; `start: start` runs the
     * `start` section again (same command and configuration file, in the SBC's namespace). An SBC the suite
     * does not start names actions instead. Without this section the crash scenario is "not run".
     */
    control: z
      .object({
        kill: z.union([z.literal('sigkill'), action]),
        start: z.union([z.literal('start'), action]),
        /** Readiness after the restart; defaults to `start.ready`. */
        ready: z.object({ http: z.string().min(1), timeoutMs: z.number().int().positive().default(20000) }).strict().optional(),
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

export type SutProfile = z.infer<typeof sutProfileSchema>;

export class SutProfileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`invalid SUT profile ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'SutProfileError';
  }
}

/** `${NAME}` placeholders, filled from the topology (RUN_DIR, CDR_DB_URL, ...). Unknown names are an error. */
export function substitute(text: string, vars: Record<string, string>, where: string): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    const v = vars[name];
    if (v === undefined) throw new Error(`${where}: unknown placeholder \${${name}} (known: ${Object.keys(vars).join(', ')})`);
    return v;
  });
}

export function parseSutProfile(text: string, file: string): SutProfile {
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
  return result.data;
}

export function loadSutProfile(file: string): SutProfile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new SutProfileError(file, [`cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`]);
  }
  return parseSutProfile(text, file);
}
