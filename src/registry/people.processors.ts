// The queue side of people matching: the 'people.sync' job retries everyone not yet matched.
// A Feishu failure propagates so the queue's retry with backoff takes over.
import type { AppContext } from '../platform/app-context.js';
import type { Processors } from '../platform/jobs/queue-registry.js';
import { matchPeople } from './people-matcher.js';

export function peopleProcessors(ctx: AppContext): Pick<Processors, 'people.sync'> {
  return {
    'people.sync': async () => {
      const outcome = await matchPeople({ db: ctx.db, lark: ctx.lark, logger: ctx.logger, now: ctx.now }, 'all-unmatched');
      return { attempted: outcome.attempted, matched: outcome.matched, unmatched: outcome.unmatched.length };
    },
  };
}
