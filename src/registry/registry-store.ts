// The registry's database statements. Everything set-based: rows travel as JSON parameters
// through json_to_recordset, about a megabyte per statement (see jsonChunks), so a 10,000-row
// sheet is a handful of round trips, not tens of thousands.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import { pipelined } from '../db/together.js';
import { regionKind } from './cell-parsers.js';
import type { ExistingProject, FieldChange, RegistryValues } from './registry-diff.js';

type Q = Kysely<Database>;

// Every registry writer (import, sync) takes this lock so two imports cannot interleave.
const REGISTRY_LOCK = 730_220_001;

export async function lockRegistry(trx: Transaction<Database>): Promise<void> {
  await sql`select pg_advisory_xact_lock(${REGISTRY_LOCK})`.execute(trx);
}

const json = (rows: unknown): string => JSON.stringify(rows);

export type NamedRow = { id: number; name: string };

/** Regions by name, creating the missing ones (kind from the name's suffix, appended in sheet order). */
export async function ensureRegions(trx: Q, names: string[]): Promise<{ byName: Map<string, number>; created: string[] }> {
  const distinct = [...new Set(names)];
  const existing = distinct.length
    ? await trx.selectFrom('regions').select(['id', 'name']).where('name', 'in', distinct).execute()
    : [];
  const byName = new Map(existing.map((r) => [r.name, r.id]));
  const missing = distinct.filter((n) => !byName.has(n));
  if (missing.length > 0) {
    const max = await trx.selectFrom('regions').select((eb) => eb.fn.max('sort_order').as('max')).executeTakeFirst();
    const start = Number(max?.max ?? 0) + 1;
    const inserted = await trx
      .insertInto('regions')
      .values(missing.map((name, i) => ({ name, kind: regionKind(name), sort_order: start + i })))
      .returning(['id', 'name'])
      .execute();
    for (const r of inserted) byName.set(r.name, r.id);
  }
  return { byName, created: missing };
}

export async function ensureDepartments(trx: Q, names: string[]): Promise<{ byName: Map<string, number>; created: string[] }> {
  const distinct = [...new Set(names)];
  const existing = distinct.length
    ? await trx.selectFrom('departments').select(['id', 'name']).where('name', 'in', distinct).execute()
    : [];
  const byName = new Map(existing.map((r) => [r.name, r.id]));
  const missing = distinct.filter((n) => !byName.has(n));
  if (missing.length > 0) {
    const inserted = await trx.insertInto('departments').values(missing.map((name) => ({ name }))).returning(['id', 'name']).execute();
    for (const r of inserted) byName.set(r.name, r.id);
  }
  return { byName, created: missing };
}

export type StoredPerson = {
  id: number;
  name: string;
  mobile: string | null;
  email: string | null;
  open_id: string | null;
  match_status: 'unmatched' | 'matched' | 'not_found';
};

const PERSON_COLUMNS = ['id', 'name', 'mobile', 'email', 'open_id', 'match_status'] as const;

export async function peopleByContacts(trx: Q, mobiles: string[], emails: string[]): Promise<StoredPerson[]> {
  if (mobiles.length === 0 && emails.length === 0) return [];
  return trx
    .selectFrom('people')
    .select(PERSON_COLUMNS)
    .where((eb) => eb.or([
      ...(mobiles.length ? [eb('mobile', 'in', mobiles)] : []),
      ...(emails.length ? [eb('email', 'in', emails)] : []),
    ]))
    .execute();
}

export async function peopleByIds(trx: Q, ids: number[]): Promise<StoredPerson[]> {
  if (ids.length === 0) return [];
  // One array parameter: a new sheet's projects name a couple of thousand people.
  return trx.selectFrom('people').select(PERSON_COLUMNS).where('id', '=', sql<number>`any(${[...new Set(ids)]}::int[])`).execute();
}

