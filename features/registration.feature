Feature: Registration of public devices
  A device on the public side registers with the SBC, with digest authentication where credentials
  are configured, and is then reachable from the core at the contact it registered
  (REQUIREMENTS.md IN-02). A removed or expired binding is no longer reached. The user and its
  password are provisioned through the SUT profile (provision.addUser / removeUser).

  @IN-02
  Scenario: A device registers with digest authentication and receives a call from the core
    Given a SIP user with a password is provisioned on the SBC
    And a public device registers as that user with its password for 3600 s
    Then the registration was answered 200 OK with the device's contact and an expiry of at most 3600 s
    When a core server calls that user
    Then the core server saw the call answered
    And the device received the call at its registered contact

  @IN-02
  Scenario: A device registered over TLS receives the call over its TLS connection
    Given a SIP user with a password is provisioned on the SBC
    And a public device registers as that user over TLS with its password for 3600 s
    Then the registration was answered 200 OK with the device's contact and an expiry of at most 3600 s
    When a core server calls that user
    Then the core server saw the call answered
    And the device received the call at its registered contact

  # Beyond the requirement: IN-02 does not say bindings outlive a restart of the SBC.
  @IN-02 @beyond
  Scenario: A binding survives a restart of the SBC
    Given a SIP user with a password is provisioned on the SBC
    And a public device registers as that user with its password for 3600 s
    When the SBC is killed and started again
    And a core server calls that user
    Then the core server saw the call answered
    And the device received the call at its registered contact

  @IN-02
  Scenario: A user cannot register a contact for another user's address of record
    The first user authenticates correctly, but as itself: the binding it asks for is another user's.
    Given a SIP user with a password is provisioned on the SBC
    And another SIP user with a password is provisioned on the SBC
    When the first user's device registers its contact for the other user's address of record with its own credentials
    Then that registration was refused
    When a core server calls the other user
    Then the first user's device received no call for the other user

  @IN-02
  Scenario: A wrong password gets no binding
    Given a SIP user with a password is provisioned on the SBC
    And a public device registers as that user with a wrong password
    Then the registration was refused with 401 or 403
    When a core server calls that user and is refused
    Then the device received no call

  @IN-02
  Scenario: A binding removed with Expires 0 is no longer reached
    Given a SIP user with a password is provisioned on the SBC
    And a public device registers as that user with its password for 3600 s
    When the device removes its binding with Expires 0
    And a core server calls that user and is refused
    Then the core server's call was refused with 404
    And the device received no call

  @IN-02
  Scenario: An expired binding is no longer reached
    Given a SIP user with a password is provisioned on the SBC
    And a public device registers as that user with its password for 3 s
    When 4 s pass
    And a core server calls that user and is refused
    Then the core server's call was refused with 404
    And the device received no call
