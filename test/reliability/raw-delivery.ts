// Hand-made webhook deliveries for the tests that spoil them in ways the driver does not:
// a chosen timestamp, a missing event id, an oversized body.
import { randomBytes } from 'node:crypto';
import { encryptPayload, signPayload } from '../../src/sandbox/lark-crypto.js';

export type RawAnswer = { status: number; body: unknown };

export async function postRaw(url: string, body: string, headers: Record<string, string> = {}): Promise<RawAnswer> {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, signal: AbortSignal.timeout(15_000) });
  const text = await r.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: r.status, body: parsed };
}

/** Encrypts and signs `payload` as Feishu does, at `timestampSec` (default now). */
export function signedDelivery(payload: unknown, encryptKey: string, timestampSec = Math.floor(Date.now() / 1000)): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify({ encrypt: encryptPayload(JSON.stringify(payload), encryptKey) });
  const timestamp = String(timestampSec);
  const nonce = randomBytes(8).toString('hex');
  return {
    body,
    headers: { 'x-lark-request-timestamp': timestamp, 'x-lark-request-nonce': nonce, 'x-lark-signature': signPayload(timestamp, nonce, encryptKey, body) },
  };
}
