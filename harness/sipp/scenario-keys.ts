/**
 * The values the suite's SIPp scenarios (scenarios/*.xml) share, passed as `-key name value` rather
 * than written into the XML, so the suite's code and the scenarios name them in one place.
 */

/** The calling number of every public-side caller (SIPp's `[from]`, the suite's own SIP client). */
export const PUBLIC_CALLER_NUMBER = '+31201110000';

/** The calling number of every core server call (a CDR's source number for an outbound call). */
export const CORE_CALLER_NUMBER = '+31205550000';

/**
 * Where a core server's answer points the core leg's media (`[core_media_port]` in
 * uas-answer-media.xml): a suite media endpoint listens there. SIPp binds its own media ports (-mp)
 * elsewhere, never here.
 */
export const CORE_MEDIA_PORT = 41000;

/** Keys every scenario file may use; a run's own keys override them. */
export function scenarioKeys(own: Record<string, string | number> = {}): Record<string, string | number> {
  return { ...own, core_media_port: own.core_media_port ?? CORE_MEDIA_PORT };
}
