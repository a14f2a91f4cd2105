Feature: Robustness against malformed input
  An SBC faces the Internet: truncated, oversized and garbled messages, wrong Content-Length, header
  injection with bare CR or LF, thousands of headers. None of them may crash or restart it, and it
  keeps serving calls. (Not a requirement of REQUIREMENTS.md on its own; the certificate lists
  only requirement IDs and ignores this tag.)

  @robustness
  Scenario: Malformed and hostile messages neither crash the SBC nor stop it serving calls
    Given the core servers answer calls
    And the SBC's process is noted
    When a public host sends the SBC a corpus of malformed messages over UDP and TLS
    And a public caller dials a new number over UDP and hangs up after 1 s
    Then the caller's call was answered and ended normally
    And the SBC is still the same process, alive and healthy
