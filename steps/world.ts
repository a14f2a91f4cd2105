import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { World, setWorldConstructor, type IWorldOptions } from '@cucumber/cucumber';
import { startSipp, type SippInstance, type SippResult } from '../harness/sipp/runner';
import type { SippOptions } from '../harness/sipp/options';
import type { TracedMessage } from '../harness/sipp/messages';
import { loadSutProfile, type SutProfile } from '../harness/sut/profile';
import { CoreServers, type CoreBehaviour } from '../topology/core-servers';
import { namespaceOf } from '../topology/hosts';
import { REPO_ROOT } from '../topology/paths';
import { readState, type TopologyState } from '../topology/state';

/** State shared by every scenario of a run: the topology and the long-running core servers. */
export interface RunContext {
  state: TopologyState;
  profile: SutProfile;
  core: CoreServers;
}

let run: RunContext | undefined;

export function openRun(): RunContext {
  const state = readState();
  const profile = loadSutProfile(state.profileFile);
  run = {
    state,
    profile,
    core: new CoreServers({ netns: (address) => namespaceOf(state, address), addresses: state.addresses.coreServers, port: 5060, evidenceDir: join(state.reportDir, 'core') }),
  };
  return run;
}

export function currentRun(): RunContext | undefined {
  return run;
}

// Numbers and endpoints are unique across the run so that the core side can be searched by number.
const runSalt = String(Date.now() % 90 + 10);
let numberSeq = 0;
let endpointSeq = 0;

/** One scenario's behaviour: the steps stay thin and call these (STYLE.md 11). */
export class SbcWorld extends World {
  evidenceDir = '';
  scenarioName = '';
  /** The requirement IDs this scenario is tagged with (`GEN-08`), for failure messages. */
  requirementIds: string[] = [];
  /** The SIPp runs of this scenario, by role, for assertions and evidence. */
  readonly sipp = new Map<string, SippResult>();
  /** Numbers this scenario dialled, by label ('the number'). */
  readonly numbers = new Map<string, string>();
  notes: string[] = [];
  /**
   * The public-side exchanges this scenario made with the suite's own SIP client (UDP or TLS): their
   * Call-IDs and local endpoints, so a per-scenario audit covers them as it covers the SIPp runs.
   */
  readonly exchanges = { callIds: new Set<string>(), endpoints: new Set<string>() };
  /** A CDR database outage of this scenario (GEN-05): when it began and how to end it (also its undo). */
  cdrOutage?: { stoppedAt: number; end: () => Promise<void> };
  /** Undo actions (a core behaviour switched, a route added), run after the scenario even when it failed. */
  private readonly cleanups: (() => Promise<void>)[] = [];

  constructor(options: IWorldOptions) {
    super(options);
  }

  get ctx(): RunContext {
    if (!run) throw new Error('the run context is not open (BeforeAll did not run)');
    return run;
  }

  get sbcPublic(): string {
    return this.ctx.profile.sbc.public.address;
  }

  /** A fresh E.164 number nobody dialled before in this run. */
  newNumber(label = 'the number'): string {
    numberSeq++;
    const n = `+31205${runSalt}${String(numberSeq).padStart(5, '0')}`;
    this.numbers.set(label, n);
    return n;
  }

  number(label = 'the number'): string {
    const n = this.numbers.get(label);
    if (!n) throw new Error(`no number called "${label}" was dialled in this scenario`);
    return n;
  }

  /** A public-side host address and port nobody else uses right now. */
  publicEndpoint(): { ip: string; port: number } {
    const hosts = this.ctx.state.addresses.publicHosts;
    endpointSeq++;
    return { ip: hosts[endpointSeq % hosts.length]!, port: 5060 + (endpointSeq % 900) * 2 + 2 };
  }

  async runPublicSipp(role: string, scenario: string, o: Partial<SippOptions> & { keys?: Record<string, string | number> }): Promise<SippResult> {
    const result = await this.startPublicSipp(role, scenario, o).done();
    this.sipp.set(role, result);
    this.notes.push(result.summary);
    return result;
  }

