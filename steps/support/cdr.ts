
/** The CDR scenarios' state (GEN-05, GEN-06). */
export class CdrState {
  /** A CDR database outage: when it began and how to end it (also registered as its undo). */
  outage?: { stoppedAt: number; end: () => Promise<void> };
  /** The public device's address of an outbound call: its row's remote IP. */
  deviceAddress?: string;
}
