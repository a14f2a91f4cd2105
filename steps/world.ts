import { join } from 'node:path';
import { setWorldConstructor } from '@cucumber/cucumber';
import { startSipp, type SippInstance, type SippResult } from '../harness/sipp/runner';
import type { SippOptions } from '../harness/sipp/options';
import { PUBLIC_CALLER_NUMBER } from '../harness/sipp/scenario-keys';
import type { CoreBehaviour } from '../topology/core-servers';
import { REPO_ROOT } from '../topology/paths';
import { BlockingState } from './support/blocking';
import { CaptureState } from './support/capture';
import { CdrState } from './support/cdr';
import { MediaState } from './support/media';
import { RegistrationState } from './support/registration';
import { RestartState } from './support/restart';
import { RobustnessState } from './support/robustness';
import { RoutingState } from './support/routing';
import type { ScenarioPart } from './support/scenario-part';
import { ScenarioWorld } from './support/scenario-world';
import { TlsState } from './support/tls';

export { currentRun, openRun, type RunContext } from './support/run-context';

let endpointSeq = 0;

/**
 * One scenario's behaviour: the steps stay thin and call these (STYLE.md 11). The scenario's bookkeeping
 * (evidence, numbers, notes, undo actions) is its base class, support/scenario-world.ts.
 */
export class SbcWorld extends ScenarioWorld {
  /**
   * The public-side exchanges this scenario made with the suite's own SIP client (UDP or TLS): their
   * Call-IDs and local endpoints, so a per-scenario audit covers them as it covers the SIPp runs.
   */
  readonly exchanges = { callIds: new Set<string>(), endpoints: new Set<string>() };
  // The scenario's state by subject (steps/support): each part is new for every scenario and undone after it.
  readonly media = new MediaState();
  readonly routing = new RoutingState();
  readonly cdr = new CdrState();
  readonly registration = new RegistrationState();
  readonly capture = new CaptureState();
  readonly blocking = new BlockingState();
  readonly robustness = new RobustnessState();
  readonly restart = new RestartState();
  readonly tls = new TlsState();
  get sbcPublic(): string {
    return this.ctx.profile.sbc.public.address;
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
        // Every public caller calls from the same number ([from] in the scenarios).
        keys: { from: PUBLIC_CALLER_NUMBER, ...o.keys },
      },
    });
  }

  /**
   * The one place core-server behaviour is switched: any behaviour but the run's default (answer,
   * 1 s hold) is undone after the scenario, whatever happened in it.
   */
  async coreBehaviour(behaviour: CoreBehaviour, holdMs?: number): Promise<void> {
    if (behaviour !== 'answer' || holdMs !== undefined) this.onScenarioEnd(() => this.ctx.core.ensure('answer'));
    await this.ctx.core.ensure(behaviour, holdMs);
  }

  /** Stops one core server; the set is started again with the default behaviour after the scenario. */
  async stopCoreServer(address: string): Promise<void> {
    this.onScenarioEnd(() => this.ctx.core.ensure('answer'));
    await this.ctx.core.stopServer(address);
  }

  override openEvidence(index: number, name: string, tags: string[] = []): void {
    super.openEvidence(index, name, tags);
    this.media.req = tags.find((t) => /^[A-Z]+-\d+$/.test(t)) ?? 'MEDIA';
  }

  /**
   * Undoes the scenario: first each part releases what it opened (the call is hung up, sockets and
   * media agents close, callers stop), then the undo actions run, last registered first (users and
   * routes removed, the core's behaviour restored). Returns what failed.
   */
  async undo(): Promise<string[]> {
    const problems: string[] = [];
    // Media first: its hang-up needs the core servers as the scenario left them.
    // The other parts hold results only; what they change elsewhere is undone by actions (onScenarioEnd).
    const parts: ScenarioPart[] = [this.media, this.restart, this.routing, this.registration];
    const scope = { evidenceDir: this.evidenceDir, notes: this.notes, sipp: this.sipp };
    for (const part of parts) {
      try {
        await part.undo?.(scope);
      } catch (err) {
        problems.push(err instanceof Error ? err.message : String(err));
      }
    }
    problems.push(...(await this.runUndoActions()));
    return problems;
  }

}

setWorldConstructor(SbcWorld);
