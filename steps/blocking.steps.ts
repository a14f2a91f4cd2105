/**
 * IN-01 (and GEN-04's blocked side): block and unblock at run time through the SUT profile, a flood
 * banned automatically, a scanner left unanswered. Judged by what crosses the wire: answers the
 * public side received and what the core servers received.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Given, Then, When } from '@cucumber/cucumber';
import { readFileSync } from 'node:fs';
import { SipClient, buildSdp } from '../harness/sip';
import { blast, silenceOnset, type BlastRequest } from '../harness/sip/udp-blaster';
import { provision, type ProvisionName } from '../harness/sut/provision';
import { check, describeRun } from './assertions';
import type { BlockingState } from './support/blocking';
import type { SbcWorld } from './world';
import { PUBLIC_CALLER_NUMBER } from '../harness/sipp/scenario-keys';

/** Runs a provisioning action; undefined when the profile cannot do it (the step is then skipped). */
async function provisionIp(world: SbcWorld, action: ProvisionName, ip: string): Promise<boolean> {
  const outcome = await provision(world.ctx.profile, action, { ip }, { vars: world.ctx.state.vars, netns: world.ctx.state.namespaces.sbc });
  if (!outcome) {
    world.notes.push(`the SUT profile has no provision.${action}: not run`);
    return false;
  }
  world.notes.push(`provision.${action}: ${outcome.ran} -> ${outcome.status}`);
  return true;
}

/** Unblocks `ip` after the scenario, whatever happened, so no block leaks into later scenarios. */
function unblockAtEnd(world: SbcWorld, ip: string): void {
  world.onScenarioEnd(async () => {
    await provisionIp(world, 'unblockIp', ip);
  });
}

