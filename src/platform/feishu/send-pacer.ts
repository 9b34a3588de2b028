// Keeps outbound Feishu calls under the published limits across every process that shares Redis:
// IM send/reply 50/s and 1000/min per app, 5/s per receiving user or chat; card patch 5/s per message.
// (open.feishu.cn/document/server-docs/im-v1/message/create; .../api-call-guide/frequency-control)
// Sliding-window logs in Redis sorted sets, timed by Redis's own clock so instances agree.
//
// Two kinds of window. A queue window (the per-app ones, `queue: true`) is one every call of the
// API counts against: calls line up for it, each reserving the next slot it allows — in the log
// at that future time — and sleeping until then. One script call per Feishu call, however many
// wait (when waiting calls instead asked again whenever a slot might have freed, 20 workers sharing
// a 2 ms slot asked about 20 times per call sent, and that polling was most of a fan-out's CPU),
// or one for several calls to one receiver (`reserve`: an owner's cards), each then sent at its slot.
// A queue window's slots are also spread evenly (one every window/limit ms): a burst that fits the
// window can still arrive at Feishu compressed by network jitter and trip its window.
// Any other window (per receiver, per message) only admits a call or sends it back to wait until
// it has room, without reserving: a call held up by one busy receiver never holds a slot of the
// app's window that calls to other receivers could use. Those windows admit bursts up to their
// limit (an owner's five cards go out back to back, not 200 ms apart).
import type { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';

export type RateWindow = {
  key: string;
  limit: number;
  windowMs: number;
  /** Calls reserve their slot in this window in order (see the file comment); the per-app windows. */
  queue?: boolean;
};

export interface SendPacer {
  /** Resolves once one call fits inside every window, and records it in all of them. */
  acquire(windows: RateWindow[]): Promise<void>;
  /**
   * Up to `count` calls with the same windows in one ask: the first as acquire would admit it, each
   * next as if asked right after. Resolves with how long from now each reserved call must wait
   * (in order; at least one, fewer than `count` when a window without a queue fills up, and the
   * rest must ask again). Optional: without it every call acquires alone.
   */
  reserve?(windows: RateWindow[], count: number): Promise<number[]>;
}

// KEYS: window keys. ARGV: member, count, then (limit, windowMs, queue 0/1) per key.
// Returns {k, ms1, …, msk}: k ≥ 1 calls reserved in every window, the i-th `msi` from now (0: now);
// or {0, ms}: a window that does not queue is full, ask again in `ms`.
//
// Each reservation is what one call asking right after the one before would get, so reserving
// several at once records exactly what that many single asks in a row would.
// Each key's log stays in time order (a call is never recorded before a key's newest entry), so
// the limit-th newest entry says when the window has room: `window` ms after it.
const ACQUIRE_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local count = tonumber(ARGV[2])
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - tonumber(ARGV[3 * i + 1]))
end
local out = {}
for c = 1, count do
  local queued = now
  local other = now
  for i, key in ipairs(KEYS) do
    local limit = tonumber(ARGV[3 * i])
    local window = tonumber(ARGV[3 * i + 1])
    local queue = ARGV[3 * i + 2] == '1'
    local earliest = now
    local newest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
    if newest[2] then
      local n = tonumber(newest[2])
      if queue and window <= 1100 then n = n + math.floor(window / limit) end
      if n > earliest then earliest = n end
    end
    if redis.call('ZCARD', key) >= limit then
      local nth = redis.call('ZRANGE', key, -limit, -limit, 'WITHSCORES')
      local w = tonumber(nth[2]) + window
      if w > earliest then earliest = w end
    end
    if queue then
      if earliest > queued then queued = earliest end
    elseif earliest > other then
      other = earliest
    end
  end
  if other > queued then
    if c == 1 then return {0, other - now} end
    break
  end
  for i, key in ipairs(KEYS) do
    local window = tonumber(ARGV[3 * i + 1])
    redis.call('ZADD', key, queued, ARGV[1] .. ':' .. c .. ':' .. queued)
    redis.call('PEXPIRE', key, queued - now + window + 1000)
  end
  out[#out + 1] = queued - now
end
table.insert(out, 1, #out)
return out
`;

type PacerRedis = Redis & { dispatchPaceAcquire(numKeys: number, ...args: (string | number)[]): Promise<number[]> };

/** The most calls one ask reserves (an owner's cards are at most a handful). */
const MAX_RESERVE = 50;

export class RedisSendPacer implements SendPacer {
  private readonly redis: PacerRedis;

  constructor(
    redis: Redis,
    private readonly prefix = 'dispatch:pace',
    // A margin over each window absorbs network jitter between our admission and Feishu's count:
    // small for per-second windows (whose queue is also spread evenly), larger for the per-minute one,
    // where one request delayed by a busy event loop can otherwise land a 1,001st call in the minute.
    private readonly marginMs = 15,
    private readonly longWindowMarginMs = 250,
  ) {
    // A defined command is sent by its SHA (EVALSHA), not as the script's text every call.
    redis.defineCommand('dispatchPaceAcquire', { lua: ACQUIRE_LUA });
    this.redis = redis as PacerRedis;
  }

  async acquire(windows: RateWindow[]): Promise<void> {
    if (windows.length === 0) return;
    const [ms] = await this.reserve(windows, 1);
    // The slot is ours: wait for it whatever its distance (up to a minute's window).
    if (ms > 0) await sleep(ms);
  }

  async reserve(windows: RateWindow[], count: number): Promise<number[]> {
    const n = Math.max(1, Math.min(MAX_RESERVE, Math.floor(count)));
    if (windows.length === 0) return Array.from({ length: n }, () => 0);
    const keys = windows.map((w) => `${this.prefix}:${w.key}`);
    const args: (string | number)[] = [randomUUID(), n];
    for (const w of windows) args.push(w.limit, w.windowMs + (w.windowMs > 1000 ? this.longWindowMarginMs : this.marginMs), w.queue ? 1 : 0);
    for (;;) {
      const [reserved, ...rest] = (await this.redis.dispatchPaceAcquire(keys.length, ...keys, ...args)).map(Number);
      if (reserved > 0) return rest.slice(0, reserved);
      await sleep(Math.min(Math.max(rest[0] ?? 1, 1), 1000));
    }
  }
}

/**
 * When this process's calls were answered, per queue window, checked right before each call: a
 * call whose window already holds `limit` calls waits until the oldest of them was answered a
 * whole window ago. The pacer spaces slots by when they were reserved, but a call leaves later
 * than its slot when the event loop was busy or the pacer's reply was slow, and reaches Feishu
 * later still when the network or Feishu is slow; a call a window later that is on time then
 * arrives within the same second as `limit` others, and is refused. A call arrives before it is
 * answered and after it leaves, so leaving a window after the answer `limit` calls back keeps any
 * window of arrivals under the limit whatever the delays were: for this process's own calls,
 * in memory, without a round trip (calls of other instances are the pacer's, with its margin).
 * A call not yet answered counts from when it left. The cost is a round trip to Feishu per window
 * where the per-second window binds (at 10× Feishu's limits; at its own 50/s and 1,000/min the
 * minute binds and a round trip is nothing to it). Counting from when calls left instead, with the
 * pacer's 15 ms margin, let a loaded machine's jitter through: 364 rate-limit answers in a
 * 9,904-card fan-out at 1×, each also costing a slot of the minute's 1,000, where this had none.
 */
export class SentWindows {
  private readonly logs = new Map<string, { times: Float64Array; seq: number }>();

  /** Waits, if needed, until a call fits in every queue window; records it as leaving now. */
  async admit(windows: RateWindow[]): Promise<SentTicket> {
    for (;;) {
      const now = Date.now();
      let wait = 0;
      for (const w of windows) {
        if (!w.queue) continue;
        const log = this.logs.get(w.key);
        if (!log || log.seq < w.limit || log.times.length !== w.limit) continue;
        // The ring is full: the next entry is the oldest of the last `limit` calls. +1: the
        // tenant keeps a call for `window` ms inclusive.
        const free = log.times[log.seq % w.limit] + w.windowMs + 1;
        if (free > now) wait = Math.max(wait, free - now);
      }
      if (wait <= 0) break;
      await sleep(wait);
    }
    const at = Date.now();
    const ticket: SentTicket = [];
    for (const w of windows) {
      if (!w.queue) continue;
      let log = this.logs.get(w.key);
      // A changed limit starts the window's log afresh.
      if (!log || log.times.length !== w.limit) {
        log = { times: new Float64Array(w.limit), seq: 0 };
        this.logs.set(w.key, log);
      }
      log.times[log.seq % w.limit] = at;
      ticket.push({ log, seq: log.seq++ });
    }
    return ticket;
  }

  /** The call was answered (or failed): it counts from now. */
  answered(ticket: SentTicket): void {
    const at = Date.now();
    for (const { log, seq } of ticket) {
      // Unless `limit` later calls have taken its place already.
      if (log.seq - seq <= log.times.length) log.times[seq % log.times.length] = at;
    }
  }
}

export type SentTicket = { log: { times: Float64Array; seq: number }; seq: number }[];

/** For processes without Redis (CLI one-shots, unit tests of callers): admits everything. */
export const unpaced: SendPacer = { acquire: async () => undefined };

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
