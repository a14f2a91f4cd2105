Feature: Routing by zone and round robin to the core
  Calls from the public side are spread over the core servers in strict rotation, and a core server
  that is down is skipped (REQUIREMENTS.md IN-04). The same request is treated by the side it comes
  from (GEN-01): from the public side it goes to the core in round robin, from the core it is routed
  by ENUM, and the core side takes calls only from the core servers. Where each call landed is read
  from the core servers' own traces, by the number dialled; what was sent to a stopped server (whose
  trace is empty whatever happened) from the core zone's capture. One call may find a server down (an
  SBC learns it from a probe or from that attempt); no other may be sent there, and no caller waits
  longer for an answer than OUT-02 allows a failover (5 s).

  @IN-04
  Scenario: Nine calls over three healthy core servers land three on each, in rotation
    Given the core servers answer calls
    When public callers place 9 calls, one after the other, each to a new number
    Then every call was answered and completed
    And each core server received 3 of them, in strict rotation

  @IN-04
  Scenario: A core server that is down is skipped and no call is lost
    Given the core servers answer calls
    And core server 2 is down
    When public callers place 6 calls, one after the other, each to a new number
    Then every call was answered and completed
    And no call reached the stopped server and each other core server received at least 2
    And the core-zone capture shows at most one of those calls sent to the stopped server, the one that found it down
    And every one of those calls was answered within 5 s of its INVITE

  @IN-04
  Scenario: A core server that answers again is back in the rotation
    Given the core servers answer calls
    And core server 2 is down
    When public callers place 3 calls, one after the other, each to a new number
    And core server 2 is started again
    Then every call was answered and completed
    And within 15 s a new public call lands on core server 2

  @GEN-01
  Scenario: The same INVITE goes to the core from the public side and by ENUM from the core
    Given the core servers answer calls
    And a public destination "D" that answers calls
    And the ENUM records of a new number point at:
      | destination | order | preference |
      | D           | 10    | 10         |
    When a public caller dials that number
    Then the public call reached a core server and destination "D" received nothing from it
    When a core server calls that number
    Then the core call reached destination "D" and no core server received it

  @GEN-01
  Scenario: An INVITE on the core side from a host that is not a core server is not routed
    Given a public destination "D" that answers calls
    And the ENUM records of a new number point at:
      | destination | order | preference |
      | D           | 10    | 10         |
    When a host on the core network that is not a core server calls that number
    Then that call was not routed: no answer or an error, and destination "D" received nothing
