/**
 * certificate.json's JSON Schema (certificate.schema.json beside this file, the document a customer's
 * tooling reads) and the check that a certificate matches it. The schema is the contract; the
 * TypeScript types in certificate.ts follow it, and the unit tests hold the two together.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';

export const CERTIFICATE_SCHEMA_FILE = new URL('./certificate.schema.json', import.meta.url);

let validate: ValidateFunction | undefined;

export function certificateSchema(): Record<string, unknown> {
  return JSON.parse(readFileSync(CERTIFICATE_SCHEMA_FILE, 'utf8')) as Record<string, unknown>;
}

/** Each place the data departs from the schema, as "/path: message"; empty when it matches. */
export function validateCertificate(data: unknown): string[] {
  // "format" is documentation here (ajv-formats is not needed for a date the suite itself writes);
  // strictRequired off: if/then and oneOf name properties their branch does not redeclare.
  validate ??= new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true, validateFormats: false }).compile(certificateSchema());
  if (validate(data)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? 'invalid'}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`);
}