  /** Starts a public-side SIPp without waiting for it: the caller awaits `done()` or calls `stop()`. */
  startPublicSipp(role: string, scenario: string, o: Partial<SippOptions> & { keys?: Record<string, string | number> }): SippInstance {
    const ep = this.publicEndpoint();
    return startSipp({
      name: role,
      evidenceDir: this.evidenceDir,
      netns: this.ctx.state.namespaces.pub,
      killAfterMs: 60000,
      options: {
        scenario: { file: join(REPO_ROOT, 'scenarios', scenario) },
        localIp: ep.ip,
        localPort: ep.port,
        mediaIp: ep.ip,
        mediaPort: 20000 + ((ep.port * 2) % 20000),
        remote: `${this.sbcPublic}:${this.ctx.profile.sbc.public.udp}`,
        calls: 1,
        recvTimeoutMs: 10000,
        timeoutS: 30,
        ...o,
      },
    });
  }

  result(role: string): SippResult {
    const r = this.sipp.get(role);
    if (!r) throw new Error(`no SIPp run called "${role}" in this scenario`);
    return r;
  }

  /**
   * The one place core-server behaviour is switched: any behaviour but the run's default (answer,
   * 1 s hold) is undone after the scenario, whatever happened in it.
   */
  async coreBehaviour(behaviour: CoreBehaviour, holdMs?: number): Promise<void> {
    if (behaviour !== 'answer' || holdMs !== undefined) this.onScenarioEnd(() => this.ctx.core.ensure('answer'));
    await this.ctx.core.ensure(behaviour, holdMs);
  }

  onScenarioEnd(fn: () => Promise<void>): void {
    this.cleanups.push(fn);
  }

  /** Runs the undo actions, last registered first; returns what failed. */
  async runCleanups(): Promise<string[]> {
    const problems: string[] = [];
    for (const fn of this.cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch (err) {
        problems.push(err instanceof Error ? err.message : String(err));
      }
    }
    return problems;
  }

  /** "GEN-08" or "IN-01/GEN-04": how a failure message of this scenario starts. */
  get ids(): string {
    return this.requirementIds.join('/') || 'SUITE';
  }

  /**
   * Marks the scenario "incomplete" for the certificate: the profile lacks what it needs or a
   * precondition failed. The step returns what this returns, so cucumber records it as skipped.
   */
  incomplete(reason: string): 'skipped' {
    this.attach(reason, 'text/x.sbcx.incomplete');
    this.notes.push(`incomplete: ${reason}`);
    return 'skipped';
  }

  openEvidence(index: number, name: string, tags: string[] = []): void {
    this.scenarioName = name;
    this.requirementIds = tags.filter((t) => /^(GEN|IN|OUT)-\d+$/.test(t));
    const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
    this.evidenceDir = join(this.ctx.state.reportDir, 'scenarios', `${String(index).padStart(3, '0')}-${slug}`);
    mkdirSync(this.evidenceDir, { recursive: true });
  }

  writeEvidence(status: string): void {
    const summary = {
      scenario: this.scenarioName,
      status,
      numbers: Object.fromEntries(this.numbers),
      sipp: [...this.sipp.values()].map((r) => ({ name: r.name, outcome: r.outcome, exitCode: r.exitCode, summary: r.summary, files: r.files })),
      notes: this.notes,
    };
    writeFileSync(join(this.evidenceDir, 'evidence.json'), JSON.stringify(summary, null, 2));
    writeFileSync(join(this.evidenceDir, 'ladder.txt'), this.ladderText());
  }

  /**
   * The scenario's SIP ladder as each endpoint saw it: every SIPp run of the public side, then what the
   * core servers exchanged for each number the scenario dialled (found by number, never by Call-ID).
   */
  ladderText(): string {
    const time = (d: Date): string => d.toISOString().slice(11, 23);
    const line = (m: TracedMessage): string =>
      `  ${time(m.at)} ${m.direction === 'sent' ? '-->' : '<--'} ${m.method ? `${m.method} ${m.requestUri}` : `${m.status} (${m.header('cseq') ?? ''})`}`;
    const parts: string[] = [`# ${this.scenarioName}`];
    for (const r of this.sipp.values()) parts.push(`\n## ${r.summary}`, ...r.messages.map(line));
    for (const [label, number] of this.numbers) {
      for (const receipt of this.ctx.core.receivedFor(number)) {
        parts.push(`\n## core server ${receipt.server}, ${label} ${number}`, ...receipt.messages.map(line));
      }
    }
    return `${parts.join('\n')}\n`;
  }
}

setWorldConstructor(SbcWorld);
