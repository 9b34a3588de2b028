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

export type PoolOptions = {
  max?: number;
  /** Idle connections are closed after this long. */
  idleMs?: number;
  /** A query waiting longer than this for a free connection fails instead of waiting on. */
  waitMs?: number;
  onIdleError?: (e: Error) => void;
};

export function createDb(connectionString: string, opts: PoolOptions = {}): Db {
  const pool = new pg.Pool({
    connectionString,
    max: opts.max ?? 10,
    ...(opts.idleMs ? { idleTimeoutMillis: opts.idleMs } : {}),
    ...(opts.waitMs ? { connectionTimeoutMillis: opts.waitMs } : {}),
  });
  // An idle client whose server goes away (a restart, a failover, an admin's terminate) makes the
  // pool emit 'error'; unheard, that would end the process. The pool replaces the client by itself.
  pool.on('error', (e) => opts.onIdleError?.(e));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
