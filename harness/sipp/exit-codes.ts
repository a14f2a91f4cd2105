/** SIPp's exit codes (sipp(1), "Exit codes"), as outcomes a scenario can assert on. */
export type SippOutcome =
  | 'all-calls-succeeded'
  | 'some-calls-failed'
  | 'stopped-by-command'
  | 'no-calls-processed'
  | 'fatal-error'
  | 'socket-bind-failed'
  | 'killed'
  | 'unknown';

export function outcomeOf(code: number | string): SippOutcome {
  switch (code) {
    case 0:
      return 'all-calls-succeeded';
    case 1:
      return 'some-calls-failed';
    case 97:
      return 'stopped-by-command';
    case 99:
      return 'no-calls-processed';
    case 255:
    case -1:
      return 'fatal-error';
    case 254:
    case -2:
      return 'socket-bind-failed';
    default:
      return typeof code === 'string' && code.startsWith('SIG') ? 'killed' : 'unknown';
  }
}

export function describeOutcome(o: SippOutcome): string {
  return {
    'all-calls-succeeded': 'every call followed the scenario to its end',
    'some-calls-failed': 'at least one call failed (unexpected message, time-out or retransmission limit)',
    'stopped-by-command': 'stopped by an internal command',
    'no-calls-processed': 'exited normally without processing any call',
    'fatal-error': 'fatal error (scenario, options or network)',
    'socket-bind-failed': 'could not bind its socket (address in use or not present in this namespace)',
    killed: 'killed by a signal',
    unknown: 'unknown exit code',
  }[o];
}
