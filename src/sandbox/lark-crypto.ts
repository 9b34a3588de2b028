// Webhook crypto exactly as Feishu applies it to events and v2 card callbacks
// (docs/feishu.md §2 "Webhook security"; SDK AESCipher and RequestHandle):
// - body {"encrypt": base64(iv[16] + AES-256-CBC/PKCS7(json))}, key = SHA-256(EncryptKey)
// - X-Lark-Signature = sha256_hex(timestamp + nonce + EncryptKey + rawBody)
// The SDK recomputes the signature over JSON.stringify(JSON.parse(rawBody)),
// so callers must send a body that survives that round trip unchanged (a
// compact JSON.stringify output does).
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

function aesKey(encryptKey: string): Buffer {
  return createHash('sha256').update(encryptKey).digest();
}

/** Encrypts a JSON string into the value of the `encrypt` field. */
export function encryptPayload(json: string, encryptKey: string, iv: Buffer = randomBytes(16)): string {
  if (iv.length !== 16) throw new Error('iv must be 16 bytes');
  const cipher = createCipheriv('aes-256-cbc', aesKey(encryptKey), iv);
  const ciphertext = Buffer.concat([cipher.update(json, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, ciphertext]).toString('base64');
}

/** Reverses {@link encryptPayload}; throws on a wrong key or corrupt input. */
export function decryptPayload(encrypted: string, encryptKey: string): string {
  const raw = Buffer.from(encrypted, 'base64');
  if (raw.length < 32) throw new Error('encrypted payload too short');
  const decipher = createDecipheriv('aes-256-cbc', aesKey(encryptKey), raw.subarray(0, 16));
  return Buffer.concat([decipher.update(raw.subarray(16)), decipher.final()]).toString('utf8');
}

/** The X-Lark-Signature value for a delivery. */
export function signPayload(timestamp: string, nonce: string, encryptKey: string, body: string): string {
  return createHash('sha256')
    .update(timestamp + nonce + encryptKey + body)
    .digest('hex');
}
