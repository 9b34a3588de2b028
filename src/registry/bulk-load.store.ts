// The first import into an empty registry loads a whole city at once. Postgres checks a foreign
// key row by row: seven lookups for each new project and its change row, about half the
// server's work on them. Added to a filled table, the same constraint is checked by one join.
// So for that load the foreign keys of projects and project_changes are dropped, and added back
// from the definitions the catalog holds before the transaction ends: what commits has been
// checked by Postgres as always, and a dry run or a refused sheet rolls the change back with
// everything else. This is how pg_restore loads data.
//
// The price is the lock: dropping a foreign key locks its table and the table it references
// (people, regions, departments, imports) against every other session until commit. On an empty
// registry no cycle, report or chat has anything in those tables to wait for, so it is used
// only there; a registry in use always loads row by row. If another session holds one of the
// tables anyway, the wait gives up after LOCK_WAIT and the load goes row by row; so does a
// database user that does not own the tables.
import { sql, type Transaction } from 'kysely';
import type { Database } from '../db/schema.js';

/**
 * Below this many new projects the per-row checks cost less than dropping and adding back seven
 * constraints (about 20 ms of catalog work on the import bench, against about 18 µs per project).
 */
export const BULK_LOAD_ROWS = 1_000;

/**
 * How long the load waits for the tables before going row by row: under deadlock_timeout (1 s by
 * default), so that a session waiting on this one is let go by this timeout, not by a deadlock error.
 */
const LOCK_WAIT = '500ms';

/** The tables whose foreign keys a bulk load drops. */
const LOADED_TABLES = ['projects', 'project_changes'] as const;

type ForeignKey = { table: string; name: string; definition: string; referenced: string };

export type SuspendedForeignKeys = {
  /** Adds every one back; Postgres checks all rows of the table, and a violation fails the transaction. */
  restore(): Promise<void>;
};

/**
 * Drops the foreign keys of the loaded tables until `restore()`, or returns null, having changed
 * nothing, when another session kept one of the tables involved for longer than LOCK_WAIT or the
 * database user does not own them.
 */
export async function suspendForeignKeys(trx: Transaction<Database>): Promise<SuspendedForeignKeys | null> {
  // regclass text is quoted where a name needs it, so it goes into the statements as it is.
  const keys = (await sql<ForeignKey>`
    select c.conrelid::regclass::text as table, c.conname as name, pg_get_constraintdef(c.oid) as definition,
      c.confrelid::regclass::text as referenced
    from pg_constraint c
    where c.contype = 'f' and c.conrelid = any(${[...LOADED_TABLES]}::regclass[])
    order by c.conrelid::regclass::text, c.conname`.execute(trx)).rows;
  if (keys.length === 0) return { restore: async () => {} };
  const tables = [...new Set(keys.flatMap((k) => [k.table, k.referenced]))];

  await sql`savepoint suspend_foreign_keys`.execute(trx);
  try {
    // Local to the savepoint: undone by the rollback below, and reset by hand once the locks are held.
    const previous = (await sql<{ wait: string }>`select current_setting('lock_timeout') as wait`.execute(trx)).rows[0]?.wait ?? '0';
    await sql`select set_config('lock_timeout', ${LOCK_WAIT}, true)`.execute(trx);
    await sql`lock table ${sql.raw(tables.join(', '))} in access exclusive mode`.execute(trx);
    await sql`select set_config('lock_timeout', ${previous}, true)`.execute(trx);
    for (const [table, own] of byTable(keys)) {
      await sql`alter table ${sql.raw(table)} ${sql.join(own.map((k) => sql`drop constraint ${sql.id(k.name)}`))}`.execute(trx);
    }
    await sql`release savepoint suspend_foreign_keys`.execute(trx);
  } catch (e) {
    if (!ROW_BY_ROW.has((e as { code?: string }).code ?? '')) throw e;
    await sql`rollback to savepoint suspend_foreign_keys`.execute(trx);
    await sql`release savepoint suspend_foreign_keys`.execute(trx);
    return null;
  }
  return {
    async restore() {
      for (const [table, own] of byTable(keys)) {
        await sql`alter table ${sql.raw(table)} ${sql.join(own.map((k) => sql`add constraint ${sql.id(k.name)} ${sql.raw(k.definition)}`))}`.execute(trx);
      }
    },
  };
}

/**
 * Why the load goes row by row instead: a lock not granted (lock_timeout passed, or the wait closed a
 * cycle with another session), or a database user that may write the tables but does not own them
 * (a deployment that runs migrations as another user), which may not drop their constraints.
 */
const ROW_BY_ROW = new Set(['55P03', '40P01', '42501']);

function byTable(keys: ForeignKey[]): Map<string, ForeignKey[]> {
  const out = new Map<string, ForeignKey[]>();
  for (const k of keys) out.set(k.table, [...(out.get(k.table) ?? []), k]);
  return out;
}
