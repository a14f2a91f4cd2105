import parseTagExpression from '@cucumber/tag-expressions';

/**
 * One planted defect: a small, realistic mistake a real SBC makes, written as an exact text edit of
 * one file of the reference SBC. The suite must refuse the SBC it produces (the mutant is "killed").
 */
export interface Defect {
  /** Stable kebab-case name, used by `--only` and as the mutant's folder name. */
  id: string;
  /** The requirement the defect breaks (REQUIREMENTS.md). */
  requirement: RequirementId;
  /** One sentence: what the broken SBC gets wrong, as a lab would describe the fault. */
  what: string;
  /** The file to edit, relative to `reference-sbc/src`. */
  file: string;
  /** Text that must occur exactly once in that file. */
  find: string;
  replace: string;
  /** Further edits of the same file, for a mistake made in two places (each find exactly once too). */
  also?: ReadonlyArray<{ find: string; replace: string }>;
  /** The cucumber tag expression of the scenarios that should catch it. */
  tags: string;
}

export const REQUIREMENT_IDS = [
  'GEN-01', 'GEN-02', 'GEN-03', 'GEN-04', 'GEN-05', 'GEN-06', 'GEN-07', 'GEN-08', 'GEN-09',
  'IN-01', 'IN-02', 'IN-03', 'IN-04', 'OUT-01', 'OUT-02', 'OUT-03',
] as const;
export type RequirementId = (typeof REQUIREMENT_IDS)[number];

/** A defect that cannot be applied as written: the source moved on and the defect must be re-placed. */
export class DefectError extends Error {
  constructor(
    readonly defectId: string,
    message: string,
  ) {
    super(`defect ${defectId}: ${message}`);
    this.name = 'DefectError';
  }
}

function occurrences(text: string, find: string): number {
  if (find === '') return 0;
  let n = 0;
  for (let at = text.indexOf(find); at !== -1; at = text.indexOf(find, at + find.length)) n++;
  return n;
}

/**
 * The file's text with the defect applied. Refuses (DefectError naming the defect) when the find text
 * is absent or ambiguous: an edit in the wrong place would measure nothing.
 */
export function applyDefect(defect: Defect, source: string): string {
  let text = source;
  for (const edit of [{ find: defect.find, replace: defect.replace }, ...(defect.also ?? [])]) {
    const n = occurrences(text, edit.find);
    if (n !== 1) {
      throw new DefectError(defect.id, `its find text occurs ${n} times in reference-sbc/src/${defect.file} (must be exactly once): ${JSON.stringify(edit.find.slice(0, 80))}`);
    }
    if (edit.find === edit.replace) throw new DefectError(defect.id, 'its replace text equals its find text');
    text = text.replace(edit.find, () => edit.replace);
  }
  return text;
}

/** Problems with the list itself (duplicate ids, unknown requirement, bad tag expression), empty when sound. */
export function listProblems(defects: readonly Defect[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const d of defects) {
    if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(d.id)) problems.push(`defect ${d.id}: id must be kebab-case`);
    if (seen.has(d.id)) problems.push(`defect ${d.id}: id used twice`);
    seen.add(d.id);
    if (!(REQUIREMENT_IDS as readonly string[]).includes(d.requirement)) problems.push(`defect ${d.id}: unknown requirement ${d.requirement}`);
    if (d.what.trim() === '') problems.push(`defect ${d.id}: says nothing about what it breaks`);
    try {
      parseTagExpression(d.tags);
    } catch (err) {
      problems.push(`defect ${d.id}: tag expression ${JSON.stringify(d.tags)}: ${(err as Error).message}`);
    }
  }
  return problems;
}
