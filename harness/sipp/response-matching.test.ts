import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runSipp, startSipp } from './runner';

/**
 * Every expected response is matched to its request (issue 10, point 7): a `<recv response>` that waits
 * for the answer to a BYE or CANCEL must check the CSeq method, or a repeated 200 to the INVITE passes
 * for the answer, and an SBC that drops every BYE is certified.
 */
const SCENARIOS = join(import.meta.dirname, '..', '..', 'scenarios');
const TESTDATA = join(import.meta.dirname, 'testdata');

interface Step {
  kind: 'send' | 'recv';
  /** The request method of a send, or the response code of a recv response. */
  what: string;
  text: string;
}

function stepsOf(xml: string): Step[] {
  const steps: Step[] = [];
  const re = /<(send|recv)\b([^>]*?)(\/>|>([\s\S]*?)<\/\1>)/g;
  for (let m = re.exec(xml); m; m = re.exec(xml)) {
    const [, kind, attrs, , body = ''] = m;
    if (kind === 'send') {
      const first = /<!\[CDATA\[\s*(\S+)/.exec(body)?.[1] ?? '';
      steps.push({ kind: 'send', what: first === 'SIP/2.0' ? 'response' : first, text: m[0] });
    } else {
      const code = /response="(\d+)"/.exec(attrs!)?.[1];
      if (code) steps.push({ kind: 'recv', what: code, text: m[0] });
    }
  }
  return steps;
}

/** The responses a scenario awaits after sending a non-INVITE request in a dialog that had an INVITE, without a CSeq check. */
export function unmatchedResponses(xml: string): string[] {
  const problems: string[] = [];
  let inviteSeen = /<recv request="INVITE"/.test(xml);
  let lastRequest = '';
  for (const s of stepsOf(xml)) {
    if (s.kind === 'send' && s.what !== 'response') {
      if (s.what === 'INVITE') inviteSeen = true;
      lastRequest = s.what;
      continue;
    }
    if (s.kind !== 'recv' || !inviteSeen || lastRequest === 'INVITE' || lastRequest === 'ACK' || !lastRequest) continue;
    // An ereg on the CSeq header naming a method, enforced (check_it) or steering the flow (test + next).
    const names = /<ereg\b[^>]*regexp="[^"]*\b(INVITE|BYE|CANCEL|OPTIONS|UPDATE|INFO|PRACK|REFER|NOTIFY|MESSAGE)\b[^"]*"[^>]*header="CSeq:"/.test(s.text);
    const enforced = /check_it="true"/.test(s.text) || /\btest="/.test(s.text);
    if (!names || !enforced) problems.push(`response ${s.what} after ${lastRequest}`);
  }
  return problems;
}

describe('SIPp scenarios match each response to its request', () => {
  const files = readdirSync(SCENARIOS).filter((f) => f.endsWith('.xml'));

  it.each(files)('%s checks the CSeq method of every answer to a BYE or CANCEL', (f) => {
    expect(unmatchedResponses(readFileSync(join(SCENARIOS, f), 'utf8'))).toEqual([]);
  });

  it('the check finds a BYE whose answer is taken on the status code alone', () => {
    const loose = `<scenario><send><![CDATA[
INVITE sip:x SIP/2.0
]]></send><recv response="200"/><send><![CDATA[
BYE sip:x SIP/2.0
]]></send><recv response="200" crlf="true"/></scenario>`;
    expect(unmatchedResponses(loose)).toEqual(['response 200 after BYE']);
    const checked = loose.replace('<recv response="200" crlf="true"/>', '<recv response="200"><action><ereg regexp="BYE" search_in="hdr" header="CSeq:" check_it="true" assign_to="x"/></action></recv>');
    expect(unmatchedResponses(checked)).toEqual([]);
  });
});

const hasSipp = ((): boolean => {
  try {
    execFileSync('sipp', ['-v'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    return (err as { status?: number }).status !== undefined;
  }
})();

describe.skipIf(!hasSipp)('a caller against peers that answer the BYE right and wrong (SIPp on loopback)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sipp-matching-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let port = 15200;

  async function call(peer: string): Promise<string> {
    const uasPort = (port += 2);
    const uas = startSipp({
      name: `peer-${uasPort}`,
      evidenceDir: dir,
      options: { scenario: { file: peer }, localIp: '127.0.0.1', localPort: uasPort, calls: 1 },
    });
    await new Promise((r) => setTimeout(r, 200));
    const r = await runSipp({
      name: `caller-${uasPort}`,
      evidenceDir: dir,
      options: {
        scenario: { file: join(SCENARIOS, 'uac-invite-answered.xml') },
        localIp: '127.0.0.1',
        localPort: uasPort + 1,
        remote: `127.0.0.1:${uasPort}`,
        service: '555',
        calls: 1,
        keys: { from: '444' },
        recvTimeoutMs: 2000,
        timeoutS: 15,
        extra: ['-d', '100'],
      },
    });
    await uas.stop();
    return r.outcome;
  }

  it.each(readdirSync(SCENARIOS).filter((f) => f.endsWith('.xml')))('%s loads in SIPp without scenario errors', async (f) => {
    // A call towards a closed port: what matters is what SIPp says of the scenario itself.
    const r = await runSipp({
      name: `load-${f}`,
      evidenceDir: dir,
      options: {
        scenario: { file: join(SCENARIOS, f) }, localIp: '127.0.0.1', localPort: (port += 2), remote: '127.0.0.1:9',
        service: '555', calls: 1, keys: { from: '444' }, recvTimeoutMs: 200, timeoutS: 3,
      },
    });
    expect(r.summary).not.toMatch(/is referenced \d+ times|Unknown|Unsupported|not defined|syntax/i);
  });

  it('fails the call when the BYE is "answered" by a repeat of the 200 to the INVITE', async () => {
    expect(await call(join(TESTDATA, 'uas-bye-answered-with-invite-200.xml'))).toBe('some-calls-failed');
  });

  it('completes the call when a repeated 200 to the INVITE comes before the 200 to the BYE', async () => {
    expect(await call(join(TESTDATA, 'uas-invite-200-repeated-then-bye-answered.xml'))).toBe('all-calls-succeeded');
  });

  it('completes the call against a peer that answers the BYE at once', async () => {
    expect(await call(join(SCENARIOS, 'uas-answer.xml'))).toBe('all-calls-succeeded');
  });
});
