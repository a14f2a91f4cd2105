/**
 * Routing room: where a call goes — round robin over the core servers with their health and
 * hold-down (IN-04), ENUM over e164.arpa NAPTR (OUT-01), registered users reached at their flow.
 * Other rooms and the composition root import this index, never a file inside the room.
 */
export type { ContactDirectory, ContactRoute } from './outbound-router';
export type { NextHopAvailability } from './next-hop-availability';
export { RoundRobin } from './round-robin';
export { createRouting, type CoreServerView, type Routing } from './routing-setup';
