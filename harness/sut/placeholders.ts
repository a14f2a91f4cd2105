/**
 * The `${NAME}` placeholders a SUT profile may use: every fact of the topology an SBC's configuration
 * needs (DESIGN.md, "SUT profile"). The topology fills them (topology/sut-vars.ts); a profile that names
 * one that does not exist is refused when it is loaded, before anything starts, with the field named.
 * The README's vendor guide lists them from this table.
 */
export interface PlaceholderDoc {
  name: string;
  description: string;
  example: string;
}

const doc = (name: string, description: string, example: string): PlaceholderDoc => ({ name, description, example });

/** Always defined, whatever the profile says. */
export const TOPOLOGY_PLACEHOLDERS: readonly PlaceholderDoc[] = Object.freeze([
  doc('RUN_DIR', 'the run directory (removed at teardown): configuration files, sockets, pid files, spools', '/tmp/sbcx-3f2a-XXXX'),
  doc('PROFILE_DIR', 'the directory of the profile file itself (its configuration templates, scripts, SQL)', '/repo/topology/suts/kamailio'),
  doc('REPO', 'the root of this repository', '/repo'),
  doc('SBC_PUBLIC_IF', 'the SBC namespace\'s network interface in the public zone', 'sp3f2a'),
  doc('SBC_CORE_IF', 'the SBC namespace\'s network interface in the core zone', 'sc3f2a'),
  doc('PUBLIC_NET', 'the public zone\'s network (CIDR)', '203.0.113.0/24'),
  doc('CORE_NET', 'the core zone\'s network (CIDR)', '10.20.0.0/24'),
  doc('CORE_SERVER_1', 'address of the first core server (SIP over UDP on CORE_SERVER_PORT)', '10.20.0.21'),
  doc('CORE_SERVER_2', 'address of the second core server', '10.20.0.22'),
  doc('CORE_SERVER_3', 'address of the third core server', '10.20.0.23'),
  doc('CORE_SERVER_PORT', 'SIP port of every core server', '5060'),
  doc('CORE_SERVERS', 'every core server as host:port, separated by single spaces', '10.20.0.21:5060 10.20.0.22:5060 10.20.0.23:5060'),
  doc('ENUM_DNS', 'address of the DNS server authoritative for the ENUM zone', '10.20.0.53'),
  doc('ENUM_DNS_PORT', 'its port (UDP and TCP)', '53'),
  doc('ENUM_SUFFIX', 'the ENUM zone', 'e164.arpa'),
  doc('DB_HOST', 'address of the PostgreSQL server in the core zone', '10.20.0.54'),
  doc('DB_PORT', 'its TCP port', '5432'),
  doc('DB_NAME', 'the database the SBC owns (its schema is the profile\'s `database` section)', 'sbc'),
  doc('DB_USER', 'the database user (owner of DB_NAME)', 'sbc'),
  doc('DB_PASSWORD', 'its password', 'sbc'),
  doc('DB_SOCKET_DIR', 'directory of the server\'s unix socket (reachable from every namespace)', '/tmp/sbcx-3f2a-XXXX/pgsock'),
  doc('CDR_DB_URL', 'postgres:// URL of the database over TCP, as the SBC reaches it', 'postgres://sbc:sbc@10.20.0.54:5432/sbc'),
  doc('CDR_DB_LOCAL_URL', 'URL of the same database over the unix socket (what the suite reads CDRs with)', 'postgresql://sbc@/sbc?host=...'),
  doc('TLS_CERT', 'PEM certificate of the SBC (both addresses in subjectAltName), issued by TLS_CA', '/tmp/sbcx-.../pki/sbc.crt'),
  doc('TLS_KEY', 'its PEM private key', '/tmp/sbcx-.../pki/sbc.key'),
  doc('TLS_CA', 'the run\'s test CA certificate (PEM), which also issued the public peers\' certificates', '/tmp/sbcx-.../pki/ca.crt'),
]);

/** Defined only when the profile uses the topology's rtpengine (`media.relay: rtpengine`, the default). */
export const RTPENGINE_PLACEHOLDERS: readonly PlaceholderDoc[] = Object.freeze([
  doc('RTPENGINE_NG_HOST', 'address of rtpengine\'s ng control socket (UDP) inside the SBC namespace', '127.0.0.1'),
  doc('RTPENGINE_NG_PORT', 'its port', '2223'),
  doc('RTPENGINE_PUBLIC_IF', 'name of rtpengine\'s logical interface on the SBC public address', 'pub'),
  doc('RTPENGINE_CORE_IF', 'name of rtpengine\'s logical interface on the SBC core address', 'core'),
]);

/** Values a provisioning action gets on top of the topology's (`provision.<action>`). */
export const ACTION_PLACEHOLDERS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  blockIp: ['ip'],
  unblockIp: ['ip'],
  addUser: ['user', 'password'],
  removeUser: ['user'],
  reload: [],
});

const PATTERN = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** The placeholder names `text` uses, in order of appearance. */
export function placeholdersIn(text: string): string[] {
  return [...text.matchAll(PATTERN)].map((m) => m[1]!);
}

/** `${NAME}` placeholders filled from `vars`. Unknown names are an error naming `where`. */
export function substitute(text: string, vars: Record<string, string>, where: string): string {
  return text.replace(PATTERN, (_, name: string) => {
    const v = vars[name];
    if (v === undefined) throw new Error(`${where}: unknown placeholder \${${name}} (known: ${Object.keys(vars).join(', ')})`);
    return v;
  });
}

/**
 * Every string of `value` (a parsed profile section) with the path that leads to it, so an unknown
 * placeholder can be reported at its field (`start.command.2`).
 */
export function stringsOf(value: unknown, path: string[] = []): { path: string[]; text: string }[] {
  if (typeof value === 'string') return [{ path, text: value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringsOf(v, [...path, String(i)]));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => stringsOf(v, [...path, k]));
  return [];
}

/** Problems (`field: unknown placeholder ${X}`) for every placeholder of `texts` not in `known`. */
export function unknownPlaceholders(texts: { path: string[]; text: string }[], known: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  for (const { path, text } of texts) {
    for (const name of placeholdersIn(text)) {
      if (!known.has(name)) problems.push(`${path.join('.')}: unknown placeholder \${${name}}`);
    }
  }
  return problems;
}

/** The placeholder table of the README's vendor guide (Markdown), generated from the lists above. */
export function renderPlaceholderTable(): string {
  const row = (d: PlaceholderDoc, when: string): string => `| \`\${${d.name}}\` | ${d.description} | ${when} | \`${d.example}\` |`;
  return [
    '| placeholder | value | defined | example |',
    '|---|---|---|---|',
    ...TOPOLOGY_PLACEHOLDERS.map((d) => row(d, 'always')),
    ...RTPENGINE_PLACEHOLDERS.map((d) => row(d, '`media.relay: rtpengine`')),
    ...Object.entries(ACTION_PLACEHOLDERS).filter(([, names]) => names.length)
      .map(([action, names]) => `| ${names.map((n) => `\`\${${n}}\``).join(', ')} | the action's own values | in \`provision.${action}\` only | |`),
  ].join('\n');
}
