import { describe, expect, it } from 'vitest';
import { CALL_TRANSITIONS, CallState, CallStateMachine } from '../../src/dialog/call-state';

const ALL = Object.values(CallState);

/** A machine walked to `state` through allowed moves only. */
function machineIn(state: CallState, refusals: Array<[CallState, CallState]>): CallStateMachine {
  const m = new CallStateMachine((from, to) => refusals.push([from, to]));
  const path: Record<CallState, CallState[]> = {
    [CallState.Routing]: [],
    [CallState.Early]: [CallState.Early],
    [CallState.Answered]: [CallState.Early, CallState.Answered],
    [CallState.Confirmed]: [CallState.Answered, CallState.Confirmed],
    [CallState.Ended]: [CallState.Ended],
  };
  for (const step of path[state]) expect(m.moveTo(step)).toBe(true);
  expect(m.state).toBe(state);
  return m;
}

describe('call state transitions', () => {
  const cases = ALL.flatMap((from) => ALL.filter((to) => to !== from).map((to) => ({ from, to, allowed: CALL_TRANSITIONS[from].includes(to) })));

  it.each(cases.filter((c) => c.allowed))('moves $from -> $to', ({ from, to }) => {
    const refusals: Array<[CallState, CallState]> = [];
    const m = machineIn(from, refusals);
    expect(m.moveTo(to)).toBe(true);
    expect(m.state).toBe(to);
    expect([refusals, m.refused]).toEqual([[], 0]);
  });

  it.each(cases.filter((c) => !c.allowed))('refuses $from -> $to: reported, counted, not applied', ({ from, to }) => {
    const refusals: Array<[CallState, CallState]> = [];
    const m = machineIn(from, refusals);
    expect(m.moveTo(to)).toBe(false);
    expect(m.state).toBe(from);
    expect([refusals, m.refused]).toEqual([[[from, to]], 1]);
  });

  it('has the call flow of RFC 3261 13 and nothing back: no return to Routing, nothing out of Ended', () => {
    expect(ALL.filter((s) => CALL_TRANSITIONS[s].includes(CallState.Routing))).toEqual([]);
    expect(CALL_TRANSITIONS[CallState.Ended]).toEqual([]);
    expect(ALL.filter((s) => s !== CallState.Ended && !CALL_TRANSITIONS[s].includes(CallState.Ended))).toEqual([]);
    expect(CALL_TRANSITIONS[CallState.Confirmed]).toEqual([CallState.Ended]);
  });

  it('treats staying in a state as no move (a second provisional, a second end)', () => {
    const refusals: Array<[CallState, CallState]> = [];
    const m = machineIn(CallState.Ended, refusals);
    expect(m.moveTo(CallState.Ended)).toBe(true);
    expect(m.refused).toBe(0);
  });
});
