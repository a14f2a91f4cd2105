/**
 * Every SBC requirement ID of REQUIREMENTS.md (repository root): the certificate lists each one, run or not. The SUITE-*
 * IDs are requirements on this harness, not on the SBC: capacity figures (SUITE-04) come from
 * `npm run capacity`, which writes its own report.
 */
export const REQUIREMENTS: Readonly<Record<string, string>> = Object.freeze({
  'GEN-01': 'Public-side and core-side traffic get each side\'s policy',
  'GEN-02': 'Nothing from the public side reaches the core except through the SBC',
  'GEN-03': 'Nothing a public party can see carries a core private address',
  'GEN-04': 'OPTIONS from a permitted public address is answered 200 OK',
  'GEN-05': 'A CDR for every call attempt in PostgreSQL',
  'GEN-06': 'CDR fields: attempt time, duration, source, destination, remote IP, Call-ID',
  'GEN-07': 'Duration counts from the moment the call is connected',
  'GEN-08': 'SIP over UDP 5060 and TLS 5061; TCP 5060 refused',
  'GEN-09': 'Encrypted media (SRTP) is supported',
  'IN-01': 'Potentially malicious IPs can be blocked',
  'IN-02': 'External devices can register',
  'IN-03': 'Only G.711 reaches the core',
  'IN-04': 'Inbound calls spread over core servers in round robin',
  'OUT-01': 'Outbound requests are routed with ENUM',
  'OUT-02': 'ENUM failover moves on to the next record quickly',
  'OUT-03': 'Over TLS, SRTP is offered by default',
});
