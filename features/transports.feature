Feature: SIP transports on the public side
  SIP over UDP on port 5060 and over TLS on port 5061 work, TLS in version 1.2 or newer only; TCP on
  port 5060 is refused (REQUIREMENTS.md GEN-08; the TCP check is in isolation.feature). A version
  floor is judged by handshakes from a public host: the SBC must complete one in TLS 1.2 and refuse
  TLS 1.1 and 1.0, whatever ciphers the client offers.

  @GEN-08
  Scenario: A call over UDP to port 5060 completes
    Given the core servers answer calls
    When a public caller dials a new number over UDP and hangs up after 1 s
    Then the caller saw the call answered and its BYE answered 200 OK

  @GEN-08
  Scenario: A call over TLS to port 5061 completes
    Given the core servers answer calls
    When a public caller dials a new number over TLS offering PCMU and PCMA
    And the caller hangs up
    Then the caller saw the call answered

  @GEN-08
  Scenario: TLS 1.2 is accepted on port 5061, TLS 1.1 and 1.0 are refused
    When a public host tries TLS handshakes with the SBC's public TLS port offering only TLS 1.2, only TLS 1.1 and only TLS 1.0
    Then the TLS 1.2 handshake was accepted
    And the TLS 1.1 and TLS 1.0 handshakes were refused
