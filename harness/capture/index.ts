/**
 * Per-zone packet capture and what the suite reads from it: flows, SIP messages as sent, the
 * topology-hiding audit (GEN-03) and the core-zone isolation checks (GEN-02).
 */
export { MARKER_PORT, MARKER_PREFIX, startCapture } from './capture';
export type { Capture, CaptureOptions, CaptureSummary } from './capture';
export { readCapture, readFlows, readSip, sipFromPayloads } from './pcap-read';
export type { CaptureContents, CapturedPayload, CapturedSip, Flow, FlowProto, ReadOptions } from './pcap-read';
export { readTls } from './tls-follow';
export type { TlsContents } from './tls-follow';
export { describeSip, frameSipStream, isSipStart, splitSip } from './sip-text';
export type { SipHeaderLine, SipText } from './sip-text';
export { auditPublicCapture, coreFinder, formatAudit, formatLeak, writeAuditReport } from './topology-audit';
export type { AuditOptions, AuditReport, Leak, LeakDirection } from './topology-audit';
export { auditCoreCapture, formatCoreFinding, probePayload, probeUdp } from './zone-isolation';
export type { CoreZoneAudit, CoreZoneFinding, UdpProbeOutcome, UdpProbeResult } from './zone-isolation';
export { inAnyNet, inNet } from './ipv4';
