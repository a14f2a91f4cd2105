/**
 * Test helper: a realistic report folder as a run leaves it (cucumber.ndjson, scenario evidence with
 * absolute paths in it, whole-run pcaps holding a real call, a robustness summary, vitest.json), for
 * the end-to-end report test and the browser test. The pcaps are built byte by byte, so the ladder and
 * the scenario pcap come from tshark reading real capture files.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { udpFrame, writePcap } from '../capture/test-pcap';
import { fakeRun, ndjson, type FakeScenario } from './test-messages';

export const T0 = 1_795_000_000;

function sip(start: string, headers: [string, string][], body = ''): string {
  const all = [...headers, ...(body ? [['Content-Type', 'application/sdp'] as [string, string]] : []), ['Content-Length', String(Buffer.byteLength(body))] as [string, string]];
  return `${start}\r\n${all.map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n${body}`;
}

const sdp = (ip: string, port: number, payloads: string): string =>
  `v=0\r\no=- 1 1 IN IP4 ${ip}\r\ns=-\r\nc=IN IP4 ${ip}\r\nt=0 0\r\nm=audio ${port} RTP/AVP ${payloads}\r\na=rtpmap:0 PCMU/8000\r\n`;

/** One call as each zone saw it: caller 203.0.113.20 -> SBC 203.0.113.10 / 10.20.0.10 -> core 10.20.0.21. */
function callFrames(side: 'public' | 'core'): Buffer[] {
  const [a, ap, b, bp] = side === 'public' ? ['203.0.113.20', 5062, '203.0.113.10', 5060] : ['10.20.0.10', 5060, '10.20.0.21', 5060];
  const uri = side === 'public' ? 'sip:+31205100001@203.0.113.10' : 'sip:+31205100001@10.20.0.21';
  const h = (method: string, seq: number): [string, string][] => [
    ['Via', `SIP/2.0/UDP ${a}:${ap};branch=z9hG4bK-${side}-${seq}`], ['From', `<sip:+31201111111@${a}>;tag=1`], ['To', `<${uri}>`],
    ['Call-ID', `${side}-call@${a}`], ['CSeq', `${seq} ${method}`], ['Max-Forwards', '70'],
  ];
  // Responses carry a Server header: the SBC's on the public side, the core server's on the core side.
  const server = side === 'public' ? 'acme-sbc/5.2.1-77' : 'core-pbx/9';
  const r = (method: string, seq: number): [string, string][] => [...h(method, seq).filter(([k]) => k !== 'Max-Forwards'), ['Server', server]];
  const msgs: [boolean, string][] = [
    [true, sip(`INVITE ${uri} SIP/2.0`, [...h('INVITE', 1), ['Contact', `<sip:${a}:${ap}>`]], sdp(a, 30000, '0 8 18'))],
    [false, sip('SIP/2.0 100 Trying', r('INVITE', 1))],
    [false, sip('SIP/2.0 180 Ringing', r('INVITE', 1))],
    [false, sip('SIP/2.0 200 OK', [...r('INVITE', 1), ['Contact', `<sip:${b}:${bp}>`]], sdp(b, 40000, '0'))],
    [true, sip(`ACK ${uri} SIP/2.0`, h('ACK', 1))],
    [true, sip(`BYE ${uri} SIP/2.0`, h('BYE', 2))],
    [false, sip('SIP/2.0 200 OK', r('BYE', 2))],
  ];
  return msgs.map(([out, text]) => (out ? udpFrame(a, ap, b, bp, text) : udpFrame(b, bp, a, ap, text)));
}

export interface FixtureReport {
  root: string;
  reportDir: string;
  profileFile: string;
}

