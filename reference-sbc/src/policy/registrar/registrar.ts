import type { Logger } from '../../logger';
import type { Metrics } from '../../metrics';
import { parseNameAddr, type NameAddr } from '../../sip/header-values';
import { getParam } from '../../sip/grammar';
import { newTag } from '../../sip/ids';
import { createResponse, type SipRequest, type SipResponse } from '../../sip/message';
import { serializeUri, uriUser } from '../../sip/uri';
import type { Inbound } from '../../transport/types';
import { DigestAuthenticator, hashHex } from './digest-auth';
import type { ContactDirectory, ContactRoute } from '../routing';
import type { Binding, RegistrationStore, UserSecrets } from './registration-store';

/**
 * The registrar (RFC 3261 10.3, IN-02): REGISTER from public devices, digest authentication
 * against configured or provisioned users, bindings with expiry limits (423 Interval Too Brief),
 * removal with Expires 0 or `Contact: *`. Calls from the core find devices through `contacts`.
 */

export interface RegistrarOptions {
  realm: string;
  /** Without users every REGISTER is refused 403: an open registrar would let anyone take any number. */
  users: ReadonlyArray<{ username: string; password: string }>;
  defaultExpiresS: number;
  minExpiresS: number;
  maxExpiresS: number;
  nonceTtlS: number;
  /** The zone devices register from; REGISTER arriving in any other zone is refused. */
  publicZone: string;
}

/** Longest a REGISTER waits for its binding to reach the database before it is answered anyway. */
const PERSIST_WAIT_MS = 1000;

export function userSecrets(username: string, realm: string, password: string): UserSecrets {
  return { md5: hashHex('MD5', `${username}:${realm}:${password}`), sha256: hashHex('SHA-256', `${username}:${realm}:${password}`) };
}

export class Registrar implements ContactDirectory {
  private readonly o: RegistrarOptions;
  private readonly store: RegistrationStore;
  private readonly auth: DigestAuthenticator;
  private readonly log: Logger;
  private readonly metrics: Metrics;
  private readonly now: () => number;

  constructor(o: RegistrarOptions, deps: { store: RegistrationStore; log: Logger; metrics: Metrics; now?: () => number }) {
    this.o = o;
    this.store = deps.store;
    this.log = deps.log;
    this.metrics = deps.metrics;
    this.now = deps.now ?? Date.now;
    this.auth = new DigestAuthenticator({ realm: o.realm, nonceTtlS: o.nonceTtlS, now: this.now });
    for (const u of o.users) this.store.setUser(u.username, userSecrets(u.username, o.realm, u.password), false);
    deps.metrics.counter('sbc_register_total', 'REGISTER requests answered, by status');
    deps.metrics.gauge('sbc_registered_contacts', 'Live registered contacts', () => this.store.all().length);
  }

  /** Provisions (or changes) a user's password at run time (admin API). */
  addUser(username: string, password: string): void {
    this.store.setUser(username, userSecrets(username, this.o.realm, password));
  }

  removeUser(username: string): boolean {
    return this.store.removeUser(username);
  }

  contacts(user: string): ContactRoute[] {
    return this.store.lookup(user).map((b) => ({
      uri: b.contact,
      protocol: b.protocol,
      source: { address: b.sourceAddress, port: b.sourcePort },
      connectionId: b.connectionId,
    }));
  }

  bindings(): Binding[] {
    return this.store.all();
  }

