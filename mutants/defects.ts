import type { Defect } from './defect';

/**
 * The planted defects, at least one per requirement ID, each where a real implementation gets it
 * wrong: a forgotten case, a check applied on one path only, a unit slip, a policy run once instead
 * of on every offer. Tags name the scenarios that must refuse the SBC; they are kept tight so one
 * mutant runs in well under a minute.
 */

/** The two places the transport layer asks the security gate (new TLS connection, each message). */
const GATE_CALLS = `    const reason = this.gate?.checkConnection(zone, source);
    if (reason === undefined) return true;
    this.metrics.inc('sbc_sip_dropped_total', { zone, reason });
    return false;
  }

  /** A stream broke its framing (the listener closes that connection); counted like a malformed message. */
  reportFramingError(zone: string, reason: string): void {
    this.metrics.inc('sbc_sip_malformed_total', { zone });
    this.metrics.inc('sbc_sip_dropped_total', { zone, reason: 'framing' });
    this.log.info('stream framing error, connection closed', { zone, reason });
  }

  async close(): Promise<void> {
    await Promise.all(this.listeners.map((l) => l.close()));
  }

  private listener(zone: string, protocol: Protocol): Listener | undefined {
    return this.listeners.find((l) => l.zone === zone && l.protocol === protocol);
  }

  private receive(listener: Listener, data: Buffer, source: Endpoint, connectionId?: string): void {
    const zone = listener.zone;
    const refused = this.gate?.check(zone, source, data);`;