/** Writes the fixture under `root` (reports/run-1/ and the profile beside it). */
export function writeFixtureReport(root: string): FixtureReport {
  const reportDir = join(root, 'reports', 'run-1');
  const evidence = (n: number, slug: string): string => {
    const rel = `scenarios/${String(n).padStart(3, '0')}-${slug}`;
    const dir = join(reportDir, rel);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'ladder.txt'), `# ${slug}\n  07:00:00.001 --> INVITE sip:+31205100001@203.0.113.10\n`);
    writeFileSync(join(dir, 'uac_messages.log'), 'INVITE sip:+31205100001@203.0.113.10 SIP/2.0\n');
    // As world.ts writes it: SIPp's files by absolute path (relativizeReportFiles makes them relative).
    writeFileSync(join(dir, 'evidence.json'), JSON.stringify({ scenario: slug, sipp: [{ name: 'uac', files: { messages: join(dir, 'uac_messages.log') } }] }, null, 2));
    return rel;
  };
  const scenarios: FakeScenario[] = [
    { name: 'An answered call the caller hangs up shows nothing of the core', tags: ['GEN-03'], uri: 'features/topology-hiding.feature', status: 'passed', at: T0 - 0.5, seconds: 3, evidenceDir: evidence(1, 'answered-call') },
    { name: 'OPTIONS from a permitted public address is answered by the SBC itself', tags: ['GEN-04'], uri: 'features/options.feature', status: 'passed', at: T0 + 10, evidenceDir: evidence(2, 'options') },
    {
      name: 'A blocked address gets no answer, a call from another address is served',
      tags: ['IN-01', 'GEN-01'], uri: 'features/blocking.feature', status: 'failed', at: T0 + 20, evidenceDir: evidence(3, 'blocked'),
      message: `AssertionError [ERR_ASSERTION]: IN-01: 203.0.113.66 is blocked but its INVITE was answered 100 Trying (trace ${reportDir}/scenarios/003-blocked/uac_messages.log)\n    at World.<anonymous> (${root}/steps/blocking.steps.ts:88:11)\n    at /tmp/sbcx-1a2b/runner.js:1:1`,
    },
    { name: 'The flood ban lifts after its time', tags: ['IN-01'], uri: 'features/blocking.feature' },
    { name: 'A rejected call gets a row with its final status', tags: ['GEN-05', 'GEN-06'], uri: 'features/cdr.feature', status: 'skipped', at: T0 + 30, incomplete: ['the SUT profile has no CDR query (cdr.query), so CDRs cannot be read'], evidenceDir: evidence(4, 'rejected-cdr') },
    { name: 'The CDR final_status names the SIP outcome', tags: ['GEN-06', 'beyond'], uri: 'features/cdr.feature', status: 'failed', at: T0 + 40, message: 'Error: final_status was "done", expected "answered"', evidenceDir: evidence(5, 'final-status') },
  ];
  mkdirSync(reportDir, { recursive: true });
  writeFileSync(join(reportDir, 'cucumber.ndjson'), ndjson(fakeRun(scenarios)));
  writeFileSync(join(reportDir, 'cucumber.html'), '<!doctype html><title>cucumber</title>');
  mkdirSync(join(reportDir, 'capture'), { recursive: true });
  writePcap(join(reportDir, 'capture', 'public.pcap'), callFrames('public'), T0);
  writePcap(join(reportDir, 'capture', 'core.pcap'), callFrames('core'), T0);
  writeFileSync(join(reportDir, 'capture', 'tls-keys.log'), 'CLIENT_RANDOM 00 11\n');
  writeFileSync(join(reportDir, 'capture', 'public-topology-audit.txt'), 'topology-hiding audit: 14 messages, 0 leaks\n');
  mkdirSync(join(reportDir, 'robustness'), { recursive: true });
  writeFileSync(join(reportDir, 'robustness', 'summary.json'), JSON.stringify({
    version: 1, seed: 42, cases: 120, byAnswer: { '400': 96, none: 24 },
    byGroup: { 'torture-rfc4475': { cases: 40, byAnswer: { '400': 36, none: 4 } }, fuzz: { cases: 80, byAnswer: { '400': 60, none: 20 } } },
    crashes: 0, coreMessagesOverLimit: 0, fiveXxForCallerFault: 1, callsLeftOpen: 0, cdrsMissing: 0,
    failures: [{ case: 'fuzz-17', why: 'answered 500 to a request with a bad Content-Length' }],
  }));
  writeFileSync(join(reportDir, 'vitest.json'), JSON.stringify({
    testResults: [
      { name: join(root, 'harness/report/verdicts.test.ts'), status: 'passed', assertionResults: [{ ancestorTitles: ['verdict rules'], title: 'passes only when all ran', status: 'passed', duration: 3, failureMessages: [] }] },
      { name: join(root, 'harness/sip/parse.test.ts'), status: 'failed', assertionResults: [{ ancestorTitles: ['parser'], title: 'folds headers', status: 'failed', duration: 1, failureMessages: [`AssertionError: expected 1 to be 2\n    at ${root}/harness/sip/parse.test.ts:9:9`] }, { ancestorTitles: ['parser'], title: 'needs root', status: 'skipped', duration: 0, failureMessages: [] }] },
      { name: join(root, 'harness/broken.test.ts'), status: 'failed', message: `Failed to load ${root}/harness/broken.ts`, assertionResults: [] },
    ],
  }));
  const profileFile = join(root, 'acme-sbc.yaml');
  writeFileSync(profileFile, 'name: acme-sbc\nversion: "5.2.1 build 77"\nsbc:\n  public: { address: 203.0.113.10 }\n');
  return { root, reportDir, profileFile };
}

/** The topology's address plan, as the ladder's columns want it (the fixture uses DESIGN.md's plan). */
export const FIXTURE_HOSTS = {
  publicHosts: ['203.0.113.20', '203.0.113.21'],
  attacker: '203.0.113.66',
  sbcPublic: '203.0.113.10',
  sbcCore: '10.20.0.10',
  coreServers: ['10.20.0.21', '10.20.0.22', '10.20.0.23'],
  enumDns: '10.20.0.53',
};
