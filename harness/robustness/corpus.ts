import { Rng, serializeDraft, type Draft } from './draft';
import { GROUPS, METHODS, MUTATIONS, mutationsFor, MAX_UDP_PAYLOAD, type Group, type Method, type Mutation } from './mutations';
import { PUBLIC_CALLER_NUMBER } from '../sipp/scenario-keys';

/**
 * The robustness corpus (issue 11): valid INVITE, REGISTER, OPTIONS and BYE requests, each mutated
 * by one entry of the catalogue (mutations.ts), plus a share of unmutated baseline requests that
 * prove the SBC serves while it is being attacked. Seeded: the same seed and count give the same
 * cases, byte for byte, for the same addresses, so a failure can be replayed; a case's bytes depend
 * on the local socket it is sent from only through Via sent-by, Contact and SDP addresses.
 *
 * Every group gets its share of the cases in turn (round robin over groups, and over the mutations
 * of a group from a seeded start), so even a short run covers every group and every mutation appears
 * once the run is longer than the catalogue.
 */

export interface CorpusOptions {
  seed: number;
  cases: number;
  /** The SBC's public SIP address: Request-URI and To host. */
  sbc: { ip: string; port: number };
  /** Digits prefix of the dialled numbers (E.164 with +): case i dials prefix + i padded to 5 digits. */
  numberPrefix: string;
  /** Written into every Call-ID and branch, so answers and core-side messages can be traced to the run. */
  token: string;
}

export interface CorpusCase {
  /** `<index>:<group>/<mutation>:<method>`, unique in the corpus. */
  id: string;
  index: number;
  group: Group;
  mutation: string;
  method: Method;
  claim: string;
  /** False only for the baseline: every mutated case is the caller's fault. */
  callerFault: boolean;
  dropAllowed?: string;
  /** Why it may go unanswered over TLS (a fault in the stream's framing). */
  streamDropAllowed?: string;
  allowedServerErrors: readonly number[];
  /** The number an INVITE or BYE dials (Request-URI user), for the CDR check. */
  number: string;
  /** The Call-ID written before any mutation; a mutation may have changed or removed it. */
  callId: string;
  /** The Via branch written before any mutation: answers are attributed by it. */
  branch: string;
  /** The case's bytes as sent from `local` over `transport` (Via and Contact name it). */
  build(local: { ip: string; port: number }, transport?: 'udp' | 'tls'): Buffer;
}

/** Share of baseline (unmutated) cases: enough to keep calls flowing through the whole run. */
const BASELINE_EVERY = 10;


