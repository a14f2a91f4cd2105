Feature: Offers in the middle of a call
  A call's media can change after it is connected: a re-INVITE with a new offer (RFC 3261 14). The
  SBC applies to it the policy of the first offer: only G.711 reaches the core (REQUIREMENTS.md IN-03),
  nothing of the core shows in the answer the caller receives (GEN-03), and an SRTP caller keeps SRTP
  on its leg while the core keeps plain RTP (GEN-09). The core servers answer re-INVITEs with their own
  SDP (their own address), as a PBX does.

  @IN-03
  Scenario: A re-INVITE offering other codecs reaches the core with G.711 only
    Given the core servers answer calls and take re-INVITEs
    When a public caller dials a new number over UDP offering PCMU and PCMA
    And the caller sends a re-INVITE offering PCMU, G722, opus and G729
    Then the caller's re-INVITE was answered 200
    And the re-INVITE the core server received offers G.711 and no other codec

  @GEN-03
  Scenario: A re-INVITE and its answer show nothing of the core
    Given the core servers answer calls and take re-INVITEs
    When a public caller dials a new number over UDP offering PCMU and PCMA
    And the caller sends a re-INVITE offering PCMU and PCMA
    And the caller hangs up
    Then the caller's re-INVITE was answered 200
    And no message of this scenario's exchanges seen on the public side carries a core address or core host name

  @GEN-09
  Scenario: An SRTP caller's re-INVITE keeps SRTP on its leg and plain RTP towards the core
    Given the core servers answer calls and take re-INVITEs
    When a public caller dials a new number over TLS offering RTP/SAVP with an AES_CM_128_HMAC_SHA1_80 key
    And the caller sends a re-INVITE offering RTP/SAVP with a new AES_CM_128_HMAC_SHA1_80 key
    Then the caller's re-INVITE was answered 200 with RTP/SAVP and an AES_CM_128_HMAC_SHA1_80 key of the SBC's own
    And the re-INVITE the core server received offers plain RTP/AVP without any key
