import { resolve } from 'node:path';

/** The repository root, whatever the working directory (cucumber runs from it, tests may not). */
export const REPO_ROOT = resolve(import.meta.dirname, '..');
