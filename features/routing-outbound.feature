Feature: Outbound routing with ENUM
  A call from the core goes where ENUM says (REQUIREMENTS.md OUT-01): the called number becomes its
  e164.arpa name, the NAPTR records with service E2U+sip are fetched from the topology's DNS server,
  the regexp turns the number into a URI and the call is sent there. Several records are tried in
  order, then preference; a failed attempt (a transport error, no answer, 408, any 5xx) moves on to
  the next record quickly, a 6xx ends the search (OUT-02). Where calls went, and when, is read from what the public
  destinations received and from the public zone's packet capture, never from the SBC's logs.

  @OUT-01
  Scenario: A call from the core reaches the URI its NAPTR record gives
    Given a public destination "A" that answers calls
    And the ENUM records of a new number point at:
      | destination | order | preference |
      | A           | 10    | 10         |
    When a core server calls that number
    Then the core server saw the call answered
    And destination "A" received the call with the Request-URI the NAPTR regexp gives

  @OUT-01
  Scenario: A number without an ENUM record is refused 404 and nothing leaves to the public side
    Given the ENUM zone has no record for a new number
    When a core server calls that number and is refused
    Then the core server's call was refused with 404
    And nothing the SBC sent to the public side carries that number

  @OUT-02
  Scenario Outline: The first destination <failure>: the call connects on the second within 5 s
    Given a public destination "A" that <failure>
    And a public destination "B" that answers calls
    And the ENUM records of a new number point at:
      | destination | order | preference |
      | A           | 10    | 10         |
      | B           | 20    | 10         |
    When a core server calls that number
    Then the core server saw the call answered
    And the call connected on destination "B" within 5 s of destination "A"'s failure being known

    Examples:
      | failure      |
      | stays silent |
      | answers 503  |
      | answers 408  |
      | answers 500  |

  @OUT-02
  Scenario Outline: The first destination fails at the transport (<failure>): the call connects on the second within 5 s
    The failure is known at once (a refused TCP connection, an ICMP port unreachable), so the whole
    post-dial delay is the time the SBC takes to move on.
    Given a public destination "A" that <failure>
    And a public destination "B" that answers calls
    And the ENUM records of a new number point at:
      | destination | order | preference |
      | A           | 10    | 10         |
      | B           | 20    | 10         |
    When a core server calls that number
    Then the core server saw the call answered
    And the call connected on destination "B" within 5 s of the core server's INVITE

    Examples:
      | failure                 |
      | refuses TLS connections |
      | is not listening on UDP |

  @OUT-02
  Scenario: Records are tried in order, then preference
    Given a public destination "A" that answers calls
    And a public destination "B" that answers 503
    And a public destination "C" that answers 502
    And the ENUM records of a new number point at:
      | destination | order | preference |
      | A           | 20    | 10         |
      | B           | 10    | 20         |
      | C           | 10    | 10         |
    When a core server calls that number
    Then the core server saw the call answered
    And the destinations were tried in the order C, B, A

  @OUT-02
  Scenario: A 6xx answer ends the search
    Given a public destination "A" that answers 603
    And a public destination "B" that answers calls
    And the ENUM records of a new number point at:
      | destination | order | preference |
      | A           | 10    | 10         |
      | B           | 20    | 10         |
    When a core server calls that number and is refused
    Then the core server's call was refused with 603
    And destination "B" received no call
