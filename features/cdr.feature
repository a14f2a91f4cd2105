Feature: Call detail records in PostgreSQL
  Every call attempt, answered or not, gets one CDR row in the SBC's SQL database, with the
  attempt time, duration from answer, source and destination numbers, the public peer's address
  and the Call-ID the caller used (REQUIREMENTS.md GEN-05, GEN-06, GEN-07). Rows are read through
  the SUT profile's CDR query.

  Background:
    Given the core servers answer calls

  @GEN-05 @GEN-06
  Scenario: An answered inbound call gets one row with the caller's view of the call
    When a public caller dials a new number over UDP and hangs up after 1 s
    Then the caller saw the call answered and its BYE answered 200 OK
    And exactly one CDR row carries the caller's Call-ID
    And that row has the caller's number, the dialled number and the caller's address as remote IP
    And that row's attempt time is within 1 s of when the caller sent its INVITE

  @GEN-07
  Scenario: Duration counts from the answer to the end of the call
    When a public caller dials a new number over UDP and hangs up after 3 s
    Then the caller saw the call answered and its BYE answered 200 OK
    And that call's CDR duration is within 1 s of the time from the 200 OK to the BYE the caller saw

  @GEN-05
  Scenario: No CDR is lost while the database is down
    Given the CDR database is stopped
    When 20 public callers each dial a new number over UDP and hang up after 1 s
    And the CDR database is started again after being down for 20 s
    Then every one of those 20 calls has exactly one CDR row within 30 s

  @GEN-05 @GEN-07
  Scenario: A rejected call gets its own row with duration 0
    Given the core servers reject calls with 486 Busy Here
    When a public caller dials a new number over UDP and is rejected
    Then the caller's CDR row has final status 486, no answer time and duration 0

  @GEN-05 @GEN-07
  Scenario: A call cancelled while ringing gets its own row with duration 0
    Given the core servers ring and never answer
    When a public caller dials a new number over UDP and cancels after 1 s of ringing
    Then the caller saw its CANCEL answered 200 and the INVITE ended 487
    And the caller's CDR row has final status 487, no answer time and duration 0
