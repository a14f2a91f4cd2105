import type { RobustnessRun } from '../../harness/robustness/run';

/** Which SBC process served before the test, to tell a crash or a restart afterwards. */
export interface ProcessNote {
  /** The pid the profile's health URL reports, if it reports one. */
  healthPid?: number;
  /** The pid the topology started, when it started the SBC. */
  startedPid?: number;
}

/** The robustness scenarios' state: the process noted before, the generated corpus's run. */
export class RobustnessState {
  process?: ProcessNote;
  private fired?: RobustnessRun;

  set run(r: RobustnessRun) {
    this.fired = r;
  }

  get run(): RobustnessRun {
    if (!this.fired) throw new Error('the generated corpus was not fired in this scenario');
    return this.fired;
  }
}