export async function insertPeople(
  trx: Q,
  people: { name: string; mobile: string | null; email: string | null }[],
  now: Date,
): Promise<StoredPerson[]> {
  if (people.length === 0) return [];
  const r = await sql<StoredPerson>`
    insert into people (name, mobile, email, created_at, updated_at)
    select v.name, v.mobile, v.email, ${now}::timestamptz, ${now}::timestamptz
    from json_to_recordset(${json(people)}::json) as v(name text, mobile text, email text)
    returning id, name, mobile, email, open_id, match_status`.execute(trx);
  return r.rows;
}

/** Name, e-mail and mobile as the sheet has them now (only rows that differ are passed). */
export async function updatePeople(
  trx: Q,
  people: { id: number; name: string; mobile: string | null; email: string | null }[],
  now: Date,
): Promise<void> {
  if (people.length === 0) return;
  await sql`
    update people as p set name = v.name, mobile = v.mobile, email = v.email, updated_at = ${now}
    from json_to_recordset(${json(people)}::json) as v(id int, name text, mobile text, email text)
    where p.id = v.id`.execute(trx);
}

export async function loadProjects(trx: Q): Promise<ExistingProject[]> {
  const rows = await trx
    .selectFrom('projects')
    .select([
      'id', 'code', 'active', 'name', 'legal_entity', 'location', 'region_id', 'industry', 'stage', 'lists',
      'dispatch_frequency', 'total_investment', 'annual_plan', 'ytd_investment', 'ytd_year', 'investor_type', 'planned_start', 'planned_finish',
      'owner_id', 'leader_id', 'vice_mayor_id', 'department_id',
    ])
    .execute();
  return rows;
}

const RECORD_COLUMNS_TEXT = `
  name text, legal_entity text, location text, region_id int, industry text, stage text, lists text[],
  dispatch_frequency text, total_investment numeric, annual_plan numeric, ytd_investment numeric, ytd_year int, investor_type text,
  planned_start date, planned_finish date, owner_id int, leader_id int, vice_mayor_id int, department_id int`;
const RECORD_COLUMNS = sql.raw(RECORD_COLUMNS_TEXT);

const CHUNK = 5000;

/**
 * Rows as JSON arrays of at most about PARAM_CHARS characters each, every row encoded once.
 * Postgres's cost of reading one JSON parameter as rows grows faster than the parameter: on the import
 * bench, the 10,000 audit rows (8 MB of JSON) cost the server three times the CPU as one
 * parameter as in 1 MB ones, and twice as in two 4 MB ones.
 */
const PARAM_CHARS = 1_000_000;

export function* jsonChunks(rows: readonly unknown[], limit = PARAM_CHARS): Generator<string> {
  let part: string[] = [];
  let size = 0;
  for (const row of rows) {
    const text = JSON.stringify(row);
    if (part.length > 0 && size + text.length > limit) {
      yield `[${part.join(',')}]`;
      part = [];
      size = 0;
    }
    part.push(text);
    size += text.length + 1;
  }
  if (part.length > 0) yield `[${part.join(',')}]`;
}

