@capacity @SUITE-04
Feature: Capacity before a rollout, in business terms
  An operator sizing a rollout asks one question before the busy hour: does the SBC carry the
  expected peak of new calls, with media, for a sustained period, and stay within the service level
  customers notice? The service level is the one `npm run capacity` uses by default: at most 0.1 %
  of calls fail, 99 % of calls are set up (INVITE to 200 OK) within 200 ms, at most 1 % of messages
  are retransmissions on either side of the SBC, the callers really offered 90 % of the rate, and the
  media probe calls lose at most 1 % of their packets with a jitter p95 of at most 30 ms.
  Run by `npm run capacity -- --feature`, never by `npm test`.

  Scenario: The SBC sustains 100 calls per second with media for 60 s within the service level
    Given every call carries G.711 media through the SBC and is held 1.5 s
    When callers offer 100 new calls per second for 60 s
    Then the service level held for every call of those 60 s
