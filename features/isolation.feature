Feature: Isolation of the core network
  Nothing from the public side reaches the core except through the SBC (REQUIREMENTS.md GEN-02): a
  public host cannot open any UDP or TCP flow to a core address, even when it sends its packets for
  the core network straight to the SBC's public address (the SBC host forwards nothing), and every
  packet a core server receives from outside comes from the SBC's core address. The core zone is
  captured for the whole run, so the last check covers every feature's traffic up to that point.
  The SBC also speaks no SIP over TCP on its public SIP port (GEN-08).

  @GEN-02
  Scenario: A public host cannot open any UDP or TCP flow to a core address
    Given the SBC answers SIP over UDP on its public address
    And a public host routes the core network through the SBC's public address
    When it sends a UDP datagram and opens a TCP connection to every core address and service port
    Then none of them is answered or accepted
    And no packet from a public address reached the core zone

  @GEN-02
  Scenario: Every packet a core server receives from outside the core comes from the SBC's core address
    Given the core servers answer calls
    When a public caller dials a new number over UDP and hangs up after 1 s
    Then every packet the core zone received from outside came from the SBC's core address
    And no packet from a public address reached the core zone

  @GEN-08
  Scenario: TCP to the SBC's public SIP port is refused or closed without a SIP answer
    Given the SBC answers SIP over UDP on its public address
    When a public host opens a TCP connection to the SBC's public SIP port and sends OPTIONS
    Then the connection is refused or closed without any SIP answer
