Feature: Media through the SBC: G.711 towards the core, SRTP on TLS legs
  The SBC anchors media: each leg sends and receives RTP at the SBC's own address on its side.
  Only G.711 reaches the core (REQUIREMENTS.md IN-03), a caller offering SRTP gets a call whose
  public leg is valid SRTP (GEN-09), and a TLS leg towards the public side is offered SRTP even
  when the core offered plain RTP (OUT-03). Media is checked where it arrives: by an analyser on
  the caller's host and one on the core server's host. telephone-event/8000 (RFC 4733 key presses,
  not audio) may accompany G.711 towards the core; no other payload format may.

  @IN-03
  Scenario: The core is offered only G.711 whatever the caller offers
    Given the core servers answer calls with a media endpoint
    When a public caller dials a new number over UDP offering PCMU, PCMA, G722, opus, G729 and telephone-event
    Then the caller saw the call answered
    And the INVITE the core server received offers G.711 and no other codec

  @IN-03
  Scenario: An offer without G.711 is refused with 488 before it reaches the core
    Given the core servers answer calls with a media endpoint
    When a public caller dials a new number over UDP offering only G729
    Then the caller's INVITE was answered 488
    And no core server received an INVITE for that number

  @IN-03
  Scenario: Media of a UDP call crosses the SBC intact both ways, as G.711 only
    Given the core servers answer calls with a media endpoint
    When a public caller dials a new number over UDP offering PCMU and PCMA
    And the caller and the core server each send 150 packets of PCMU
    Then the core server received the caller's media intact, as plain G.711, only from the SBC's core address
    And the caller received the core server's media intact, only from the SBC's public address

  @GEN-09
  Scenario: A TLS caller offering SRTP gets valid SRTP on the public leg and the core gets plain RTP
    Given the core servers answer calls with a media endpoint
    When a public caller dials a new number over TLS offering RTP/SAVP with an AES_CM_128_HMAC_SHA1_80 key
    And the caller and the core server each send 150 packets of PCMU
    Then the caller saw the call answered with RTP/SAVP and an AES_CM_128_HMAC_SHA1_80 key of the SBC's own
    And the INVITE the core server received offers plain RTP/AVP without any key
    And the caller received SRTP that authenticates and decrypts with the SBC's key, intact, only from the SBC's public address
    And the core server received the caller's media intact, as plain G.711, only from the SBC's core address

  @OUT-03
  Scenario: A call from the core to a public TLS destination is offered SRTP though the core offered plain RTP
    Given a public device accepts calls over TLS
    And the ENUM record of a new number points at that device over TLS
    When a core server calls that number over UDP offering plain RTP
    Then the device received an INVITE over TLS offering RTP/SAVP with an AES_CM_128_HMAC_SHA1_80 key

  @OUT-03
  Scenario: A call from the core to a sips: URI from ENUM is offered SRTP though the core offered plain RTP
    Given a public device accepts calls over TLS
    And the ENUM record of a new number points at that device with a sips: URI
    When a core server calls that number over UDP offering plain RTP
    Then the device received an INVITE over TLS offering RTP/SAVP with an AES_CM_128_HMAC_SHA1_80 key
