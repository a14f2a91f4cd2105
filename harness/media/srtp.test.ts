import { describe, expect, it } from 'vitest';
import { ReplayWindow } from './replay-window';
import { buildRtp, parseRtp } from './rtp-packet';
import { cryptoAttrValue, firstSupportedCrypto, formatCryptoAttr, generateCryptoAttr, parseCryptoAttr } from './sdes-crypto';
import { estimateRoc, SrtpContext } from './srtp';
import { aesCmKeystream, deriveSessionKey, KdfLabel, srtpIv } from './srtp-kdf';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// RFC 3711 Appendix B.3 master key and salt (also libsrtp's srtp_driver reference packet).
const MASTER_KEY = hex('E1F97A0D3E018BE0D64FA32C06DE4139');
const MASTER_SALT = hex('0EC675AD498AFEEBB6960B3AABE6');

function context(suite: 'AES_CM_128_HMAC_SHA1_80' | 'AES_CM_128_HMAC_SHA1_32' = 'AES_CM_128_HMAC_SHA1_80'): SrtpContext {
  return new SrtpContext({ suite, masterKey: MASTER_KEY, masterSalt: MASTER_SALT });
}

function rtp(seq: number, ssrc = 0x11223344, payload = Buffer.from('hello srtp, a payload of some length')): Buffer {
  return buildRtp({ payloadType: 0, sequenceNumber: seq, timestamp: seq * 160, ssrc, payload });
}

describe('RFC 3711 B.2 AES-CM keystream', () => {
  const key = hex('2B7E151628AED2A6ABF7158809CF4F3C');
  const salt = hex('F0F1F2F3F4F5F6F7F8F9FAFBFCFD');

  it('builds the counter from salt, SSRC 0 and index 0', () => {
    expect(srtpIv(salt, 0, 0)).toEqual(hex('F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000'));
  });

  it('produces the first and last blocks of the 65282-block segment', () => {
    const ks = aesCmKeystream(key, srtpIv(salt, 0, 0), 1044512);
    expect(ks.subarray(0, 48)).toEqual(
      hex('E03EAD0935C95E80E166B16DD92B4EB4 D23513162B02D0F72A43A2FE4A5F97AB 41E95B3BB0A2E8DD477901E4FCA894C0'),
    );
    expect(ks.subarray(0xfeff * 16)).toEqual(
      hex('EC8CDF7398607CB0F2D21675EA9EA1E4 362B7C3C6773516318A077D7FC5073AE 6A2CC3787889374FBEB4C81B17BA6C44'),
    );
  });
});

describe('RFC 3711 B.3 key derivation', () => {
  it('derives the cipher key, salt and the full auth keystream', () => {
    expect(deriveSessionKey(MASTER_KEY, MASTER_SALT, KdfLabel.RtpEncryption, 16)).toEqual(hex('C61E7A93744F39EE10734AFE3FF7A087'));
    expect(deriveSessionKey(MASTER_KEY, MASTER_SALT, KdfLabel.RtpSalt, 14)).toEqual(hex('30CBBC08863D8C85D49DB34A9AE1'));
    expect(deriveSessionKey(MASTER_KEY, MASTER_SALT, KdfLabel.RtpAuthentication, 94)).toEqual(
      hex(`CEBE321F6FF7716B6FD4AB49AF256A15 6D38BAA48F0A0ACF3C34E2359E6CDBCE E049646C43D9327AD175578EF7227098
           6371C10C9A369AC2F94A8C5FBCDDDC25 6D6E919A48B610EF17C2041E47403576 6B68642C59BBFC2F34DB60DBDFB2`),
    );
  });
});

describe('libsrtp reference packets (srtp_driver validate)', () => {
  const plainRtp = hex('800f1234decafbadcafebabe abababababababababababababababab');
  const srtp = hex('800f1234decafbadcafebabe 4e55dc4ce79978d88ca4d215949d2402 b78d6acc99ea179b8dbb');
  const plainRtcp = hex('81c8000bcafebabe abababababababababababababababab');
  const srtcp = hex('81c8000bcafebabe 7128035be487b9bdbef89041f977a5a8 80000001 993e08cd54d6c1230798');

  it('protects and unprotects the RTP packet bit-exactly', () => {
    expect(context().protectRtp(plainRtp)).toEqual(srtp);
    const back = context().unprotectRtp(srtp);
    expect(back.ok && back.value.packet).toEqual(plainRtp);
  });

  it('protects and unprotects the RTCP packet bit-exactly (libsrtp starts at SRTCP index 1)', () => {
    const sender = new SrtpContext({ suite: 'AES_CM_128_HMAC_SHA1_80', masterKey: MASTER_KEY, masterSalt: MASTER_SALT, firstSrtcpIndex: 1 });
    expect(sender.protectRtcp(plainRtcp)).toEqual(srtcp);
    const back = context().unprotectRtcp(srtcp);
    expect(back.ok && back.value).toMatchObject({ packet: plainRtcp, index: 1, encrypted: true });
  });
});

