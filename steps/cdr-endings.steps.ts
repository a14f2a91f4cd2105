/**
 * GEN-05/06/07 for every way a call ends and for calls that ring before they are answered: the core
 * server rings for a while, the SBC refuses an offer itself, a core call finds no ENUM record. The
 * rows are judged by what the callers saw on the wire, never by the SBC's own view of the call.
 */
import { Given, Then, When } from '@cucumber/cucumber';
import { check, describeRun } from './assertions';
import { cdrReader } from './cdr.steps';
import type { SbcWorld } from './world';

Given('the core servers ring for {int} s before they answer', async function (this: SbcWorld, seconds: number) {
  await this.coreBehaviour('ring-then-answer', seconds * 1000);
});

When('a public caller dials a new number over UDP with an offer of only G.729 and is refused by the SBC', async function (this: SbcWorld) {
  const number = this.newNumber();
  await this.runPublicSipp('caller', 'uac-invite-no-g711-refused.xml', { service: number });
});

Then('the caller\'s INVITE was refused with {int}', function (this: SbcWorld, status: number) {
  const r = this.result('caller');
  const final = r.messages.find((m) => m.direction === 'received' && m.status !== undefined && m.status >= 200 && /INVITE/.test(m.header('cseq') ?? ''));
  check(final?.status === status, () => `${this.ids}: the caller's INVITE for ${this.number()} was answered ${final?.status ?? 'with no final response'}; this scenario needs the SBC to refuse it with ${status}:\n${describeRun(r)}`);
});

Then('exactly one CDR row has the dialled number', async function (this: SbcWorld) {
  const cdr = cdrReader(this);
  if (!cdr) return 'skipped';
  const number = this.number();
  await cdr.waitFor((row) => row.dstNumber === number, { timeoutMs: 10000, description: `${this.ids}: no CDR row for the attempt to ${number}; every attempt needs one` });
  await new Promise((r) => setTimeout(r, 500));
  const rows = (await cdr.rows()).filter((row) => row.dstNumber === number);
  check(rows.length === 1, () => `${this.ids}: ${rows.length} CDR rows have destination ${number}, dialled once; expected exactly one`);
  return undefined;
});

Given('the core servers play early media before they answer', async function (this: SbcWorld) {
  await this.coreBehaviour('early-media');
});
