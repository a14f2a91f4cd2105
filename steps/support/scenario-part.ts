import type { SippResult } from '../../harness/sipp/runner';

/**
 * A typed part of the World: one subject's scenario state, with an undo when it holds something to
 * release. The World creates each part fresh for every scenario and the one After hook (hooks.ts)
 * undoes them all, even after a failure.
 */
export interface ScenarioPart {
  /** Releases what the scenario opened (sockets, media agents, processes); `notes` gets what went wrong. */
  undo?(scope: UndoScope): Promise<void>;
}

/** What an undo may use of its scenario: where its evidence goes, its notes and its SIPp runs. */
export interface UndoScope {
  evidenceDir: string;
  notes: string[];
  sipp: Map<string, SippResult>;
}
