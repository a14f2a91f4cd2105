import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { World } from '@cucumber/cucumber';
import { scenarioLadder } from '../../harness/sipp/scenario-ladder';
import type { SippResult } from '../../harness/sipp/runner';
import { currentRun, type RunContext } from './run-context';

// Numbers and endpoints are unique across the run so that the core side can be searched by number.
const runSalt = String(Date.now() % 90 + 10);
let numberSeq = 0;

/**
 * A scenario's bookkeeping: its evidence folder, the numbers it dialled, its SIPp runs and notes, and
 * the undo actions it registered. The World of the suite (steps/world.ts) builds on it.
 */
export class ScenarioWorld extends World {
  evidenceDir = '';
  scenarioName = '';
  /** The requirement IDs this scenario is tagged with (`GEN-08`), for failure messages. */
  requirementIds: string[] = [];
  /** The SIPp runs of this scenario, by role, for assertions and evidence. */
  readonly sipp = new Map<string, SippResult>();
  /** Numbers this scenario dialled, by label ('the number'). */
  readonly numbers = new Map<string, string>();
  notes: string[] = [];
  /** Undo actions (a core behaviour switched, a route added), run after the scenario even when it failed. */
  private readonly cleanups: (() => Promise<void>)[] = [];

  get ctx(): RunContext {
    const run = currentRun();
    if (!run) throw new Error('the run context is not open (BeforeAll did not run)');
    return run;
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

  result(role: string): SippResult {
    const r = this.sipp.get(role);
    if (!r) throw new Error(`no SIPp run called "${role}" in this scenario`);
    return r;
  }

  onScenarioEnd(fn: () => Promise<void>): void {
    this.cleanups.push(fn);
  }

  /** Runs the undo actions, last registered first; returns what failed. */
  protected async runUndoActions(): Promise<string[]> {
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
    writeFileSync(join(this.evidenceDir, 'ladder.txt'), scenarioLadder(this.scenarioName, this.sipp.values(), this.numbers, (n) => this.ctx.core.receivedFor(n)));
  }
}
