import type { TcpProbeResult } from '../../harness/sip/probe-tcp';

export interface IsolationProbe {
  proto: 'udp' | 'tcp';
  target: string;
  outcome: string;
  /** A UDP answer came back, or the TCP handshake completed: a flow was opened. */
  opened: boolean;
  received: string;
  errorCode?: string;
}

/** What the capture-judged scenarios probed: the core's isolation (GEN-02), TCP on the SIP port (GEN-08). */
export class CaptureState {
  isolationProbes?: IsolationProbe[];
  sipPortProbe?: TcpProbeResult;
}