describe('SRTP protect / unprotect', () => {
  it.each(['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] as const)('round-trips with %s', (suite) => {
    const tx = context(suite);
    const rx = context(suite);
    for (let seq = 100; seq < 110; seq++) {
      const plain = rtp(seq);
      const protectedPacket = tx.protectRtp(plain);
      expect(protectedPacket.length).toBe(plain.length + (suite.endsWith('80') ? 10 : 4));
      expect(protectedPacket.subarray(12, plain.length)).not.toEqual(plain.subarray(12));
      const back = rx.unprotectRtp(protectedPacket);
      expect(back.ok && back.value.packet).toEqual(plain);
    }
  });

  it('round-trips CSRCs, header extension and padding (padding is encrypted)', () => {
    const plain = buildRtp({
      payloadType: 8, sequenceNumber: 7, timestamp: 1, ssrc: 5, csrcs: [1, 2],
      extension: { profile: 0xbede, data: hex('10ff0000') }, payload: Buffer.alloc(20, 3), paddingLength: 4,
    });
    const back = context().unprotectRtp(context().protectRtp(plain));
    expect(back.ok).toBe(true);
    if (back.ok) {
      expect(back.value.packet).toEqual(plain);
      const parsed = parseRtp(back.value.packet);
      expect(parsed.ok && parsed.value.paddingLength).toBe(4);
    }
  });

  it('rejects a tampered packet and still accepts the genuine one afterwards', () => {
    const tx = context();
    const rx = context();
    const good = tx.protectRtp(rtp(1));
    for (const at of [1, 5, 20, good.length - 1]) {
      const bad = Buffer.from(good);
      bad[at]! ^= 0x01;
      const r = rx.unprotectRtp(bad);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('srtp-auth-failed');
    }
    expect(rx.unprotectRtp(good).ok).toBe(true);
  });

  it('rejects a packet protected with another key', () => {
    const other = new SrtpContext({ suite: 'AES_CM_128_HMAC_SHA1_80', ...(() => {
      const k = generateCryptoAttr().keys[0]!;
      return { masterKey: k.masterKey, masterSalt: k.masterSalt };
    })() });
    const r = context().unprotectRtp(other.protectRtp(rtp(1)));
    expect(!r.ok && r.error.code).toBe('srtp-auth-failed');
  });

  it('rejects a replayed packet, accepts late ones inside the window, refuses ones beyond it', () => {
    const tx = context();
    const rx = context();
    const packets = Array.from({ length: 200 }, (_, i) => tx.protectRtp(rtp(1000 + i)));
    expect(rx.unprotectRtp(packets[0]!).ok).toBe(true);
    const again = rx.unprotectRtp(packets[0]!);
    expect(!again.ok && again.error.code).toBe('srtp-replayed');
    expect(rx.unprotectRtp(packets[150]!).ok).toBe(true);
    expect(rx.unprotectRtp(packets[100]!).ok).toBe(true); // 50 late: inside a 128 window
    const old = rx.unprotectRtp(packets[5]!); // 145 late: beyond it
    expect(!old.ok && old.error.code).toBe('srtp-too-old');
  });

  it('rolls the ROC over across sequence 65535 -> 0, in order and with reordering', () => {
    const tx = context();
    const rx = context();
    const seqs = [65530, 65531, 65532, 65533, 65534, 65535, 0, 1, 2, 3];
    const wire = seqs.map((s) => tx.protectRtp(rtp(s)));
    const results = [0, 1, 2, 3, 4, 6, 5, 7, 8, 9].map((i) => rx.unprotectRtp(wire[i]!));
    expect(results.every((r) => r.ok)).toBe(true);
    const indices = results.map((r) => (r.ok ? r.value.index : -1));
    expect(indices.slice(5)).toEqual([65536, 65535, 65537, 65538, 65539]);
    // A receiver that assumed ROC 0 for seq 0 after the wrap would fail authentication, not decrypt garbage.
    const fresh = context();
    expect(fresh.unprotectRtp(wire[0]!).ok).toBe(true);
    expect(fresh.unprotectRtp(wire[9]!).ok).toBe(true);
  });

  it('refuses garbage with typed errors and never throws', () => {
    const rx = context();
    const inputs = [Buffer.alloc(0), Buffer.alloc(5), Buffer.alloc(21), Buffer.alloc(40, 0xff), hex('8f00000000000000000000000000000000000000000000')];
    for (const b of inputs) {
      const r = rx.unprotectRtp(b);
      expect(r.ok).toBe(false);
      expect(rx.unprotectRtcp(b).ok).toBe(false);
    }
  });

  it('carries and checks an MKI', () => {
    const mki = { value: 258n, length: 2 };
    const tx = new SrtpContext({ suite: 'AES_CM_128_HMAC_SHA1_80', masterKey: MASTER_KEY, masterSalt: MASTER_SALT, mki });
    const wire = tx.protectRtp(rtp(9));
    expect(wire.subarray(wire.length - 12, wire.length - 10)).toEqual(hex('0102'));
    const rx = new SrtpContext({ suite: 'AES_CM_128_HMAC_SHA1_80', masterKey: MASTER_KEY, masterSalt: MASTER_SALT, mki });
    expect(rx.unprotectRtp(wire).ok).toBe(true);
    const wrong = new SrtpContext({ suite: 'AES_CM_128_HMAC_SHA1_80', masterKey: MASTER_KEY, masterSalt: MASTER_SALT, mki: { value: 1n, length: 2 } });
    const r = wrong.unprotectRtp(wire);
    expect(!r.ok && r.error.code).toBe('srtp-bad-mki');
  });
});

