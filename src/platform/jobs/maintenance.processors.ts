// Housekeeping jobs.
import { sql } from 'kysely';
import type { AppContext } from '../app-context.js';
import type { Processor } from './queue-registry.js';
import type { Db } from '../../db/database.js';

/**
 * Inbound events are kept for de-duplication (and card answers for re-deliveries). Feishu re-sends
 * an unanswered event for at most ~6 hours (15 s, 5 min, 1 h, 6 h) and never re-sends callbacks,
 * so a week is ample; what is older only grows the table.
 */
export const INBOUND_RETENTION_DAYS = 7;

export async function pruneInboundEvents(db: Db, now: Date, retentionDays = INBOUND_RETENTION_DAYS): Promise<number> {
  const cutoff = new Date(now.getTime() - retentionDays * 24 * 3600 * 1000);
  let total = 0;
  // In batches, so a large backlog never holds one long lock.
  for (;;) {
    const r = await sql<{ n: number }>`
      with gone as (
        delete from inbound_events
         where ctid in (select ctid from inbound_events where received_at < ${cutoff} limit 5000)
        returning 1
      ) select count(*)::int as n from gone`.execute(db);
    const n = r.rows[0]?.n ?? 0;
    total += n;
    if (n < 5000) return total;
  }
}

export function maintenanceProcessors(ctx: AppContext): { 'maintenance.prune': Processor<'maintenance.prune'> } {
  return {
    'maintenance.prune': async () => {
      const removed = await pruneInboundEvents(ctx.db, ctx.now());
      ctx.logger.info({ removed }, 'inbound events pruned');
      return { removed };
    },
  };
}
