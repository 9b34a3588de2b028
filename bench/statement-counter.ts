// Every SQL statement this process sends, counted at the pg driver (Client.query, so BEGIN and
// COMMIT count too), split by who sent it: the handling of a card callback (the log context
// carries its event id; see logger.ts) or anything else (jobs after commit, the bench's own
// queries). "Statements per submission" in the benches is the first divided by submissions.
import pg from 'pg';
import { currentLogContext } from '../src/logger.js';

export type StatementCounts = { all: number; callbacks: number };

const counts: StatementCounts = { all: 0, callbacks: 0 };
let installed = false;

export function installStatementCounter(): () => StatementCounts {
  if (!installed) {
    installed = true;
    // eslint-disable-next-line @typescript-eslint/unbound-method -- re-bound with apply() below
    const originalQuery = pg.Client.prototype.query;
    pg.Client.prototype.query = function countedQuery(this: pg.Client, ...args: unknown[]) {
      counts.all++;
      const ctx = currentLogContext();
      if (ctx?.eventId && !ctx.jobId) counts.callbacks++;
      return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof pg.Client.prototype.query;
  }
  return () => ({ ...counts });
}