export const DEFECTS: readonly Defect[] = [
  // ---------------------------------------------------------------- GEN-01: policy by side
  {
    id: 'gen01-core-side-open-to-any-host',
    requirement: 'GEN-01',
    what: 'Any host on the core network can place calls through the SBC, not only the configured core servers.',
    file: 'policy/invite-steps.ts',
    find: "ctx.direction === 'outbound' && !allowed.has(ctx.inbound.source.address) ? reject(403) : CONTINUE",
    replace: "ctx.direction === 'outbound' && allowed.size === 0 ? reject(403) : CONTINUE",
    tags: '@GEN-01',
  },
  {
    id: 'gen01-core-leg-reuses-callers-call-id',
    requirement: 'GEN-01',
    what: 'The core leg of an inbound call reuses the caller\'s Call-ID, as a proxy would, so the two legs are not independent.',
    file: 'policy/call-forwarder.ts',
    find: 'const first = attemptFor(ctx, route, ctx.newCallId);',
    replace: "const first = attemptFor(ctx, route, ctx.direction === 'inbound' ? ctx.request.callId() : ctx.newCallId);",
    tags: '@GEN-01',
  },
  {
    id: 'gen01-public-calls-routed-by-enum',
    requirement: 'GEN-01',
    what: 'One routing table for both sides: a public caller\'s INVITE is routed by ENUM instead of to the core.',
    file: 'signalling.ts',
    find: "roundRobinRouteStep(new RoundRobin(config.coreServers), 'core', availability)",
    replace: 'routing.outboundStep',
    tags: '@GEN-01',
  },
  // ---------------------------------------------------------------- GEN-02: isolation
  {
    id: 'gen02-core-socket-reads-any-source',
    requirement: 'GEN-02',
    what: 'The core socket reads packets from any source, so a public host routing the core network through the SBC reaches it.',
    file: 'policy/zone-guard.ts',
    find: '      allowed: cidrSet(coreAllowed),\n',
    replace: '',
    tags: '@GEN-02',
  },
  {
    id: 'gen02-no-source-check-at-all',
    requirement: 'GEN-02',
    what: 'The SBC never checks which network a packet came from (weak host model left as is).',
    file: 'policy/security-gate.ts',
    find: "if (!this.o.zoneGuard.admits(zone, source.address)) return 'foreign-source';",
    replace: "if (!this.o.zoneGuard.admits(zone, source.address) && zone === 'none') return 'foreign-source';",
    tags: '@GEN-02',
  },
  // ---------------------------------------------------------------- GEN-03: topology hiding
  {
    id: 'gen03-early-media-sdp-unanchored',
    requirement: 'GEN-03',
    what: 'The SDP of a 183 Session Progress is relayed as the core server sent it, core addresses in c= and o=.',
    file: 'dialog/b2bua-call.ts',
    find: 'if (res.status >= 200 && this.bDialog) return this.onBResponse(res);',
    replace: 'if (res.status < 200 || this.bDialog) return this.onBResponse(res);',
    tags: '@GEN-03',
  },
  {
    id: 'gen03-own-488-warning-names-core-address',
    requirement: 'GEN-03',
    what: 'The Warning header of the SBC\'s own 488 names the SBC by its core address.',
    file: 'signalling.ts',
    find: 'const warnHost = config.zones.public.address;',
    replace: 'const warnHost = config.zones.core.address;',
    tags: '@GEN-03',
  },
  {
    id: 'gen03-server-header-passed-through',
    requirement: 'GEN-03',
    what: 'The core server\'s Server header (its host and address) is copied into the responses the caller sees.',
    file: 'dialog/b2bua-call.ts',
    find: "    out.headers.append('Contact', this.aDialogOrCreate().contact());\n    copyBody(res, out);",
    replace: "    out.headers.append('Contact', this.aDialogOrCreate().contact());\n    const server = res.headers.get('server');\n    if (server !== undefined) out.headers.append('Server', server);\n    copyBody(res, out);",
    tags: '@GEN-03',
  },
  {
    id: 'gen03-tls-legs-advertise-core-address',
    requirement: 'GEN-03',
    what: 'Legs over TLS advertise the core TLS listener\'s address in Via and Contact (a leak only visible on TLS).',
    file: 'signalling.ts',
    find: 'return local ? { zone, protocol, local } : undefined;',
    replace: "return local ? { zone, protocol, local: protocol === 'tls' ? (transport.local('core', 'tls') ?? local) : local } : undefined;",
    tags: '@GEN-03',
  },
  {
    id: 'gen03-reinvite-answer-unanchored',
    requirement: 'GEN-03',
    what: 'The answer to a re-INVITE is relayed as the core server sent it, core address in c= and o=.',
    file: 'dialog/reinvite-relay.ts',
    find: ': await this.sdp.answer(body, p.other.remoteTag);',
    replace: ': undefined;',
    tags: '@GEN-03',
  },
  // ---------------------------------------------------------------- GEN-04: OPTIONS
  {
    id: 'gen04-options-without-user-refused',
    requirement: 'GEN-04',
    what: 'OPTIONS to the SBC\'s bare address (no user part), the form most keep-alives use, is answered 404.',
    file: 'policy/sip-router.ts',
    find: "      case 'OPTIONS':\n        tx.respond(answerOptions(request));",
    replace: "      case 'OPTIONS':\n        if (!request.uri.includes('@')) {\n          this.refuse(tx, { status: 404 }, inbound);\n          return;\n        }\n        tx.respond(answerOptions(request));",
    tags: '@GEN-04',
  },
  {
    id: 'gen04-options-answered-for-blocked-address',
    requirement: 'GEN-04',
    what: 'OPTIONS is answered before the block list is consulted, so a blocked address still gets 200 OK.',
    file: 'policy/security-gate.ts',
    find: 'const early = this.checkSource(zone, source);',
    replace: "const early = data.subarray(0, 8).toString('latin1') === 'OPTIONS ' ? undefined : this.checkSource(zone, source);",
    tags: '@GEN-04',
  },
  // ---------------------------------------------------------------- GEN-05: a CDR for every attempt
  {
    id: 'gen05-no-cdr-for-the-sbcs-own-refusals',
    requirement: 'GEN-05',
    what: 'Attempts the SBC refuses itself (488 codec, 404 no ENUM record) get no CDR: rows are written only for routed calls.',
    file: 'policy/sip-router.ts',
    find: "if (ctx.announced) this.deps.onRejected(ctx, result.status, 'rejected');",
    replace: "if (ctx.announced && ctx.route) this.deps.onRejected(ctx, result.status, 'rejected');",
    tags: '@GEN-05 and not @slow',
  },
  {
    id: 'gen05-no-cdr-when-the-core-hangs-up',
    requirement: 'GEN-05',
    what: 'A call the core server hangs up never gets its end recorded, so it has no CDR.',
    file: 'dialog/b2bua-call.ts',
    find: "this.finish(200, side === 'a' ? 'caller-bye' : 'callee-bye');",
    replace: "if (side === 'a') this.finish(200, 'caller-bye');",
    tags: '@GEN-05 and not @slow',
  },
  {
    id: 'gen05-no-cdr-for-cancelled-calls',
    requirement: 'GEN-05',
    what: 'A call the caller cancels while it rings gets no CDR.',
    file: 'dialog/b2bua-call.ts',
    find: "    this.answerA(createResponse(this.setup.aTx.request, 487, undefined, this.setup.aTag));\n    this.finish(487, reason);",
    replace: "    this.answerA(createResponse(this.setup.aTx.request, 487, undefined, this.setup.aTag));\n    void reason;",
    tags: '@GEN-05 and not @slow',
  },
  {
    id: 'gen05-no-cdr-for-rejected-calls',
    requirement: 'GEN-05',
    what: 'A call the core server rejects (486) gets no CDR.',
    file: 'dialog/b2bua-call.ts',
    find: "      this.answerA(createResponse(this.setup.aTx.request, status, carriedReason(res), this.setup.aTag));\n      this.finish(status, 'rejected');",
    replace: "      this.answerA(createResponse(this.setup.aTx.request, status, carriedReason(res), this.setup.aTag));",
    tags: '@GEN-05 and not @slow',
  },
  {
    id: 'gen05-batch-dropped-while-database-down',
    requirement: 'GEN-05',
    what: 'A batch whose insert fails because the database is down is taken off the spool anyway, so its rows are lost.',
    file: 'cdr/flusher.ts',
    find: '          if (!isRecordError(err)) throw err;\n          await this.isolate(batch);',
    replace: '          if (!isRecordError(err)) {\n            this.spool.commit(batch.length);\n            throw err;\n          }\n          await this.isolate(batch);',
    tags: '@GEN-05 and @outage',
  },
  // ---------------------------------------------------------------- GEN-06: CDR fields
  {
    id: 'gen06-remote-ip-is-the-core-server',
    requirement: 'GEN-06',
    what: 'An inbound call\'s CDR records the core server it was routed to as remote IP, not the public caller.',
    file: 'policy/call-forwarder.ts',
    find: "if (ctx.direction === 'inbound') return { kind: 'routed', key: ctx.key, coreCallId: attempt.invite.callId(), peer: route.peer };",
    replace: "if (ctx.direction === 'inbound') return { kind: 'routed', key: ctx.key, coreCallId: attempt.invite.callId(), peer: route.peer, remoteIp: route.target.endpoint.address };",
    tags: '@GEN-06',
  },
  {
    id: 'gen06-source-and-destination-swapped',
    requirement: 'GEN-06',
    what: 'Source and destination numbers are written the wrong way round.',
    file: 'policy/invite-steps.ts',
    find: "        srcNumber: ctx.caller ?? '',\n        dstNumber: ctx.dialled ?? '',",
    replace: "        srcNumber: ctx.dialled ?? '',\n        dstNumber: ctx.caller ?? '',",
    tags: '@GEN-06',
  },
  {
    id: 'gen06-inbound-call-id-of-the-core-leg',
    requirement: 'GEN-06',
    what: 'An inbound call\'s CDR carries the Call-ID of the SBC\'s own core leg, which the caller never saw.',
    file: 'policy/invite-steps.ts',
    find: "publicCallId: ctx.direction === 'inbound' ? ctx.request.callId() : ctx.newCallId,",
    replace: 'publicCallId: ctx.newCallId,',
    tags: '@GEN-06',
  },
  {
    id: 'gen06-attempt-time-is-the-answer-time',
    requirement: 'GEN-06',
    what: 'The attempt time of an answered call is the moment it was answered (indistinguishable only when the core answers at once).',
    file: 'cdr/assembler.ts',
    find: '      attemptAt,\n      answerAt,\n      endAt,',
    replace: '      attemptAt: answerAt ?? attemptAt,\n      answerAt,\n      endAt,',
    tags: '@GEN-06',
  },
  {
    id: 'gen06-outbound-remote-ip-is-the-core-caller',
    requirement: 'GEN-06',
    what: 'An outbound call\'s CDR records the calling core server as remote IP, not the public destination.',
    file: 'policy/call-forwarder.ts',
    find: '    remoteIp: route.target.endpoint.address,',
    replace: '    remoteIp: ctx.inbound.source.address,',
    tags: '@GEN-06',
  },
  // ---------------------------------------------------------------- GEN-07: duration from the answer
  {
    id: 'gen07-duration-counted-from-the-invite',
    requirement: 'GEN-07',
    what: 'Duration is counted from the INVITE, so the ringing time is billed.',
    file: 'cdr/assembler.ts',
    find: 'Math.max(0, endAt.getTime() - answerAt.getTime()) : 0;',
    replace: 'Math.max(0, endAt.getTime() - attemptAt.getTime()) : 0;',
    tags: '@GEN-07',
  },
  {
    id: 'gen07-unanswered-calls-get-a-duration',
    requirement: 'GEN-07',
    what: 'An unanswered call gets the time from INVITE to its end as duration, not 0.',
    file: 'cdr/assembler.ts',
    find: 'Math.max(0, endAt.getTime() - answerAt.getTime()) : 0;',
    replace: 'Math.max(0, endAt.getTime() - answerAt.getTime()) : Math.max(0, endAt.getTime() - attemptAt.getTime());',
    tags: '@GEN-07',
  },
  {
    id: 'gen07-duration-in-milliseconds',
    requirement: 'GEN-07',
    what: 'The duration column receives milliseconds where seconds are due.',
    file: 'cdr/assembler.ts',
    find: 'durationS: Math.round(durationMs / 1000),',
    replace: 'durationS: durationMs,',
    tags: '@GEN-07',
  },
  // ---------------------------------------------------------------- GEN-08: transports
  {
    id: 'gen08-tls-1-0-accepted',
    requirement: 'GEN-08',
    what: 'The TLS listener accepts TLS 1.0 (and weak ciphers) for old phones.',
    file: 'transport/tls-listener.ts',
    find: "createServer({ cert: options.cert, key: options.key, minVersion: 'TLSv1.2' }",
    replace: "createServer({ cert: options.cert, key: options.key, minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' }",
    tags: '@GEN-08',
  },
  {
    id: 'gen08-tls-1-1-accepted',
    requirement: 'GEN-08',
    what: 'The TLS listener\'s floor is TLS 1.1, not 1.2.',
    file: 'transport/tls-listener.ts',
    find: "createServer({ cert: options.cert, key: options.key, minVersion: 'TLSv1.2' }",
    replace: "createServer({ cert: options.cert, key: options.key, minVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' }",
    tags: '@GEN-08',
  },
  {
    id: 'gen08-no-tls-on-the-public-side',
    requirement: 'GEN-08',
    what: 'TLS is only opened on the core side: nothing listens on the public address\'s port 5061.',
    file: 'sbc.ts',
    find: 'if (z.tls !== undefined && tlsFiles) {',
    replace: "if (zone === 'core' && z.tls !== undefined && tlsFiles) {",
    tags: '@GEN-08',
  },
  // ---------------------------------------------------------------- GEN-09: SRTP
  {
    id: 'gen09-srtp-policy-on-the-first-offer-only',
    requirement: 'GEN-09',
    what: 'The per-leg SRTP policy is applied to the initial offer only, so a re-INVITE\'s RTP/SAVP offer is not terminated at the SBC.',
    file: 'media/media-anchor.ts',
    find: '        ...srtpOfferFlags(o.to, o.toTransport),',
    replace: '        ...(first ? srtpOfferFlags(o.to, o.toTransport) : {}),',
    tags: '@GEN-09',
  },
  {
    id: 'gen09-answer-to-an-srtp-caller-downgraded',
    requirement: 'GEN-09',
    what: 'The answer to a caller that offered RTP/SAVP is forced to plain RTP/AVP (the SBC "does not do SRTP on answers").',
    file: 'media/media-anchor.ts',
    find: "      'to-tag': o.toTag,\n      sdp: serializeSdp(parsed),",
    replace: "      'to-tag': o.toTag,\n      'transport-protocol': 'RTP/AVP',\n      sdp: serializeSdp(parsed),",
    tags: '@GEN-09',
  },
  // ---------------------------------------------------------------- IN-01: block list
  {
    id: 'in01-block-list-on-udp-only',
    requirement: 'IN-01',
    what: 'The block list is applied to UDP only: a blocked address is served over TLS.',
    file: 'transport/transport-layer.ts',
    find: GATE_CALLS,
    replace: GATE_CALLS
      .replace('const reason = this.gate?.checkConnection(zone, source);', "const reason = this.gate?.checkConnection(zone, source) === 'blocked' ? undefined : this.gate?.checkConnection(zone, source);")
      .replace('const refused = this.gate?.check(zone, source, data);', "const refused = listener.protocol === 'tls' && this.gate?.check(zone, source, data) === 'blocked' ? undefined : this.gate?.check(zone, source, data);"),
    tags: '@IN-01',
  },
  {
    id: 'in01-unblock-does-not-unblock',
    requirement: 'IN-01',
    what: 'Removing an address from the block list at run time forgets the database entry but keeps the operator\'s own.',
    file: 'policy/blocklist.ts',
    find: '    this.entries.delete(cidr);\n    return live;',
    replace: "    bySource.delete('db');\n    return live;",
    tags: '@IN-01',
  },
  {
    id: 'in01-flood-never-banned',
    requirement: 'IN-01',
    what: 'The flood guard counts but never bans.',
    file: 'policy/security-gate.ts',
    find: 'if (!this.flood || !this.flood.hit(address)) return undefined;',
    replace: "if (!this.flood || !this.flood.hit(address) || address !== '') return undefined;",
    tags: '@IN-01',
  },
  {
    id: 'in01-scanner-answered',
    requirement: 'IN-01',
    what: 'A SIPVicious-style scanner is not recognised and gets answers.',
    file: 'policy/security-gate.ts',
    find: 'if (scanner !== undefined) {',
    replace: 'if (scanner !== undefined && data.length < 0) {',
    tags: '@IN-01',
  },
  // ---------------------------------------------------------------- IN-02: registration
  {
    id: 'in02-another-users-aor-accepted',
    requirement: 'IN-02',
    what: 'A user who authenticates with their own credentials may register a binding for another user\'s address of record.',
    file: 'policy/registrar.ts',
    find: 'if (verdict.username !== user) return this.answer(request, 403);',
    replace: "if (verdict.username === '') return this.answer(request, 403);",
    tags: '@IN-02',
  },
  {
    id: 'in02-wrong-password-accepted',
    requirement: 'IN-02',
    what: 'The digest response is compared only when present in a form the parser expects; a wrong one passes.',
    file: 'policy/digest-auth.ts',
    find: "if (!sameText(expected, p.response.toLowerCase())) return { ok: false, stale: false, reason: 'wrong response (password)' };",
    replace: "if (!sameText(expected, p.response.toLowerCase()) && p.response === '') return { ok: false, stale: false, reason: 'wrong response (password)' };",
    tags: '@IN-02',
  },
  {
    id: 'in02-expired-bindings-kept-an-hour',
    requirement: 'IN-02',
    what: 'Expired bindings are still used for an hour of grace.',
    file: 'policy/registration-store.ts',
    find: 'filter((b) => b.expiresAt > now);',
    replace: 'filter((b) => b.expiresAt > now - 3_600_000);',
    tags: '@IN-02',
  },
  {
    id: 'in02-expires-0-read-as-default',
    requirement: 'IN-02',
    what: 'Expires: 0 is read as "no value" and the default expiry applies, so a removed binding stays.',
    file: 'policy/registrar.ts',
    find: '(headerExpires ?? this.o.defaultExpiresS)',
    replace: '(headerExpires || this.o.defaultExpiresS)',
    tags: '@IN-02',
  },
  {
    id: 'in02-registered-transport-ignored',
    requirement: 'IN-02',
    what: 'A device registered over TLS is called over UDP.',
    file: 'policy/outbound-router.ts',
    find: 'const target: Target = { zone: publicZone, protocol: c.protocol, endpoint,',
    replace: "const target: Target = { zone: publicZone, protocol: 'udp' as Protocol, endpoint,",
    tags: '@IN-02',
  },
  // ---------------------------------------------------------------- IN-03: G.711 only
  {
    id: 'in03-reinvite-offer-unfiltered',
    requirement: 'IN-03',
    what: 'A re-INVITE from the caller is relayed to the core as it came, every codec included.',
    file: 'dialog/reinvite-relay.ts',
    find: 'const rewrite = this.sdp && offer !== undefined ?',
    replace: "const rewrite = this.sdp && offer !== undefined && fromSide !== 'a' ?",
    tags: '@IN-03',
  },
  {
    id: 'in03-g722-kept-for-the-core',
    requirement: 'IN-03',
    what: 'G.722 is treated as acceptable next to G.711 and offered to the core.',
    file: 'media/codec-policy.ts',
    find: "filterFormats(media, (f) => isG711(f, rtpmap) || rtpmap.get(f) === 'telephone-event/8000');",
    replace: "filterFormats(media, (f) => isG711(f, rtpmap) || rtpmap.get(f) === 'telephone-event/8000' || rtpmap.get(f) === 'g722/8000');",
    tags: '@IN-03',
  },
  // ---------------------------------------------------------------- IN-04: round robin
  {
    id: 'in04-down-server-tried-first-on-every-call',
    requirement: 'IN-04',
    what: 'The rotation ignores the health checks: a down core server is tried on its turn and the call fails over seconds later.',
    file: 'policy/invite-steps.ts',
    find: 'servers.pick((s) => !tried.has(s) && availability.isUp(s))',
    replace: 'servers.pick((s) => !tried.has(s))',
    tags: '@IN-04',
  },
  {
    id: 'in04-no-rotation',
    requirement: 'IN-04',
    what: 'The round robin never advances: every call goes to the first core server.',
    file: 'policy/round-robin.ts',
    find: 'this.next = (this.next + i + 1) % this.items.length;',
    replace: 'this.next = (this.next + i) % this.items.length;',
    tags: '@IN-04',
  },
  {
    id: 'in04-probe-answers-never-counted',
    requirement: 'IN-04',
    what: 'Health probes count only answers of 300 and up, so every healthy server is held down and a failed attempt has nowhere left to go.',
    file: 'policy/core-health.ts',
    find: 'if (res.status >= 200) settle(res.status);',
    replace: 'if (res.status >= 300) settle(res.status);',
    tags: '@IN-04',
  },
  {
    id: 'in04-recovered-server-never-back',
    requirement: 'IN-04',
    what: 'A core server that answers again is not put back in the rotation.',
    file: 'policy/core-health.ts',
    find: "if (h.state === 'down' && h.successes >= this.o.upAfter)",
    replace: "if (h.state === 'down' && h.successes >= this.o.upAfter * 1000)",
    tags: '@IN-04',
  },
  // ---------------------------------------------------------------- OUT-01: ENUM
  {
    id: 'out01-regexp-back-reference-off-by-one',
    requirement: 'OUT-01',
    what: 'Back-references of the NAPTR regexp are taken one group too far, so the user part is lost.',
    file: 'policy/enum-resolver.ts',
    find: '(m[Number(n)] ?? \'\')',
    replace: '(m[Number(n) + 1] ?? \'\')',
    tags: '@OUT-01',
  },
  {
    id: 'out01-domain-not-reversed',
    requirement: 'OUT-01',
    what: 'The e164.arpa name is built from the digits in dialling order, not reversed.',
    file: 'policy/enum-resolver.ts',
    find: "[...e164.replace(/^\\+/, '')].reverse().join('.')",
    replace: "[...e164.replace(/^\\+/, '')].join('.')",
    tags: '@OUT-01',
  },
  {
    id: 'out01-no-record-answered-480',
    requirement: 'OUT-01',
    what: 'A number without an ENUM record is answered 480 instead of 404.',
    file: 'policy/outbound-router.ts',
    find: 'if (!route) return reject(404);',
    replace: 'if (!route) return reject(480);',
    tags: '@OUT-01',
  },
  // ---------------------------------------------------------------- OUT-02: failover
  {
    id: 'out02-no-failover-on-transport-error',
    requirement: 'OUT-02',
    what: 'A transport error (connection refused) on the first record ends the call instead of moving on.',
    file: 'dialog/b2bua-call.ts',
    find: '  private onBFailure(err: SbcError): void {\n    if (this.failover(err.code)) return;',
    replace: "  private onBFailure(err: SbcError): void {\n    if (err.code !== 'TRANSPORT' && this.failover(err.code)) return;",
    tags: '@OUT-02',
  },
  {
    id: 'out02-only-503-and-408-retried',
    requirement: 'OUT-02',
    what: 'Only 503 and 408 move the call on; a 500 or 502 ends it.',
    file: 'policy/outbound-router.ts',
    find: 'return status === 408 || (status >= 500 && status < 600);',
    replace: 'return status === 408 || status === 503;',
    tags: '@OUT-02',
  },
  {
    id: 'out02-6xx-does-not-end-the-search',
    requirement: 'OUT-02',
    what: 'A 6xx global failure is treated like a 5xx and the next record is tried.',
    file: 'policy/outbound-router.ts',
    find: 'return status === 408 || (status >= 500 && status < 600);',
    replace: 'return status === 408 || status >= 500;',
    tags: '@OUT-02',
  },
  {
    id: 'out02-preference-before-order',
    requirement: 'OUT-02',
    what: 'Records are sorted by preference first, then order.',
    file: 'policy/enum-resolver.ts',
    find: '.sort((a, b) => a.order - b.order || a.preference - b.preference)',
    replace: '.sort((a, b) => a.preference - b.preference || a.order - b.order)',
    tags: '@OUT-02',
  },
  {
    id: 'out02-silent-hop-waits-for-timer-b',
    requirement: 'OUT-02',
    what: 'A silent destination is given up only when the INVITE transaction times out (Timer B, 32 s).',
    file: 'dialog/b2bua-call.ts',
    find: 'if (wait !== undefined && this.setup.nextAttempt) this.noResponseTimer',
    replace: 'if (wait === -1 && this.setup.nextAttempt) this.noResponseTimer',
    tags: '@OUT-02',
  },
  // ---------------------------------------------------------------- OUT-03: SRTP over TLS
  {
    id: 'out03-sips-uris-not-given-srtp',
    requirement: 'OUT-03',
    what: 'The SRTP decision reads ";transport=tls" in the URI, so a sips: URI from ENUM gets a TLS leg with plain RTP.',
    file: 'policy/media-steps.ts',
    find: 'toTransport: ctx.route.target.protocol,',
    replace: "toTransport: /;transport=tls/i.test(ctx.route.requestUri) ? 'tls' : 'udp',",
    tags: '@OUT-03',
  },
  {
    id: 'out03-profile-follows-the-core-offer',
    requirement: 'OUT-03',
    what: 'The offer on a TLS leg keeps whatever profile the core offered (plain RTP).',
    file: 'media/srtp-policy.ts',
    find: "return { 'transport-protocol': profile, DTLS: 'off', SDES:",
    replace: "return { DTLS: 'off', SDES:",
    tags: '@OUT-03',
  },
  {
    id: 'out03-transport-param-ignored',
    requirement: 'OUT-03',
    what: 'The ";transport=tls" parameter of an ENUM URI is ignored: the call goes out over UDP with plain RTP.',
    file: 'policy/outbound-router.ts',
    find: 'const transport = uriTransport(uri);',
    replace: "const transport = uri.scheme === 'sips' ? 'tls' : 'udp';",
    tags: '@OUT-03',
  },
];
