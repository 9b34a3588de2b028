// A planned submission (report.store.ts planReport) written in ONE statement together with its
// de-duplication record: the callback event is claimed (inbound_events, with the answer the user
// gets) and every other write reads the claim's RETURNING, so a delivery whose event is claimed
// already writes nothing at all. One statement is atomic by itself; it runs inside the caller's
// transaction only because the project row was locked by the read before it.
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../db/schema.js';
import type { ReportPlan } from './report.store.js';

export type OnceWrite = {
  eventKey: string;
  kind: string;
  /** Recorded with the claim: what a repeated delivery of the event is answered. */
  answer: unknown;
  cycleId: number;
  projectId: number;
  /** This submission is after the due time (decides 'late' vs 'reported' coverage status). */
  late: boolean;
  plan: ReportPlan | null;
};

// Parameters arrive untyped; each is cast to its column's type so INSERT … SELECT and the CTEs
// never depend on Postgres guessing.
const CASTS: Record<string, string> = {
  period_investment: 'numeric', ytd_investment: 'numeric', since_start_investment: 'numeric',
  stage: 'text', started: 'boolean', completed: 'boolean', registered: 'boolean', progress: 'text', no_change: 'boolean',
  submitted_by: 'integer', submitted_at: 'timestamptz', via: 'text', source_message_id: 'text', source_event_id: 'text',
  started_on: 'date', completed_on: 'date', registered_on: 'date', ytd_year: 'integer', updated_at: 'timestamptz', updated_by: 'text',
  cycle_id: 'integer', project_id: 'integer', revision: 'integer', late: 'boolean', reason: 'text',
};

function typed(column: string, value: unknown): RawBuilder<unknown> {
  const cast = CASTS[column];
  if (!cast) throw new Error(`no cast for column ${column}`);
  return sql`${value}::${sql.raw(cast)}`;
}

const columns = (o: Record<string, unknown>) => sql.join(Object.keys(o).map((k) => sql.ref(k)));
const values = (o: Record<string, unknown>) => sql.join(Object.entries(o).map(([k, v]) => typed(k, v)));
const sets = (o: Record<string, unknown>) => sql.join(Object.entries(o).map(([k, v]) => sql`${sql.ref(k)} = ${typed(k, v)}`));

/**
 * Claims the event and, when there is a plan, stores the report, its revision, the coverage
 * status and the registry update. Returns the report's id, or null when the event was claimed
 * before (nothing written). Without a plan (a submission identical to the stored report) only the
 * claim and its answer are written; the result is then 0 when claimed, null when not.
 */
export async function writeReportOnce(db: Kysely<Database>, w: OnceWrite): Promise<number | null> {
  const claim = sql`claim as (
    insert into inbound_events (dedupe_key, kind, payload) values (${w.eventKey}, ${w.kind}, ${JSON.stringify(w.answer)}::jsonb)
    on conflict (dedupe_key) do nothing returning dedupe_key)`;
  const p = w.plan;
  if (!p) {
    const { rows } = await sql<{ id: number | null }>`with ${claim} select (select 0 from claim) as id`.execute(db);
    return rows[0]?.id ?? null;
  }
  const at = p.fields.submitted_at;
  const report =
    p.reportId === null
      ? sql`rep as (insert into reports (${columns(p.fields)}, cycle_id, project_id, revision, late)
          select ${values(p.fields)}, ${w.cycleId}::integer, ${w.projectId}::integer, ${p.revision}::integer, ${p.reportLate}::boolean from claim
          returning id)`
      : sql`rep as (update reports set ${sets(p.fields)}, revision = ${p.revision}::integer, updated_at = ${at}::timestamptz
          where id = ${p.reportId}::integer and exists (select 1 from claim) returning id)`;
  const revisionRow = { ...p.fields, cycle_id: w.cycleId, project_id: w.projectId, revision: p.revision, late: p.revisionLate, reason: p.reason };
  // As cycle.repository.ts markReported: only the first report moves the status; a row the close
  // already marked 'missed' becomes 'late' whatever this submission decided.
  const status = w.late ? sql`'late'` : sql`case when status = 'missed' then 'late' else 'reported' end`;
  const parts = [
    claim,
    report,
    sql`rev as (insert into report_revisions (${columns(revisionRow)}, report_id) select ${values(revisionRow)}, rep.id from rep)`,
    sql`mark as (update cycle_projects set status = ${status}, reported_at = ${at}::timestamptz
      where cycle_id = ${w.cycleId}::integer and project_id = ${w.projectId}::integer and status in ('pending', 'missed') and exists (select 1 from claim))`,
  ];
  if (p.project) {
    const by = `report:${p.fields.submitted_by}`;
    parts.push(
      sql`proj as (update projects set ${sets({ ...p.project.set, updated_at: at, updated_by: by })}
        where id = ${w.projectId}::integer and exists (select 1 from claim))`,
      sql`chg as (insert into project_changes (project_id, import_id, changed_by, changes)
        select ${w.projectId}::integer, null, ${by}::text, ${JSON.stringify(p.project.changes)}::jsonb from claim)`,
    );
  }
  const { rows } = await sql<{ id: number | null }>`with ${sql.join(parts)} select (select id from rep) as id`.execute(db);
  return rows[0]?.id ?? null;
}
