Feature: Topology hiding
  Nothing a public party can see carries a core private address or a core host name (REQUIREMENTS.md
  GEN-03): not the SIP headers (Via, Record-Route, Route, Contact, From/To, Call-ID, Warning,
  Server/User-Agent, Reason, ...), not the SDP (o=, c=), in provisional and error responses, in
  in-dialog requests and in a BYE from the core. The core servers answer with their own addresses in
  Contact, Server, Warning and SDP on purpose, as a real PBX does.

  The public zone is captured for the whole run. Each scenario audits the messages of its own
  exchanges, on every transport it uses (UDP and TLS) and in the responses the SBC makes itself, so a
  run filtered by tags audits what it ran. At the end of the run everything the public side received,
  from every feature, is audited once more: that audit is a check of GEN-03 on the certificate of its
  own ("Nothing the public side received during the whole run shows anything of the core", evidence
  capture/whole-run/public-topology-audit.txt), and any leak in it fails GEN-03.

  @GEN-03
  Scenario: An answered call the caller hangs up shows nothing of the core
    Given the core servers answer calls
    When a public caller dials a new number over UDP and hangs up after 1 s
    Then the public party got every answer it expected
    And no message of this scenario's exchanges seen on the public side carries a core address or core host name

  @GEN-03
  Scenario: A call the core server hangs up shows nothing of the core, BYE included
    Given the core servers answer calls and hang up after 1 s
    When a public caller dials a new number over UDP and waits for the callee to hang up
    Then the public party got every answer it expected
    And no message of this scenario's exchanges seen on the public side carries a core address or core host name

  @GEN-03
  Scenario: A call the core server rejects shows nothing of the core in the provisional and error responses
    Given the core servers reject calls with 486 Busy Here
    When a public caller dials a new number over UDP and is rejected
    Then the public party got every answer it expected
    And no message of this scenario's exchanges seen on the public side carries a core address or core host name

  @GEN-03
  Scenario: The SBC's answer to OPTIONS shows nothing of the core
    When a public host sends OPTIONS to the SBC's public address
    Then the public party got every answer it expected
    And no message of this scenario's exchanges seen on the public side carries a core address or core host name

  @GEN-03
  Scenario: Early media from the core (183 with SDP) shows nothing of the core
    Given the core servers play early media before they answer
    When a public caller dials a new number over UDP and hangs up after 1 s
    Then the public party got every answer it expected
    And no message of this scenario's exchanges seen on the public side carries a core address or core host name

  @GEN-03
  Scenario: The SBC's own refusal of an offer (488 with its Warning) shows nothing of the core
    When a public caller dials a new number over UDP with an offer of only G.729 and is refused by the SBC
    Then the caller's INVITE was refused with 488
    And the public party got every answer it expected
    And no message of this scenario's exchanges seen on the public side carries a core address or core host name

  @GEN-03
  Scenario: A call over TLS shows nothing of the core
    The TLS leg is audited from the public capture, decrypted with the suite's own TLS key log.
    Given the core servers answer calls
    When a public caller dials a new number over TLS offering PCMU and PCMA
    And the caller hangs up
    Then the caller saw the call answered
    And no message of this scenario's exchanges seen on the public side carries a core address or core host name
