import { createCipheriv } from 'node:crypto';
import { MediaError } from './media-error';
import { MASTER_KEY_LENGTH, MASTER_SALT_LENGTH } from './sdes-crypto';

/** Key derivation labels (RFC 3711 §4.3.1 and §4.3.2). */
export const KdfLabel = {
  RtpEncryption: 0,
  RtpAuthentication: 1,
  RtpSalt: 2,
  RtcpEncryption: 3,
  RtcpAuthentication: 4,
  RtcpSalt: 5,
} as const;
export type KdfLabel = (typeof KdfLabel)[keyof typeof KdfLabel];

/** n_a for HMAC-SHA1 (RFC 3711 §8.2): the session authentication key is 160 bits. */
export const SESSION_AUTH_KEY_LENGTH = 20;

/**
 * AES in counter mode (RFC 3711 §4.1.1) applied to `data`. node's aes-128-ctr increments the whole
 * 128-bit block, where the RFC's counter is the low 16 bits only; the two agree as long as a
 * segment stays under 2^16 blocks (1 MiB), which every RTP packet and derived key does.
 */
export function aesCm(key: Buffer, iv: Buffer, data: Buffer): Buffer {
  const cipher = createCipheriv('aes-128-ctr', key, iv);
  return Buffer.concat([cipher.update(data), cipher.final()]);
}

/** The keystream itself: AES-CM over zeros. */
export function aesCmKeystream(key: Buffer, iv: Buffer, length: number): Buffer {
  return aesCm(key, iv, Buffer.alloc(length));
}

/**
 * The AES-CM PRF with key derivation rate 0 (RFC 3711 §4.3.1): r = 0, so key_id = label || 0^48,
 * x = key_id XOR master_salt, and the output is the keystream from IV = x · 2^16.
 */
export function deriveSessionKey(masterKey: Buffer, masterSalt: Buffer, label: number, length: number): Buffer {
  if (masterKey.length !== MASTER_KEY_LENGTH || masterSalt.length !== MASTER_SALT_LENGTH) {
    throw new MediaError('srtp-bad-key', `master key/salt of ${masterKey.length}/${masterSalt.length} octets`);
  }
  const iv = Buffer.alloc(16);
  masterSalt.copy(iv, 0);
  // key_id is 56 bits right-aligned under the 112-bit salt, so the label lands on octet 7.
  iv[7]! ^= label;
  return aesCmKeystream(masterKey, iv, length);
}

export interface SessionKeys {
  encryptionKey: Buffer;
  authKey: Buffer;
  salt: Buffer;
}

/** The three session keys for SRTP, or for SRTCP with `rtcp`. */
export function deriveSessionKeys(masterKey: Buffer, masterSalt: Buffer, rtcp: boolean): SessionKeys {
  const base = rtcp ? KdfLabel.RtcpEncryption : KdfLabel.RtpEncryption;
  return {
    encryptionKey: deriveSessionKey(masterKey, masterSalt, base, MASTER_KEY_LENGTH),
    authKey: deriveSessionKey(masterKey, masterSalt, base + 1, SESSION_AUTH_KEY_LENGTH),
    salt: deriveSessionKey(masterKey, masterSalt, base + 2, MASTER_SALT_LENGTH),
  };
}

/**
 * IV = (k_s · 2^16) XOR (SSRC · 2^64) XOR (i · 2^16) (RFC 3711 §4.1.1). For SRTP i is the 48-bit
 * packet index ROC || SEQ; for SRTCP (§3.4) it is the 31-bit SRTCP index.
 */
export function srtpIv(sessionSalt: Buffer, ssrc: number, index: number): Buffer {
  const iv = Buffer.alloc(16);
  sessionSalt.copy(iv, 0);
  const ssrcBytes = Buffer.alloc(4);
  ssrcBytes.writeUInt32BE(ssrc >>> 0);
  const indexBytes = Buffer.alloc(6);
  indexBytes.writeUIntBE(index, 0, 6);
  for (let i = 0; i < 4; i++) iv[4 + i]! ^= ssrcBytes[i]!;
  for (let i = 0; i < 6; i++) iv[8 + i]! ^= indexBytes[i]!;
  return iv;
}
