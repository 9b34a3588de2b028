// Keeps outbound Feishu calls under the published limits across every process that shares Redis:
// IM send/reply 50/s and 1000/min per app, 5/s per receiving user or chat; card patch 5/s per message.
// (open.feishu.cn/document/server-docs/im-v1/message/create; .../api-call-guide/frequency-control)
// Sliding-window logs in Redis sorted sets, timed by Redis's own clock so instances agree.
// Per-second windows are also spread evenly (one call every window/limit ms): a burst of 50 that
// fits our window can still arrive at Feishu compressed by network jitter and trip its window.
import type { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';

export type RateWindow = { key: string; limit: number; windowMs: number };

export interface SendPacer {
  /** Resolves once one call fits inside every window, and records it in all of them. */
  acquire(windows: RateWindow[]): Promise<void>;
}

// KEYS: window keys. ARGV: member, then (limit, windowMs) per key.
// Returns 0 when admitted, else the milliseconds until the fullest window frees a slot.
const ACQUIRE_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local wait = 0
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[2 * i])
  local window = tonumber(ARGV[2 * i + 1])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) >= limit then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    local w = tonumber(oldest[2]) + window - now + 1
    if w > wait then wait = w end
  end
  if window <= 1100 then
    local newest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
    if newest[2] then
      local w = tonumber(newest[2]) + math.floor(window / limit) - now
      if w > wait then wait = w end
    end
  end
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  local window = tonumber(ARGV[2 * i + 1])
  redis.call('ZADD', key, now, ARGV[1] .. ':' .. now)
  redis.call('PEXPIRE', key, window + 1000)
end
return 0
`;

export class RedisSendPacer implements SendPacer {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'dispatch:pace',
    // A margin over each window absorbs network jitter between our admission and Feishu's count:
    // small for per-second windows (which are also spread evenly), larger for the per-minute one,
    // where one request delayed by a busy event loop can otherwise land a 1,001st call in the minute.
    private readonly marginMs = 15,
    private readonly longWindowMarginMs = 250,
  ) {}

  async acquire(windows: RateWindow[]): Promise<void> {
    if (windows.length === 0) return;
    const keys = windows.map((w) => `${this.prefix}:${w.key}`);
    const args: (string | number)[] = [randomUUID()];
    for (const w of windows) args.push(w.limit, w.windowMs + (w.windowMs > 1000 ? this.longWindowMarginMs : this.marginMs));
    for (;;) {
      const wait = Number(await this.redis.eval(ACQUIRE_LUA, keys.length, ...keys, ...args));
      if (wait <= 0) return;
      await sleep(Math.min(wait, 1000));
    }
  }
}

/** For processes without Redis (CLI one-shots, unit tests of callers): admits everything. */
export const unpaced: SendPacer = { acquire: async () => undefined };

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
