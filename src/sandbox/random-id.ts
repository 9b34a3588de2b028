// Random hex for the ids the tenant hands out per message (message ids, delayed-update tokens,
// event ids). crypto.randomBytes asks OpenSSL once per call, which at a fan-out's thousands of
// messages a second was a noticeable share of the tenant's CPU; one 4 KB draw serves 256 ids.
import { randomFillSync } from 'node:crypto';

const pool = Buffer.alloc(4096);
let offset = pool.length;

/** `bytes` random bytes as hex (2 × bytes characters); at most 64 bytes. */
export function randomHex(bytes: number): string {
  if (bytes > 64) throw new RangeError(`randomHex: at most 64 bytes, asked for ${bytes}`);
  if (offset + bytes > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return hex;
}
