import type { Defect } from './defect';
import { GENERAL_DEFECTS } from './defects-general';
import { IN_OUT_DEFECTS } from './defects-in-out';

/**
 * The planted defects, at least one per requirement ID, each where a real implementation gets it
 * wrong: a forgotten case, a check applied on one path only, a unit slip, a policy run once instead
 * of on every offer. Tags name the scenarios that must refuse the SBC; they are kept tight so one
 * mutant runs in well under a minute.
 */

export const DEFECTS: readonly Defect[] = [...GENERAL_DEFECTS, ...IN_OUT_DEFECTS];
