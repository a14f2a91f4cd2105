import type { SippInstance } from '../../harness/sipp/runner';
import type { ScenarioPart, UndoScope } from './scenario-part';

/** GEN-05 across a crash: the callers started without waiting for them, and when the SBC was killed. */
export class RestartState implements ScenarioPart {
  readonly callers: SippInstance[] = [];
  killedAt?: Date;

  /** Stops the callers still up; their runs join the scenario's SIPp results for the evidence. */
  async undo({ sipp }: UndoScope): Promise<void> {
    for (const instance of this.callers.splice(0)) sipp.set(instance.name, await instance.stop());
  }
}
