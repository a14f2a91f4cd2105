import { LimitError } from '../errors';

export type LegSide = 'a' | 'b';

/** What the registry needs to know about a call to find it again. */
export interface RegisteredCall {
  readonly key: string;
  /** Call-ID and our tag of each leg, known from the start (we pick our tags). */
  legIds(): Array<{ side: LegSide; callId: string; localTag: string }>;
  /** The key of the caller's INVITE server transaction, for CANCEL matching. */
  readonly inviteTxKey: string;
}

/**
 * Finds the call a request belongs to, by dialog (Call-ID + our tag, RFC 3261 12.2.2) or by the
 * INVITE transaction a CANCEL targets. Bounded: when full, new calls are refused.
 */
export class CallRegistry<C extends RegisteredCall> {
  private readonly byDialog = new Map<string, { call: C; side: LegSide }>();
  private readonly byInviteTx = new Map<string, C>();
  private readonly calls = new Map<string, C>();
  /** The ids each call was filed under, so a call whose B leg changed can be refiled. */
  private readonly filed = new Map<C, Array<{ side: LegSide; callId: string; localTag: string }>>();
  private readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  get size(): number {
    return this.calls.size;
  }

  get full(): boolean {
    return this.calls.size >= this.limit;
  }

  add(call: C): void {
    if (this.full) throw new LimitError('calls', this.limit);
    this.calls.set(call.key, call);
    this.byInviteTx.set(call.inviteTxKey, call);
    this.file(call);
  }

  /** Refiles a call after its leg identifiers changed (a new B-leg attempt after a failover). */
  refresh(call: C): void {
    if (this.calls.get(call.key) !== call) return;
    this.unfile(call);
    this.file(call);
  }

  remove(call: C): void {
    if (this.calls.get(call.key) !== call) return;
    this.calls.delete(call.key);
    this.byInviteTx.delete(call.inviteTxKey);
    this.unfile(call);
  }

  private file(call: C): void {
    const ids = call.legIds();
    this.filed.set(call, ids);
    for (const id of ids) this.byDialog.set(dialogKey(id.callId, id.localTag), { call, side: id.side });
  }

  private unfile(call: C): void {
    for (const id of this.filed.get(call) ?? []) this.byDialog.delete(dialogKey(id.callId, id.localTag));
    this.filed.delete(call);
  }

  find(callId: string, localTag: string): { call: C; side: LegSide } | undefined {
    return this.byDialog.get(dialogKey(callId, localTag));
  }

  findByInviteTx(txKey: string): C | undefined {
    return this.byInviteTx.get(txKey);
  }

  all(): C[] {
    return [...this.calls.values()];
  }
}

function dialogKey(callId: string, localTag: string): string {
  return `${callId}\u0000${localTag}`;
}