function chunks<T>(items: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const RECORD_NAMES = sql.raw(RECORD_COLUMNS_TEXT.split(',').map((c) => c.trim().split(/\s+/)[0]).join(', '));

/**
 * Inserts new projects and, in the same statement, their change rows (`changes(i)` is row i's, as
 * JSON text). The change rows travel as one text of lines beside the rows' JSON, zipped with them
 * by ROWS FROM: building them here from the typed columns (to_json of each field, concatenated,
 * then parsed) cost the server about a third of the statement, and this process does that work
 * for the next part while the server writes this one.
 */
export async function insertProjects(
  trx: Q,
  rows: readonly (RegistryValues & { code: string })[],
  changes: (index: number) => string,
  meta: { now: Date; actor: string; importId: number },
): Promise<void> {
  await pipelined(rowParts(rows, changes), (part) => sql`
      with src as (
        select * from rows from (
          json_to_recordset(${part.rows}::json) as (code text, ${RECORD_COLUMNS}),
          string_to_table(${part.changes}::text, ${'\n'})
        ) as v(code, ${RECORD_NAMES}, changes)
      ), ins as (
        insert into projects (
          code, name, legal_entity, location, region_id, industry, stage, lists, dispatch_frequency,
          total_investment, annual_plan, ytd_investment, ytd_year, investor_type, planned_start, planned_finish,
          owner_id, leader_id, vice_mayor_id, department_id,
          created_at, updated_at, updated_by)
        select code, name, legal_entity, location, region_id, industry, stage, lists, dispatch_frequency,
          total_investment, annual_plan, ytd_investment, ytd_year, investor_type, planned_start, planned_finish,
          owner_id, leader_id, vice_mayor_id, department_id,
          ${meta.now}::timestamptz, ${meta.now}::timestamptz, ${meta.actor}::text
        from src
        returning id, code
      )
      insert into project_changes (project_id, import_id, changed_by, changes, created_at)
        select ins.id, ${meta.importId}::int, ${meta.actor}::text, src.changes::json, ${meta.now}::timestamptz
        from ins join src on src.code = ins.code`.execute(trx));
}

/**
 * The rows as JSON arrays of about PARAM_CHARS characters, with their change rows as lines (JSON
 * text never holds a raw newline). Lazy, so each part is encoded while the server works on the last.
 */
function* rowParts(rows: readonly unknown[], changes: (index: number) => string, limit = PARAM_CHARS): Generator<{ rows: string; changes: string }> {
  let part: string[] = [];
  let lines: string[] = [];
  let size = 0;
  // The server waits for the first part: a small one gets it started while the rest are encoded.
  let partLimit = Math.ceil(limit / 8);
  for (let i = 0; i < rows.length; i++) {
    const text = JSON.stringify(rows[i]);
    const change = changes(i);
    if (part.length > 0 && size + text.length + change.length > partLimit) {
      partLimit = limit;
      yield { rows: `[${part.join(',')}]`, changes: lines.join('\n') };
      part = [];
      lines = [];
      size = 0;
    }
    part.push(text);
    lines.push(change);
    size += text.length + change.length + 2;
  }
  if (part.length > 0) yield { rows: `[${part.join(',')}]`, changes: lines.join('\n') };
}

/**
 * Writes the full registry values of changed projects; a retired one on the list is active again.
 * The year-to-date is written only where the sheet's figure is taken (ytd_set): elsewhere the
 * value in `rows` is what was read at the start of the import, and a report stored since then
 * must not be rolled back by writing that old figure over it.
 */
export async function updateProjects(
  trx: Q,
  rows: (RegistryValues & { id: number; ytd_set: boolean })[],
  meta: { now: Date; actor: string },
): Promise<void> {
  for (const part of jsonChunks(rows)) {
    await sql`
      update projects as p set
        name = v.name, legal_entity = v.legal_entity, location = v.location, region_id = v.region_id,
        industry = v.industry, stage = v.stage, lists = v.lists,
        dispatch_frequency = v.dispatch_frequency, total_investment = v.total_investment,
        annual_plan = v.annual_plan, investor_type = v.investor_type, planned_start = v.planned_start,
        planned_finish = v.planned_finish, owner_id = v.owner_id, leader_id = v.leader_id,
        vice_mayor_id = v.vice_mayor_id, department_id = v.department_id,
        ytd_investment = case when v.ytd_set then v.ytd_investment else p.ytd_investment end,
        ytd_year = case when v.ytd_set then v.ytd_year else p.ytd_year end,
        active = true, retired_at = null,
        updated_at = ${meta.now}, updated_by = ${meta.actor}
      from json_to_recordset(${part}::json) as v(id int, ytd_set boolean, ${RECORD_COLUMNS})
      where p.id = v.id`.execute(trx);
  }
}

/**
 * Projects with a report in a cycle of `year`. A cycle's period year (domain/period.ts
 * periodYear) is the year its key begins with — the ISO week-year for weeks — so the prefix
 * is that rule, as in submission/ytd-basis.ts.
 */
export async function projectsReportedInYear(trx: Q, projectIds: number[], year: number): Promise<Set<number>> {
  const found = new Set<number>();
  for (const part of chunks([...new Set(projectIds)])) {
    if (part.length === 0) continue;
    const rows = await trx
      .selectFrom('reports as r')
      .innerJoin('cycles as c', 'c.id', 'r.cycle_id')
      .select('r.project_id')
      .distinct()
      .where('r.project_id', 'in', part)
      .where('c.period_key', 'like', `${year}-%`)
      .execute();
    for (const r of rows) found.add(r.project_id);
  }
  return found;
}

export async function retireProjects(trx: Q, ids: number[], meta: { now: Date; actor: string }): Promise<void> {
  if (ids.length === 0) return;
  await trx
    .updateTable('projects')
    .set({ active: false, retired_at: meta.now, updated_at: meta.now, updated_by: meta.actor })
    .where('id', 'in', ids)
    .execute();
}

export type ChangeRecord = { project_id: number; changes: Record<string, { from: unknown; to: unknown }> };

export async function insertChanges(trx: Q, records: ChangeRecord[], meta: { now: Date; actor: string; importId: number }): Promise<void> {
  for (const part of jsonChunks(records)) {
    await sql`
      insert into project_changes (project_id, import_id, changed_by, changes, created_at)
      select v.project_id, ${meta.importId}::int, ${meta.actor}::text, v.changes, ${meta.now}::timestamptz
      from json_to_recordset(${part}::json) as v(project_id int, changes json)`.execute(trx);
  }
}

export function changesObject(changes: { field: FieldChange['field']; from: unknown; to: unknown }[]): ChangeRecord['changes'] {
  return Object.fromEntries(changes.map((c) => [c.field, { from: c.from, to: c.to }]));
}

export async function insertImport(
  trx: Q,
  row: { fileName: string; sha256: string; sheet: string | null; actor: string; rowCount: number; now: Date },
): Promise<number> {
  const r = await trx
    .insertInto('imports')
    .values({ file_name: row.fileName, file_sha256: row.sha256, sheet: row.sheet, actor: row.actor, row_count: row.rowCount, created_at: row.now })
    .returning('id')
    .executeTakeFirstOrThrow();
  return r.id;
}

export async function setImportCounts(
  trx: Q,
  id: number,
  counts: { created: number; updated: number; unchanged: number; retired: number },
): Promise<void> {
  await trx
    .updateTable('imports')
    .set({ created_count: counts.created, updated_count: counts.updated, unchanged_count: counts.unchanged, retired_count: counts.retired })
    .where('id', '=', id)
    .execute();
}

export async function allRegions(trx: Q): Promise<NamedRow[]> {
  return trx.selectFrom('regions').select(['id', 'name']).execute();
}

export async function allDepartments(trx: Q): Promise<NamedRow[]> {
  return trx.selectFrom('departments').select(['id', 'name']).execute();
}

export type DepartmentContactRow = { id: number; name: string; contact_person_id: number | null };

export async function departmentsByIds(trx: Q, ids: number[]): Promise<DepartmentContactRow[]> {
  if (ids.length === 0) return [];
  return trx.selectFrom('departments').select(['id', 'name', 'contact_person_id']).where('id', 'in', [...new Set(ids)]).execute();
}

/** Sets the contact of each given department (only rows that change are passed). */
export async function setDepartmentContacts(trx: Q, rows: { id: number; contact_person_id: number }[]): Promise<void> {
  if (rows.length === 0) return;
  await sql`
    update departments as d set contact_person_id = v.contact_person_id
    from json_to_recordset(${json(rows)}::json) as v(id int, contact_person_id int)
    where d.id = v.id`.execute(trx);
}
