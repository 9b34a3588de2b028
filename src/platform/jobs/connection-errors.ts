// One place for the errors of Redis connections and BullMQ queues/workers during an outage.
// Without a listener ioredis prints "[ioredis] Unhandled error event" dumps and BullMQ falls
// back to console.error; with one per reconnect attempt the log floods. This logs the first
// error of a source at once and then at most one line per interval, with the count dropped.
import type { Logger } from 'pino';

const INTERVAL_MS = 10_000;

export function throttledErrorLog(logger: Logger, source: string, intervalMs = INTERVAL_MS): (e: Error) => void {
  let last = 0;
  let dropped = 0;
  return (e: Error) => {
    const now = Date.now();
    if (now - last < intervalMs) {
      dropped++;
      return;
    }
    logger.warn({ source, err: e.message, repeats: dropped }, `${source} error`);
    last = now;
    dropped = 0;
  };
}