export function generateCorpus(o: CorpusOptions): CorpusCase[] {
  if (!Number.isInteger(o.cases) || o.cases < 1) throw new Error(`robustness corpus: cases must be a positive integer, got ${o.cases}`);
  if (!Number.isInteger(o.seed)) throw new Error(`robustness corpus: seed must be an integer, got ${o.seed}`);
  const rng = new Rng(o.seed);
  const mutated = GROUPS.filter((g) => g !== 'baseline');
  const cases: CorpusCase[] = [];
  // Within a group the mutations take turns from a seeded starting point: every one of them is used
  // once the group has had as many cases as it has mutations.
  const offsets = new Map(mutated.map((g) => [g, rng.int(0, 1000)]));
  let turn = 0;
  for (let index = 0; index < o.cases; index++) {
    const baseline = index % BASELINE_EVERY === 0;
    let mutation: Mutation | undefined;
    let method: Method;
    if (baseline) {
      method = rng.pick(METHODS);
    } else {
      const group = mutated[turn % mutated.length]!;
      const candidates = MUTATIONS.filter((m) => m.group === group);
      mutation = candidates[(offsets.get(group)! + Math.floor(turn / mutated.length)) % candidates.length]!;
      turn++;
      method = rng.pick(METHODS.filter((m) => mutationsFor(m).includes(mutation!)));
    }
    // Each case owns a generator derived from the corpus seed and its index: its bytes do not depend
    // on how many random numbers earlier cases used, nor on the socket it is later built for.
    const caseSeed = (o.seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
    cases.push(makeCase(o, index, method, mutation, caseSeed));
  }
  return cases;
}

function makeCase(o: CorpusOptions, index: number, method: Method, mutation: Mutation | undefined, caseSeed: number): CorpusCase {
  const number = `${o.numberPrefix}${String(index).padStart(5, '0')}`;
  const callId = `${o.token}-${index}`;
  const branch = `z9hG4bK${o.token}x${index}`;
  const group: Group = mutation?.group ?? 'baseline';
  const name = mutation?.name ?? 'valid';
  return {
    id: `${index}:${group}/${name}:${method}`,
    index,
    group,
    mutation: name,
    method,
    claim: mutation?.claim ?? `a valid ${method}`,
    callerFault: mutation !== undefined,
    ...(mutation?.dropAllowed ? { dropAllowed: mutation.dropAllowed } : {}),
    ...(mutation?.streamDropAllowed ? { streamDropAllowed: mutation.streamDropAllowed } : {}),
    allowedServerErrors: mutation?.allowedServerErrors ?? [],
    number,
    callId,
    branch,
    build: (local, transport = 'udp') => {
      const draft = baseRequest(method, { sbc: o.sbc, local, number, callId: `${callId}@${local.ip}`, branch, index, transport });
      const out = mutation ? mutation.apply(draft, new Rng(caseSeed)) : draft;
      const data = Buffer.isBuffer(out) ? out : serializeDraft(out);
      if (data.length > MAX_UDP_PAYLOAD) throw new Error(`robustness corpus: case ${index} (${name}) is ${data.length} bytes, more than a UDP datagram holds`);
      return data;
    },
  };
}

interface BaseFields {
  sbc: { ip: string; port: number };
  local: { ip: string; port: number };
  number: string;
  callId: string;
  branch: string;
  index: number;
  transport?: 'udp' | 'tls';
}

/** An offer any SBC should take: G.711 both laws, the caller's own address (a public one). */
export function baseSdp(ip: string, index: number): string {
  return [
    'v=0', `o=- ${1000 + index} 1 IN IP4 ${ip}`, 's=-', `c=IN IP4 ${ip}`, 't=0 0',
    `m=audio ${20000 + (index % 5000) * 2} RTP/AVP 0 8`, 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=sendrecv', '',
  ].join('\r\n');
}

/** The valid request every case starts from (RFC 3261 8.1.1: every mandatory header, nothing unusual). */
export function baseRequest(method: Method, f: BaseFields): Draft {
  const sbc = `${f.sbc.ip}:${f.sbc.port}`;
  const local = `${f.local.ip}:${f.local.port}`;
  const tls = f.transport === 'tls';
  const user = method === 'REGISTER' ? `robust${f.index}` : f.number;
  const uri = method === 'REGISTER' ? `sip:${sbc}` : `sip:${user}@${sbc}`;
  const headers: Array<[string, string]> = [
    ['Via', `SIP/2.0/${tls ? 'TLS' : 'UDP'} ${local};branch=${f.branch}${tls ? '' : ';rport'}`],
    ['Max-Forwards', '70'],
    ['From', method === 'REGISTER' ? `<sip:${user}@${sbc}>;tag=f${f.index}` : `"Robust ${f.index}" <sip:${PUBLIC_CALLER_NUMBER}@${f.local.ip}>;tag=f${f.index}`],
    ['To', method === 'BYE' ? `<sip:${user}@${sbc}>;tag=t${f.index}` : `<sip:${user}@${sbc}>`],
    ['Call-ID', f.callId],
    ['CSeq', `${method === 'BYE' ? 2 : 1} ${method}`],
    ['Contact', `<sip:${method === 'REGISTER' ? user : 'caller'}@${local}${tls ? ';transport=tls' : ''}>`],
  ];
  if (method === 'REGISTER') headers.push(['Expires', '60']);
  if (method === 'INVITE') {
    headers.push(['Allow', 'INVITE, ACK, CANCEL, BYE, OPTIONS'], ['Content-Type', 'application/sdp']);
    return { startLine: `INVITE ${uri} SIP/2.0`, headers, body: baseSdp(f.local.ip, f.index) };
  }
  if (method === 'OPTIONS') headers.push(['Accept', 'application/sdp']);
  return { startLine: `${method} ${uri} SIP/2.0`, headers, body: '' };
}

/** Cases per group and per mutation, for the report and the tests. */
export function corpusCounts(cases: readonly CorpusCase[]): { byGroup: Record<string, number>; byMutation: Record<string, number> } {
  const byGroup: Record<string, number> = {};
  const byMutation: Record<string, number> = {};
  for (const c of cases) {
    byGroup[c.group] = (byGroup[c.group] ?? 0) + 1;
    byMutation[`${c.group}/${c.mutation}`] = (byMutation[`${c.group}/${c.mutation}`] ?? 0) + 1;
  }
  return { byGroup, byMutation };
}
