// A statement built with kysely's sql template whose text depends only on its shape (which parts
// and columns it has), never on its values: compiled once per shape, then run with each call's
// values. Compiling a large template walks and freezes its whole node tree on every call; on the
// card-submission path that was a few per cent of the serving process's CPU.
//
// The template is compiled with a marker in place of each value; the markers' order in the
// compiled parameters is where each call's values go, so the text and its placeholders come
// from kysely exactly as before.
//
// Each shape's text is also run as a named prepared statement (database.ts): an unnamed one is
// planned by Postgres on every call, and for the submission's read (a dozen subqueries) planning
// was four fifths of the backend's CPU. Prepared, the server plans it a few times per
// connection and then reuses a generic plan. The texts are fixed per shape, so the statements a
// connection keeps are bounded by the shapes there are.
import { createHash } from 'node:crypto';
import { CompiledQuery, type Kysely, type QueryResult, type RawBuilder } from 'kysely';

const SLOT = Symbol('slot');
type Marker = { readonly [SLOT]: string };

/** Stands for the value named `name`: the template uses it wherever it would use that value. */
export type Param = (name: string) => unknown;

export type ShapedStatement<Args, Row> = <DB>(db: Kysely<DB>, args: Args, values: Record<string, unknown>) => Promise<QueryResult<Row>>;

/**
 * `build` writes the statement for `args` using `param(name)` for every value; `shapeOf` names
 * what decides its text. Each call passes the values by name.
 */
export function shapedStatement<Args, Row>(build: (param: Param, args: Args) => RawBuilder<Row>, shapeOf: (args: Args) => string, limit = 256): ShapedStatement<Args, Row> {
  const compiled = new Map<string, { sql: string; slots: string[] }>();
  const marker: Param = (name) => ({ [SLOT]: name }) satisfies Marker;
  return async <DB>(db: Kysely<DB>, args: Args, values: Record<string, unknown>) => {
    const shape = shapeOf(args);
    let c = compiled.get(shape);
    if (!c) {
      const q = build(marker, args).compile(db);
      const slots = q.parameters.map((p) => {
        const slot = (p as Partial<Marker> | null)?.[SLOT];
        if (slot === undefined) throw new Error('a value in a shaped statement was not given as a param');
        return slot;
      });
      c = { sql: q.sql, slots };
      if (compiled.size >= limit) compiled.clear();
      compiled.set(shape, c);
      registerPrepared(q.sql);
    }
    const parameters = c.slots.map((slot) => {
      if (!(slot in values)) throw new Error(`no value for ${slot}`);
      return values[slot];
    });
    const query = CompiledQuery.raw(c.sql, parameters);
    try {
      return await db.executeQuery<Row>(query);
    } catch (e) {
      // A table the statement reads changed its columns since the connection prepared it (a
      // migration run by a newer instance): the connection has prepared it afresh under another
      // name (database.ts), so once more is enough. Inside a transaction the error has aborted
      // it, and the caller's transaction fails as any other error would make it.
      if (!isStalePlan(e) || db.isTransaction) throw e;
      return db.executeQuery<Row>(query);
    }
  };
}

/** Statement texts run as named prepared statements, and their names (the same text, the same name). */
const prepared = new Map<string, string>();

function registerPrepared(text: string): void {
  if (prepared.has(text)) return;
  if (prepared.size >= 4096) prepared.clear();
  prepared.set(text, `shaped_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`);
}

/** The prepared statement's name for a text a shaped statement sends, else undefined. */
export function preparedNameOf(text: string): string | undefined {
  return prepared.get(text);
}

/** Postgres's refusal to run a prepared statement whose tables' columns have changed since it was prepared. */
export function isStalePlan(e: unknown): boolean {
  const err = e as { code?: unknown; message?: unknown } | null;
  return err?.code === '0A000' && typeof err.message === 'string' && err.message.includes('cached plan must not change result type');
}
