// When the delivery being answered reached the bot. Feishu's 3 s run from its request, not from
// the moment a handler starts: on a busy machine reading, verifying and decrypting the body can
// take a large part of them, so the callback budget is counted from arrival.
import { AsyncLocalStorage } from 'node:async_hooks';

const arrival = new AsyncLocalStorage<number>();

/** Runs `fn` with now as the arrival time of the delivery it handles. */
export function withArrival<T>(fn: () => T): T {
  return arrival.run(performance.now(), fn);
}

/** Milliseconds since the current delivery arrived, or undefined outside one (e.g. the long connection). */
export function sinceArrivalMs(): number | undefined {
  const at = arrival.getStore();
  return at === undefined ? undefined : performance.now() - at;
}
