/**
 * Dialog state (RFC 3261 §12): Call-ID, tags, CSeq counters, route set and
 * remote target, and the headers of a request sent inside the dialog
 * (§12.2.1.1), including the strict-routing case of a route without `lr`.
 */
import { parseNameAddr, parseUri } from './headers';
import { callIdOf, cseqOf, getHeader, getHeaders } from './message';
import type { SipRequest, SipResponse } from './message';

export interface DialogRequest {
  method: string;
  uri: string;
  /** Route, From, To, Call-ID, CSeq in order; Via, Max-Forwards and Contact come from the client. */
  headers: Array<[string, string]>;
  /** The URI the request is first sent to: the first route, else the remote target. */
  nextHop: string;
}

export class Dialog {
  /** The route set, as header values (name-addr with brackets). */
  routeSet: string[];
  remoteTarget: string;
  remoteTag: string | undefined;
  remoteSeq: number | undefined;

  private constructor(
    readonly callId: string,
    readonly localTag: string,
    /** Our side as written in From of our requests (tag included). */
    readonly localHeader: string,
    /** The peer as written in To of our requests (tag included once known). */
    public remoteHeader: string,
    public localSeq: number,
    routeSet: string[],
    remoteTarget: string,
  ) {
    this.routeSet = routeSet;
    this.remoteTarget = remoteTarget;
    this.remoteTag = parseNameAddr(remoteHeader).tag;
  }

  /** UAC side (§12.1.2): route set is the response's Record-Route reversed; target its Contact. */
  static asUac(invite: SipRequest, response: SipResponse): Dialog {
    const from = getHeader(invite, 'from') ?? '';
    const localTag = parseNameAddr(from).tag ?? '';
    const contact = getHeaders(response, 'contact')[0];
    return new Dialog(
      callIdOf(invite) ?? '',
      localTag,
      from,
      getHeader(response, 'to') ?? getHeader(invite, 'to') ?? '',
      cseqOf(invite)?.seq ?? 1,
      getHeaders(response, 'record-route').reverse(),
      contact ? parseNameAddr(contact).uri : invite.uri,
    );
  }

  /** UAS side (§12.1.1): route set is the request's Record-Route in order; target its Contact. */
  static asUas(invite: SipRequest, localTag: string): Dialog {
    const contact = getHeaders(invite, 'contact')[0];
    const to = getHeader(invite, 'to') ?? '';
    const dialog = new Dialog(
      callIdOf(invite) ?? '',
      localTag,
      parseNameAddr(to).tag ? to : `${to};tag=${localTag}`,
      getHeader(invite, 'from') ?? '',
      0,
      getHeaders(invite, 'record-route'),
      contact ? parseNameAddr(contact).uri : '',
    );
    dialog.remoteSeq = cseqOf(invite)?.seq;
    return dialog;
  }

  /** A 2xx retransmission or a target refresh may change the remote target. */
  updateFromResponse(response: SipResponse): void {
    const to = getHeader(response, 'to');
    if (to && this.remoteTag === undefined) {
      this.remoteHeader = to;
      this.remoteTag = parseNameAddr(to).tag;
    }
  }

  /** Headers for a new request in the dialog; ACK reuses the INVITE's CSeq number (§13.2.2.4). */
  request(method: string, seq?: number): DialogRequest {
    const upper = method.toUpperCase();
    const cseq = seq ?? (upper === 'ACK' || upper === 'CANCEL' ? this.localSeq : ++this.localSeq);
    const headers: Array<[string, string]> = [];
    let uri = this.remoteTarget;
    const first = this.routeSet[0];
    let routes = this.routeSet;
    if (first !== undefined && parseUri(parseNameAddr(first).uri)?.params.lr === undefined) {
      // §12.2.1.1 strict routing: the first route becomes the Request-URI, the target goes last.
      uri = parseNameAddr(first).uri;
      routes = [...this.routeSet.slice(1), `<${this.remoteTarget}>`];
    }
    for (const route of routes) headers.push(['Route', route]);
    headers.push(
      ['From', this.localHeader],
      ['To', this.remoteHeader],
      ['Call-ID', this.callId],
      ['CSeq', `${cseq} ${upper}`],
    );
    const nextHop = first !== undefined ? parseNameAddr(first).uri : this.remoteTarget;
    return { method: upper, uri, headers, nextHop };
  }
}