function sipRequest(method: string, user: string, callId: string, local: { ip: string; port: number }, sbc: string, extra: string[] = []): Buffer {
  const sdp = method === 'INVITE'
    ? ['v=0', `o=- 1 1 IN IP4 ${local.ip}`, 's=-', `c=IN IP4 ${local.ip}`, 't=0 0', `m=audio ${20000 + (local.port % 1000) * 2} RTP/AVP 0 8`, 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', ''].join('\r\n')
    : '';
  const branch = `z9hG4bK-${callId.replace(/[^A-Za-z0-9]/g, '')}`;
  return Buffer.from([
    `${method} sip:${user}@${sbc} SIP/2.0`,
    `Via: SIP/2.0/UDP ${local.ip}:${local.port};branch=${branch};rport`,
    'Max-Forwards: 70',
    `From: <sip:${user.startsWith('+') ? '+31209990000' : '100'}@${local.ip}>;tag=${branch.slice(8, 20)}`,
    `To: <sip:${user}@${sbc}>`,
    `Call-ID: ${callId}`,
    `CSeq: 1 ${method}`,
    `Contact: <sip:attacker@${local.ip}:${local.port}>`,
    ...extra,
    ...(sdp ? ['Content-Type: application/sdp'] : []),
    `Content-Length: ${Buffer.byteLength(sdp)}`,
    '',
    sdp,
  ].join('\r\n'));
}

// ---- blocked and unblocked at run time ------------------------------------------------------------

Given('the operator has blocked the address of a public host', async function (this: SbcWorld) {
  const host = this.publicEndpoint();
  if (!(await provisionIp(this, 'blockIp', host.ip))) return 'skipped';
  unblockAtEnd(this, host.ip);
  this.blocking.host = host;
  // Provisioning may take effect asynchronously (a reload, a firewall rule): give it a moment.
  await new Promise((r) => setTimeout(r, 300));
  return undefined;
});

When('the operator unblocks that address', async function (this: SbcWorld) {
  const host = this.blocking.blockedHost();
  if (!(await provisionIp(this, 'unblockIp', host.ip))) return 'skipped';
  await new Promise((r) => setTimeout(r, 300));
  return undefined;
});

When('that host sends OPTIONS and an INVITE for a new number to the SBC\'s public address', async function (this: SbcWorld) {
  const host = this.blocking.blockedHost();
  const token = `options-${this.newNumber('the OPTIONS').slice(1)}`;
  this.numbers.set('the OPTIONS', token);
  const number = this.newNumber();
  await Promise.all([
    this.runPublicSipp('prober', 'uac-options-unanswered.xml', { localIp: host.ip, localPort: host.port, service: token, extra: ['-d', '3000'] }),
    this.runPublicSipp('caller', 'uac-invite-unanswered.xml', { localIp: host.ip, localPort: host.port + 1, mediaIp: host.ip, service: number, extra: ['-d', '3000'] }),
  ]);
});

Then('neither request got any answer', function (this: SbcWorld) {
  for (const [role, what] of [['prober', 'OPTIONS'], ['caller', 'INVITE']] as const) {
    const r = this.result(role);
    const got = r.messages.filter((m) => m.direction === 'received');
    check(got.length === 0, () => `${this.ids}: the blocked address ${this.blocking.host?.ip} got ${got.length} answer(s) to its ${what}; a blocked address must get none:\n${describeRun(r)}`);
    check(r.outcome === 'all-calls-succeeded', () => `${this.ids}: the ${what} of the blocked address did not run as scripted:\n${describeRun(r)}`);
  }
});

When('that host sends OPTIONS to the SBC\'s public address', async function (this: SbcWorld) {
  const host = this.blocking.blockedHost();
  const token = `options-${this.newNumber('the OPTIONS').slice(1)}`;
  this.numbers.set('the OPTIONS', token);
  await this.runPublicSipp('prober', 'uac-options-unanswered.xml', { localIp: host.ip, localPort: host.port, service: token, extra: ['-d', '3000'] });
});

Then('its OPTIONS got no answer', function (this: SbcWorld) {
  const r = this.result('prober');
  const got = r.messages.filter((m) => m.direction === 'received');
  check(got.length === 0, () => `${this.ids}: OPTIONS from the blocked address ${this.blocking.host?.ip} got ${got.map((m) => m.status).join(', ')}; a blocked address must get no answer:\n${describeRun(r)}`);
  check(r.outcome === 'all-calls-succeeded', () => `${this.ids}: the OPTIONS of the blocked address did not run as scripted:\n${describeRun(r)}`);
});

When('that host sends OPTIONS and an INVITE for a new number over TLS to the SBC\'s public address', async function (this: SbcWorld) {
  const host = this.blocking.blockedHost();
  const { address, tls } = this.ctx.profile.sbc.public;
  if (tls === undefined) return this.incomplete(`${this.ids}: the SUT profile names no public TLS port`);
  const token = `options-${this.newNumber('the OPTIONS').slice(1)}`;
  this.numbers.set('the OPTIONS', token);
  const number = this.newNumber();
  const result: NonNullable<BlockingState['tls']> = { connected: false, answers: [], notes: [] };
  this.blocking.tls = result;
  let client: SipClient | undefined;
  try {
    client = await SipClient.connectTls({ remote: { ip: address, port: tls }, ca: readFileSync(this.ctx.state.pki.caCert), localIp: host.ip, user: PUBLIC_CALLER_NUMBER, timers: { t1Ms: 100 } });
    result.connected = true;
  } catch (err) {
    // Closing the connection of a blocked source before (or during) the handshake is one way of not answering.
    result.notes.push(`TLS connection not established: ${(err as Error).message}`);
  }
  if (client) {
    try {
      const options = await client.request('OPTIONS', `sip:${token}@${address}:${tls};transport=tls`, { timeoutMs: 3000 }).catch((err: unknown) => err as Error);
      if (options instanceof Error) result.notes.push(`OPTIONS: ${options.message}`);
      else result.answers.push(`OPTIONS answered ${options.status} ${options.reason}`);
      const sdp = buildSdp({ address: host.ip, port: 30000 + (host.port % 1000) * 2, codecs: ['PCMU', 'PCMA'] });
      const call = await client.invite({ to: `sip:${number}@${address}:${tls};transport=tls`, from: `sip:${PUBLIC_CALLER_NUMBER}@${host.ip}`, sdp }).catch((err: unknown) => err as Error);
      if (call instanceof Error) result.notes.push(`INVITE: ${call.message}`);
      else {
        const final = await call.waitFinal(3000).catch((err: unknown) => err as Error);
        if (!(final instanceof Error)) result.answers.push(`INVITE answered ${final.status} ${final.reason}`);
        for (const p of call.provisional) result.answers.push(`INVITE answered ${p.status} ${p.reason}`);
        if (final instanceof Error) result.notes.push(`INVITE: ${final.message}`);
      }
      await client.writeLadder(join(this.evidenceDir, 'blocked-host-tls.txt'));
    } finally {
      await client.close();
    }
  }
  this.notes.push(...result.notes, ...result.answers);
  return undefined;
});

Then('neither TLS request got any answer', function (this: SbcWorld) {
  const r = this.blocking.tls;
  check(r, () => 'no TLS request was sent by the blocked host in this scenario');
  check(r.answers.length === 0, () => `${this.ids}: the address ${this.blocking.host?.ip}, blocked at run time, was served over TLS: ${r.answers.join('; ')}; a blocked address gets no answer on any transport`);
});

Then('no core server received anything of that host\'s requests', function (this: SbcWorld) {
  const options = this.ctx.core.receivedContaining(this.number('the OPTIONS'));
  const invites = this.ctx.core.receivedFor(this.number());
  check(options.length === 0 && invites.length === 0, () =>
    `${this.ids}: traffic of the blocked address reached the core: ${[...options, ...invites].map((r) => `${r.server} (${r.messages.length} messages)`).join(', ')}`);
});

When('that host sends OPTIONS and places a call to a new number', async function (this: SbcWorld) {
  const host = this.blocking.blockedHost();
  const token = `options-${this.newNumber('the OPTIONS').slice(1)}`;
  await this.runPublicSipp('prober', 'uac-options.xml', { localIp: host.ip, localPort: host.port, service: token, recvTimeoutMs: 3000 });
  await this.runPublicSipp('caller', 'uac-invite-answered.xml', { localIp: host.ip, localPort: host.port, mediaIp: host.ip, service: this.newNumber(), extra: ['-d', '1000'] });
});

Then('its OPTIONS got 200 OK and its call was answered and ended', function (this: SbcWorld) {
  const options = this.result('prober');
  check(options.messages.some((m) => m.direction === 'received' && m.status === 200), () => `IN-01: the unblocked address got no 200 OK to OPTIONS:\n${describeRun(options)}`);
  const call = this.result('caller');
  check(call.outcome === 'all-calls-succeeded', () => `IN-01: the unblocked address's call did not complete:\n${describeRun(call)}`);
});

// ---- the attacker: flood and scan ------------------------------------------------------------------

/** One OPTIONS from the attacker answered 200: otherwise a later "no answer" would prove nothing. */
async function attackerServed(world: SbcWorld): Promise<boolean> {
  const r = await blast({
    localIp: world.ctx.state.addresses.attacker,
    target: { ip: world.sbcPublic, port: world.ctx.profile.sbc.public.udp },
    ratePerS: 2,
    durationMs: 1000,
    settleMs: 1500,
    build: (i, local) => ({ callId: `served-${Date.now()}-${i}@${local.ip}`, method: 'OPTIONS', data: sipRequest('OPTIONS', 'ping', `served-${Date.now()}-${i}@${local.ip}`, local, world.sbcPublic) }),
  });
  return r.records.some((rec) => rec.answers.some((a) => a.status === 200));
}

Given('the attacker\'s address is served by the SBC', async function (this: SbcWorld) {
  const attacker = this.ctx.state.addresses.attacker;
  // An automatic ban of this scenario must not leak into the next one.
  unblockAtEnd(this, attacker);
  if (await attackerServed(this)) return;
  // A ban left over from an earlier run or scenario: lift it if the profile can.
  await provisionIp(this, 'unblockIp', attacker);
  check(await attackerServed(this), () => `IN-01: the attacker address ${attacker} gets no 200 OK to OPTIONS before the test begins, so silence later would prove nothing (still banned from before?)`);
});

When('the attacker floods the SBC with INVITEs and OPTIONS at {int} requests\\/s for {int} s while a public caller places {int} calls', async function (this: SbcWorld, rate: number, seconds: number, calls: number) {
  const numberPrefix = this.newNumber('the flood');
  const sbc = this.sbcPublic;
  const build = (i: number, local: { ip: string; port: number }): BlastRequest => {
    const method = i % 2 === 0 ? 'INVITE' : 'OPTIONS';
    const user = `${numberPrefix}${String(i).padStart(5, '0')}`;
    const callId = `flood-${numberPrefix.slice(1)}-${i}@${local.ip}`;
    return { callId, method, data: sipRequest(method, user, callId, local, sbc) };
  };
  const legit = this.newNumber();
  const [result] = await Promise.all([
    blast({ localIp: this.ctx.state.addresses.attacker, target: { ip: sbc, port: this.ctx.profile.sbc.public.udp }, ratePerS: rate, durationMs: seconds * 1000, settleMs: 2000, build }),
    this.runPublicSipp('caller', 'uac-invite-answered.xml', { service: legit, calls, rate: 2, extra: ['-d', '500'] }),
  ]);
  this.blocking.flood = { result, numberPrefix };
  const onset = silenceOnset(result);
  writeFileSync(join(this.evidenceDir, 'flood.json'), JSON.stringify({
    rate, seconds, requests: result.records.length, answered: onset.answered, silenceAfterMs: onset.afterMs, silent: onset.silent,
    records: result.records.map((r) => ({ i: r.index, m: r.method, t: r.sentAt - result.startedAt, answers: r.answers.map((a) => `${a.status}@${a.at - result.startedAt}`) })),
  }));
  this.notes.push(`flood: ${result.records.length} requests in ${result.endedAt - result.startedAt} ms, ${onset.answered} answered; silence from request ${onset.first?.index ?? '-'} at ${onset.afterMs ?? '-'} ms`);
});

Then('the SBC stopped answering the attacker within {int} s of the flood\'s start, for the rest of the flood', function (this: SbcWorld, seconds: number) {
  const flood = this.blocking.flood;
  check(flood, () => 'no flood was sent in this scenario');
  const { result } = flood;
  const onset = silenceOnset(result);
  const duration = result.endedAt - result.startedAt;
  check(onset.first && onset.afterMs !== undefined, () =>
    `IN-01: the SBC answered the attacker's flood to the end (${onset.answered} of ${result.records.length} requests answered, the last one too): it was never blocked`);
  check(onset.afterMs <= seconds * 1000, () =>
    `IN-01: the SBC kept answering the flood for ${onset.afterMs} ms (limit ${seconds * 1000} ms): answers stopped for good only from request ${onset.first?.index} of ${result.records.length} (flood of ${duration} ms); evidence flood.json`);
});

Then('none of the attacker\'s requests after that reached the core', function (this: SbcWorld) {
  const flood = this.blocking.flood;
  check(flood, () => 'no flood was sent in this scenario');
  const first = silenceOnset(flood.result).first?.index ?? Number.POSITIVE_INFINITY;
  const leaked = this.ctx.core.receivedContaining(flood.numberPrefix).flatMap((r) =>
    r.messages
      .filter((m) => m.method === 'INVITE')
      .map((m) => ({ server: r.server, index: Number(new RegExp(`${flood.numberPrefix.replace('+', '\\+')}(\\d{5})`).exec(m.requestUri ?? '')?.[1] ?? -1) }))
      .filter((x) => x.index >= first));
  check(leaked.length === 0, () =>
    `IN-01: ${leaked.length} of the attacker's INVITEs sent after the SBC stopped answering reached the core (first: #${leaked[0]?.index} at ${leaked[0]?.server})`);
});

Then('every call of the public caller was answered and ended', function (this: SbcWorld) {
  const r = this.result('caller');
  check(r.outcome === 'all-calls-succeeded', () => `IN-01: a legitimate caller's calls failed during the flood from another address:\n${describeRun(r)}`);
});

When('the attacker scans {int} extensions with OPTIONS as {string}', async function (this: SbcWorld, count: number, agent: string) {
  const token = `scan${this.newNumber('the scan').slice(1)}`;
  const sbc = this.sbcPublic;
  const result = await blast({
    localIp: this.ctx.state.addresses.attacker,
    // SIPVicious svmap/svwar probe from port 5060 and walk extensions 100, 101, ...
    target: { ip: sbc, port: this.ctx.profile.sbc.public.udp },
    ratePerS: 20,
    durationMs: (count * 1000) / 20,
    settleMs: 2500,
    build: (i, local) => {
      const callId = `${token}-${i}@${local.ip}`;
      return { callId, method: 'OPTIONS', data: sipRequest('OPTIONS', String(100 + i), callId, local, sbc, [`User-Agent: ${agent}`, 'Accept: application/sdp']) };
    },
  });
  this.blocking.scan = { result, token };
  const answered = result.records.filter((r) => r.answers.length > 0);
  this.notes.push(`scan: ${result.records.length} OPTIONS as "${agent}", ${answered.length} answered`);
});

Then('none of the scan\'s requests got any answer', function (this: SbcWorld) {
  const scan = this.blocking.scan;
  check(scan, () => 'no scan was sent in this scenario');
  const answered = scan.result.records.filter((r) => r.answers.length > 0);
  check(answered.length === 0, () =>
    `IN-01: the SBC answered ${answered.length} of ${scan.result.records.length} scanner OPTIONS (e.g. extension ${100 + (answered[0]?.index ?? 0)} got ${answered[0]?.answers.map((a) => a.status).join(', ')}): a scanner learns that SIP is served here`);
});

Then('no core server received anything of the scan', function (this: SbcWorld) {
  const scan = this.blocking.scan;
  check(scan, () => 'no scan was sent in this scenario');
  const leaked = this.ctx.core.receivedContaining(scan.token);
  check(leaked.length === 0, () => `IN-01: the scan reached the core: ${leaked.map((r) => `${r.server} (${r.messages.length} messages)`).join(', ')}`);
});
