Feature: Inbound calls over UDP
  A call from the public side is carried by the SBC to a core server and back, on two
  independent legs (REQUIREMENTS.md GEN-01: public-side traffic gets the public-side policy,
  routing to the core).

  @GEN-01
  Scenario: An inbound call is answered by a core server and the caller hangs up
    Given the core servers answer calls
    When a public caller dials a new number over UDP and hangs up after 1 s
    Then the caller saw the call answered and its BYE answered 200 OK
    And exactly one core server received the INVITE for that number, from the SBC's core address
    And that core server received the ACK and the caller's BYE
    And the core leg shares no Call-ID, tag, Via or Contact with the public leg

  @GEN-01
  Scenario: An inbound call is answered by a core server and the core server hangs up
    Given the core servers answer calls and hang up after 1 s
    When a public caller dials a new number over UDP and waits for the callee to hang up
    Then the caller saw the call answered and then received a BYE from the SBC's public address
    And exactly one core server received the INVITE for that number, from the SBC's core address
    And that core server's BYE was answered 200 OK
    And the core leg shares no Call-ID, tag, Via or Contact with the public leg