  /**
   * Answers one REGISTER. A changed binding is answered once the database has it (at most
   * PERSIST_WAIT_MS), so a 200 OK means the binding survives a restart unless the database is down.
   */
  async handle(request: SipRequest, inbound: Inbound): Promise<SipResponse> {
    const writes: Array<Promise<void>> = [];
    const res = this.process(request, inbound, writes);
    if (writes.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, PERSIST_WAIT_MS);
      });
      await Promise.race([Promise.all(writes), bound]);
      clearTimeout(timer);
    }
    this.metrics.inc('sbc_register_total', { status: String(res.status) });
    return res;
  }

  private process(request: SipRequest, inbound: Inbound, writes: Array<Promise<void>>): SipResponse {
    if (inbound.zone !== this.o.publicZone) return this.answer(request, 403);
    const to = request.to();
    const user = uriUser(to.uri);
    if (user === undefined) return this.answer(request, 404, 'Not Found');
    const verdict = this.authenticate(request);
    if (verdict) return verdict;

    let contacts: NameAddr[];
    try {
      contacts = request.headers.getValues('contact').map((v) => (v.trim() === '*' ? WILDCARD : parseNameAddr(v)));
    } catch {
      return this.answer(request, 400, 'Bad Contact');
    }
    const expiresHeader = request.headers.get('expires');
    const headerExpires = expiresHeader !== undefined && /^\d+$/.test(expiresHeader.trim()) ? Number(expiresHeader.trim()) : undefined;
    const callId = request.callId();
    const cseq = request.cseq().seq;

    if (contacts.some((c) => c === WILDCARD)) {
      // RFC 3261 10.3 step 6: `*` only alone and only with Expires: 0.
      if (contacts.length !== 1 || headerExpires !== 0) return this.answer(request, 400, 'Invalid Wildcard');
      writes.push(this.store.removeAll(user));
      this.log.info('all bindings removed', { user });
      return this.withBindings(request, user);
    }
    const changes: Array<{ contact: string; expires: number; q: number }> = [];
    for (const c of contacts) {
      const param = getParam(c.params, 'expires');
      let expires = param !== undefined && /^\d+$/.test(param) ? Number(param) : (headerExpires ?? this.o.defaultExpiresS);
      if (expires > 0 && expires < this.o.minExpiresS) {
        const res = this.answer(request, 423, 'Interval Too Brief');
        res.headers.append('Min-Expires', String(this.o.minExpiresS));
        return res;
      }
      expires = Math.min(expires, this.o.maxExpiresS);
      const q = Number(getParam(c.params, 'q') ?? '1');
      changes.push({ contact: serializeUri(c.uri), expires, q: Number.isFinite(q) ? q : 1 });
    }
    const existing = this.store.lookup(user);
    for (const ch of changes) {
      const old = existing.find((b) => b.contact === ch.contact);
      // RFC 3261 10.3 step 7: an older or repeated REGISTER of the same Call-ID must not undo a newer one.
      if (old && old.callId === callId && old.cseq >= cseq) return this.answer(request, 500, 'Out Of Order');
    }
    for (const ch of changes) {
      if (ch.expires === 0) {
        writes.push(this.store.remove(user, ch.contact));
        continue;
      }
      writes.push(this.store.save({
        user,
        contact: ch.contact,
        expiresAt: this.now() + ch.expires * 1000,
        protocol: inbound.protocol,
        sourceAddress: inbound.source.address,
        sourcePort: inbound.source.port,
        connectionId: inbound.connectionId,
        callId,
        cseq,
        q: ch.q,
      }));
    }
    if (changes.length > 0) this.log.info('registered', { user, contacts: changes.map((c) => `${c.contact};expires=${c.expires}`) });
    return this.withBindings(request, user);
  }

  /** Undefined when the request is authenticated as the user it registers; else the answer to send. */
  private authenticate(request: SipRequest): SipResponse | undefined {
    const user = uriUser(request.to().uri);
    if (this.store.userCount === 0) return this.answer(request, 403);
    const header = request.headers.get('authorization');
    if (header === undefined) return this.challenge(request, false);
    const verdict = this.auth.verify(request.method, header, (name) => {
      const s = this.store.secrets(name);
      return s ? { username: name, ha1: { MD5: s.md5, 'SHA-256': s.sha256 } } : undefined;
    });
    if (!verdict.ok) {
      this.log.info('REGISTER not authenticated', { user, reason: verdict.reason });
      // Unknown nonce (another process, a replay from elsewhere) or expired one: a fresh challenge.
      // An Authorization in a scheme we do not speak (RFC 4475 3.3.7) is answered like none: a challenge
      // in ours, so the device can retry, rather than a 403 that tells it to give up.
      if (verdict.stale || verdict.reason === 'nonce not issued by us' || verdict.reason === 'not a digest Authorization') {
        return this.challenge(request, verdict.stale);
      }
      return this.answer(request, 403);
    }
    // A user may only register their own address of record.
    if (verdict.username !== user) return this.answer(request, 403);
    return undefined;
  }

  private challenge(request: SipRequest, stale: boolean): SipResponse {
    const res = this.answer(request, 401, 'Unauthorized');
    for (const c of this.auth.challenges(stale)) res.headers.append('WWW-Authenticate', c);
    return res;
  }

  /** 200 with every current binding of the user and its remaining time (RFC 3261 10.3 step 8). */
  private withBindings(request: SipRequest, user: string): SipResponse {
    const res = this.answer(request, 200, 'OK');
    const now = this.now();
    for (const b of this.store.lookup(user)) {
      res.headers.append('Contact', `<${b.contact}>;expires=${Math.max(0, Math.round((b.expiresAt - now) / 1000))}`);
    }
    res.headers.append('Date', new Date(now).toUTCString());
    return res;
  }

  private answer(request: SipRequest, status: number, reason?: string): SipResponse {
    return createResponse(request, status, reason, newTag());
  }
}

const WILDCARD: NameAddr = { displayName: undefined, uri: { kind: 'absolute', scheme: 'wildcard', rest: '*' }, params: [] };
