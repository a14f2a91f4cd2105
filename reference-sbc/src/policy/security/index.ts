/**
 * Security room: what is refused before any parsing or routing (IN-01, GEN-06) — the block list
 * (operator entries and the database's), flood and scanner guards, zone guards by CIDR.
 * Other rooms and the composition root import this index, never a file inside the room.
 */
export { Blocklist, entryView } from './blocklist';
export type { BlocklistDb } from './blocklist-db';
export { parseCidr } from './cidr';
export { DEFAULT_SCANNER_AGENTS } from './scanner-filter';
export { createSecurity } from './security-setup';
