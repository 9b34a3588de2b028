// The one database factory.
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { Database } from './schema.js';

// Keep numeric exact (string) and date as the calendar day it is, not a JS Date at local midnight.
const DATE_OID = 1082;
const NUMERIC_OID = 1700;
pg.types.setTypeParser(DATE_OID, (v) => v);
pg.types.setTypeParser(NUMERIC_OID, (v) => v);

export type Db = Kysely<Database>;

export function createDb(connectionString: string, opts: { max?: number; onIdleError?: (e: Error) => void } = {}): Db {
  const pool = new pg.Pool({ connectionString, max: opts.max ?? 10 });
  // An idle client whose server goes away (a restart, a failover, an admin's terminate) makes the
  // pool emit 'error'; unheard, that would end the process. The pool replaces the client by itself.
  pool.on('error', (e) => opts.onIdleError?.(e));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