describe('index estimation and replay list', () => {
  it('follows RFC 3711 §3.3.1', () => {
    expect(estimateRoc(0, 100, 101)).toBe(0);
    expect(estimateRoc(1, 10, 65530)).toBe(0);
    expect(estimateRoc(0, 65530, 3)).toBe(1);
    expect(estimateRoc(0, 65530, 65000)).toBe(0);
  });

  it('slides', () => {
    const w = new ReplayWindow(64);
    w.commit(10);
    expect(w.check(10)).toBe('replayed');
    expect(w.check(9)).toBe('fresh');
    w.commit(1000);
    expect(w.check(10)).toBe('too-old');
    expect(w.check(999)).toBe('fresh');
    w.commit(999);
    expect(w.check(999)).toBe('replayed');
  });
});

describe('SDES a=crypto (RFC 4568)', () => {
  it('parses and formats the RFC 4568 example', () => {
    const line = 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4';
    const r = parseCryptoAttr(line);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({ tag: 1, suite: 'AES_CM_128_HMAC_SHA1_80', sessionParams: [] });
    expect(r.value.keys[0]).toMatchObject({ lifetime: 2 ** 20, mki: { value: 1n, length: 4 } });
    expect(r.value.keys[0]!.masterKey.length).toBe(16);
    expect(formatCryptoAttr(r.value)).toBe(line);
  });

  it('accepts the value without a=, an MKI without lifetime, session parameters', () => {
    const r = parseCryptoAttr('2 AES_CM_128_HMAC_SHA1_32 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1:1 UNENCRYPTED_SRTCP');
    expect(r.ok && r.value).toMatchObject({ tag: 2, suite: 'AES_CM_128_HMAC_SHA1_32', sessionParams: ['UNENCRYPTED_SRTCP'] });
    expect(r.ok && r.value.keys[0]!.lifetime).toBeUndefined();
  });

  it('reports unsupported suites and bad syntax with typed codes', () => {
    const suite = parseCryptoAttr('a=crypto:1 AEAD_AES_256_GCM inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR');
    expect(!suite.ok && suite.error.code).toBe('sdes-unsupported-suite');
    for (const bad of ['a=crypto:x AES_CM_128_HMAC_SHA1_80 inline:abc', 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:c2hvcnQ=',
      'a=crypto:1 AES_CM_128_HMAC_SHA1_80 uri:http://x', 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|300:1']) {
      const r = parseCryptoAttr(bad);
      expect(!r.ok && r.error.code).toBe('sdes-syntax');
    }
  });

  it('picks the first usable line of an offer', () => {
    const ours = generateCryptoAttr({ tag: 2 });
    const picked = firstSupportedCrypto(['1 AEAD_AES_256_GCM inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR', cryptoAttrValue(ours)]);
    expect(picked?.tag).toBe(2);
    expect(firstSupportedCrypto(['garbage'])).toBeUndefined();
  });

  it('generates fresh material that works in a context', () => {
    const attr = generateCryptoAttr();
    const parsed = parseCryptoAttr(formatCryptoAttr(attr));
    expect(parsed.ok && parsed.value.keys[0]!.masterKey).toEqual(attr.keys[0]!.masterKey);
    const tx = SrtpContext.fromCryptoAttr(attr);
    const rx = SrtpContext.fromCryptoAttr(attr);
    expect(rx.unprotectRtp(tx.protectRtp(rtp(1))).ok).toBe(true);
  });
});
