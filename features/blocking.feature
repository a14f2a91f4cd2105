Feature: Blocking malicious addresses
  Potentially malicious addresses can be blocked (REQUIREMENTS.md IN-01): an address on the block
  list gets no answer to anything, on any transport (UDP and TLS), not even to OPTIONS (GEN-04, in a
  scenario of its own), and none of its traffic reaches the core; an operator adds and removes addresses at run time, through the SUT profile's provisioning
  actions; an address that floods or scans is blocked automatically for a while. Every verdict is
  judged by what crosses the wire, never by the SBC's own view of its block list. Each scenario
  unblocks what it blocked, and the attacker's address, before the next one starts.

  @IN-01
  Scenario: An address blocked at run time gets no answer and nothing of it reaches the core
    Given the SBC answers SIP over UDP on its public address
    And the core servers answer calls
    And the operator has blocked the address of a public host
    When that host sends OPTIONS and an INVITE for a new number to the SBC's public address
    Then neither request got any answer
    And no core server received anything of that host's requests

  @GEN-04
  Scenario: OPTIONS from a blocked address gets no answer
    Given the SBC answers SIP over UDP on its public address
    And the operator has blocked the address of a public host
    When that host sends OPTIONS to the SBC's public address
    Then its OPTIONS got no answer

  @IN-01
  Scenario: An address on the block list gets nothing over TLS either
    Given the SBC answers SIP over TLS on its public address
    And the core servers answer calls
    And the operator has blocked the address of a public host
    When that host sends OPTIONS and an INVITE for a new number over TLS to the SBC's public address
    Then neither TLS request got any answer
    And no core server received anything of that host's requests

  @IN-01
  Scenario: An address unblocked at run time is served again
    Given the core servers answer calls
    And the operator has blocked the address of a public host
    When the operator unblocks that address
    And that host sends OPTIONS and places a call to a new number
    Then its OPTIONS got 200 OK and its call was answered and ended

  @IN-01
  Scenario: An address that floods the SBC is banned within 2 s while other callers are served
    Given the core servers answer calls
    And the attacker's address is served by the SBC
    When the attacker floods the SBC with INVITEs and OPTIONS at 400 requests/s for 4 s while a public caller places 6 calls
    Then the SBC stopped answering the attacker within 2 s of the flood's start, for the rest of the flood
    And none of the attacker's requests after that reached the core
    And every call of the public caller was answered and ended

  @IN-01
  Scenario: A SIPVicious-style OPTIONS scan gets no answer
    Given the SBC answers SIP over UDP on its public address
    And the attacker's address is served by the SBC
    When the attacker scans 10 extensions with OPTIONS as "friendly-scanner"
    Then none of the scan's requests got any answer
    And no core server received anything of the scan
