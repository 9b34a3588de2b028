// The one database factory.
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { Database } from './schema.js';
import { isStalePlan, preparedNameOf } from './shaped-statement.js';

// Keep numeric exact (string) and date as the calendar day it is, not a JS Date at local midnight.
const DATE_OID = 1082;
const NUMERIC_OID = 1700;
pg.types.setTypeParser(DATE_OID, (v) => v);
pg.types.setTypeParser(NUMERIC_OID, (v) => v);

export type Db = Kysely<Database>;

export type CreateDbOptions = {
  max?: number;
  /** Idle connections are closed after this long. */
  idleMs?: number;
  /** A query waiting longer than this for a free connection fails instead of waiting on. */
  waitMs?: number;
  /** An idle pooled connection was lost (the pool replaces it). */
  onIdleError?: (e: Error) => void;
  /** A checked-out connection was lost mid-work (that work fails with an error; the pool replaces it). */
  onClientError?: (e: Error) => void;
};

export function createDb(connectionString: string, opts: CreateDbOptions = {}): Db {
  const pool = new pg.Pool({
    connectionString,
    max: opts.max ?? 10,
    ...(opts.idleMs ? { idleTimeoutMillis: opts.idleMs } : {}),
    ...(opts.waitMs ? { connectionTimeoutMillis: opts.waitMs } : {}),
  });
  // An idle client whose server goes away (a restart, a failover, an admin's terminate) makes the
  // pool emit 'error'; unheard, that would end the process. The pool replaces the client by itself.
  pool.on('error', (e) => opts.onIdleError?.(e));
  // The pool listens only to idle clients: a checked-out client (a transaction between two
  // statements) whose connection dies emits 'error' on itself, and with no listener that is an
  // uncaught exception that ends the process. The work using it fails on its next query and its
  // transaction rolls back; the pool discards the broken client when it is released.
  pool.on('connect', (client) => {
    client.on('error', (e) => (opts.onClientError ?? opts.onIdleError)?.(e));
    sendShapedPrepared(client);
  });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/**
 * Kysely sends every statement unnamed (`client.query(text, values)`); the texts of shaped
 * statements (shaped-statement.ts) go as named prepared statements instead, so Postgres parses
 * and plans each once per connection rather than on every call. The prototype's query is looked
 * up at each call, so whatever wraps it (the benches' statement counters) still sees every call.
 */
function sendShapedPrepared(client: pg.PoolClient): void {
  // A statement this connection prepared before its tables changed columns is refused from then
  // on (isStalePlan); it is prepared again under a name of its own.
  const renamed = new Map<string, string>();
  let renames = 0;
  const own = client as unknown as { query: (...args: unknown[]) => unknown };
  own.query = function query(this: pg.PoolClient, ...args: unknown[]): unknown {
    const base = (Object.getPrototypeOf(this) as { query: (...a: unknown[]) => unknown }).query;
    const text = args[0];
    const name = args.length === 2 && typeof text === 'string' && Array.isArray(args[1]) ? preparedNameOf(text) : undefined;
    if (name === undefined) return base.apply(this, args);
    const used = renamed.get(name) ?? name;
    return (base.call(this, { name: used, text, values: args[1] }) as Promise<unknown>).catch((e: unknown) => {
      if (isStalePlan(e)) renamed.set(name, `${name}_${++renames}`);
      throw e;
    });
  };
}
