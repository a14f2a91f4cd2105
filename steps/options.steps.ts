import { Then, When } from '@cucumber/cucumber';
import { check, describeRun } from './assertions';
import type { SbcWorld } from './world';

/**
 * OPTIONS in the forms real peers send: addressed to a user (`sip:token@sbc`, as SIPp and many UAs do)
 * or to the bare host (`sip:sbc`, as carriers' keep-alives do). Either way the token is in the request,
 * so that a copy relayed to the core is found there.
 */
const OPTIONS_FORMS: Record<string, string> = { '': 'uac-options.xml', 'with a user part': 'uac-options.xml', 'without a user part': 'uac-options-keepalive.xml' };

When(/^a public host sends OPTIONS ?(with a user part|without a user part|) to the SBC's public address$/, async function (this: SbcWorld, form: string) {
  const token = `options-${this.newNumber('the OPTIONS').slice(1)}`;
  this.numbers.set('the OPTIONS', token);
  // The Call-ID starts with the token too (SIPp still maps the answer by it).
  await this.runPublicSipp('prober', OPTIONS_FORMS[form]!, { service: token, recvTimeoutMs: 3000, extra: ['-cid_str', `${token}-%u-%p@%s`] });
});

Then('it receives 200 OK to its OPTIONS', function (this: SbcWorld) {
  const r = this.result('prober');
  const ok = r.messages.find((m) => m.direction === 'received' && m.status === 200);
  check(ok, () => `GEN-04: no 200 OK to OPTIONS from the SBC at ${this.sbcPublic}:\n${describeRun(r)}`);
  check(r.outcome === 'all-calls-succeeded', () => `GEN-04: the OPTIONS exchange did not complete:\n${describeRun(r)}`);
  const cseq = ok.header('cseq') ?? '';
  check(/OPTIONS/.test(cseq), () => `GEN-04: the 200 OK answers ${cseq}, not the OPTIONS`);
});

Then('no core server received that OPTIONS', function (this: SbcWorld) {
  const token = this.number('the OPTIONS');
  const leaked = this.ctx.core.receivedContaining(token);
  check(leaked.length === 0, () => `GEN-04: the OPTIONS was relayed to the core (${leaked.map((l) => l.server).join(', ')}); the SBC must answer it itself`);
});
