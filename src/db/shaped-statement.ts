// A statement built with kysely's sql template whose text depends only on its shape (which parts
// and columns it has), never on its values: compiled once per shape, then run with each call's
// values. Compiling a large template walks and freezes its whole node tree on every call; on the
// card-submission path that was a few per cent of the serving process's CPU.
//
// The template is compiled with a marker in place of each value; the markers' order in the
// compiled parameters is where each call's values go, so the text and its placeholders come
// from kysely exactly as before.
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
    }
    const parameters = c.slots.map((slot) => {
      if (!(slot in values)) throw new Error(`no value for ${slot}`);
      return values[slot];
    });
    return db.executeQuery<Row>(CompiledQuery.raw(c.sql, parameters));
  };
}
