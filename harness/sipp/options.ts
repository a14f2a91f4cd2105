/**
 * Typed SIPp options and the command line they become. Only what the suite uses is modelled; `extra`
 * passes anything else through verbatim.
 */
import { scenarioKeys } from './scenario-keys';

export interface SippOptions {
  /** Path to a scenario XML file (`-sf`) or a built-in scenario name (`-sn`, e.g. 'uac', 'uas'). */
  scenario: { file: string } | { builtin: 'uac' | 'uas' | 'regexp' | 'branchc' | 'branchs' | 'uac_pcap' };
  localIp: string;
  localPort?: number;
  /** host:port of the remote side; absent for a UAS. */
  remote?: string;
  transport?: 'u1' | 'un' | 'ui' | 't1' | 'tn';
  /** Request-URI user part (`-s`). */
  service?: string;
  /** Calls per second (`-r`), with `ratePeriodMs` (`-rp`). */
  rate?: number;
  ratePeriodMs?: number;
  /** Stop after this many calls (`-m`). */
  calls?: number;
  /** Limit of simultaneous calls (`-l`). */
  maxConcurrent?: number;
  /** Injection CSV file (`-inf`): the first line is SEQUENTIAL / RANDOM / USER. */
  injectionFile?: string;
  /** Values for `[key]` keywords in the scenario (`-key name value`), beside the shared ones (scenario-keys.ts). */
  keys?: Record<string, string | number>;
  /** Default time-out of a recv (`-recv_timeout`), ms. */
  recvTimeoutMs?: number;
  /** Global run time-out (`-timeout`), seconds: SIPp stops even if calls are pending. */
  timeoutS?: number;
  /** Where SIPp writes its traces; the runner decides the file names. */
  messageFile?: string;
  statFile?: string;
  errorFile?: string;
  /** Statistics dump period (`-fd`), seconds. */
  statPeriodS?: number;
  /** Media address and port for RTP (`-mi`, `-mp`). */
  mediaIp?: string;
  mediaPort?: number;
  extra?: string[];
}

export function buildArgs(o: SippOptions): string[] {
  const a: string[] = [];
  if ('file' in o.scenario) a.push('-sf', o.scenario.file);
  else a.push('-sn', o.scenario.builtin);
  a.push('-i', o.localIp);
  if (o.localPort !== undefined) a.push('-p', String(o.localPort));
  if (o.transport) a.push('-t', o.transport);
  if (o.service !== undefined) a.push('-s', o.service);
  if (o.rate !== undefined) a.push('-r', String(o.rate));
  if (o.ratePeriodMs !== undefined) a.push('-rp', String(o.ratePeriodMs));
  if (o.calls !== undefined) a.push('-m', String(o.calls));
  if (o.maxConcurrent !== undefined) a.push('-l', String(o.maxConcurrent));
  if (o.injectionFile) a.push('-inf', o.injectionFile);
  // A scenario file gets the suite's shared keys too (scenario-keys.ts); a built-in one uses none.
  const keys = 'file' in o.scenario ? scenarioKeys(o.keys) : (o.keys ?? {});
  for (const [k, v] of Object.entries(keys)) a.push('-key', k, String(v));
  if (o.recvTimeoutMs !== undefined) a.push('-recv_timeout', String(o.recvTimeoutMs));
  if (o.timeoutS !== undefined) a.push('-timeout', `${o.timeoutS}s`, '-timeout_error');
  if (o.messageFile) a.push('-trace_msg', '-message_file', o.messageFile);
  if (o.statFile) a.push('-trace_stat', '-stf', o.statFile, '-fd', String(o.statPeriodS ?? 1));
  if (o.errorFile) a.push('-trace_err', '-error_file', o.errorFile);
  if (o.mediaIp) a.push('-mi', o.mediaIp);
  if (o.mediaPort !== undefined) a.push('-mp', String(o.mediaPort));
  // Never read a terminal: CI has none, and a stray keypress must not change the rate.
  a.push('-nostdin', ...(o.extra ?? []));
  if (o.remote) a.push(o.remote);
  return a;
}
