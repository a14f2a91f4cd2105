Feature: OPTIONS from the public side
  The SBC answers SIP OPTIONS from a permitted public address itself, with 200 OK,
  and never relays them to the core (REQUIREMENTS.md GEN-04).

  @GEN-04
  Scenario Outline: OPTIONS <form> from a permitted public address is answered by the SBC itself
    When a public host sends OPTIONS <form> to the SBC's public address
    Then it receives 200 OK to its OPTIONS
    And no core server received that OPTIONS

    Examples: the forms real peers send
      | form                |
      | with a user part    |
      | without a user part |
