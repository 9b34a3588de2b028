// A planned submission (report.store.ts planReport) written in ONE statement together with its
// de-duplication record. It is atomic by itself, so it needs no transaction around it, and it
// stores only what the read before it decided on:
// - the project row is written first, only while it is the version the read saw (xmin); every
//   stored submission writes that row (storeReport too, see bumpProject), so one stored for the
//   project in between, or a registry change, makes this statement store nothing ('stale'). A
//   concurrent writer of the row makes it wait, and Postgres then re-checks the version;
// - the callback event is claimed (inbound_events, with the answer the user gets) only after
//   that, and every other write reads the claim's RETURNING: a delivery whose event is claimed
//   already stores nothing ('duplicate').
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../db/schema.js';
import type { ReportPlan } from './report.store.js';
import { shapedStatement, type Param } from '../db/shaped-statement.js';

export type OnceWrite = {
  eventKey: string;
  kind: string;
  /** Recorded with the claim: what a repeated delivery of the event is answered. */
  answer: unknown;
  cycleId: number;
  projectId: number;
  /** This submission is after the due time (decides 'late' vs 'reported' coverage status). */
  late: boolean;
  /** The project row's version (xmin) the decision was made on. */
  version: string;
  plan: ReportPlan | null;
};

/** `escalated`: the project had an open escalation when the report was stored (its recheck may resolve it). */
export type OnceWritten = { kind: 'stored'; reportId: number; escalated: boolean } | { kind: 'stale' } | { kind: 'duplicate' };

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

// Values are named by their part and column (f.period_investment, r.reason, s.stage), so the
// statement's text depends only on which parts and columns there are (shapeOf).
const columns = (o: Record<string, unknown>) => sql.join(Object.keys(o).map((k) => sql.ref(k)));
const values = (o: Record<string, unknown>, part: string, param: Param) => sql.join(Object.keys(o).map((k) => typed(k, param(`${part}.${k}`))));
const sets = (o: Record<string, unknown>, part: string, param: Param) => sql.join(Object.keys(o).map((k) => sql`${sql.ref(k)} = ${typed(k, param(`${part}.${k}`))}`));

const revisionRowOf = (w: OnceWrite, p: ReportPlan) => ({ ...p.fields, cycle_id: w.cycleId, project_id: w.projectId, revision: p.revision, late: p.revisionLate, reason: p.reason });
const projectSetOf = (p: ReportPlan) => (p.project ? { ...p.project.set, updated_at: p.fields.submitted_at, updated_by: `report:${p.fields.submitted_by}` } : null);

/** What decides the statement's text: with or without a plan, a new report or a correction, late or not, the registry columns set. */
function shapeOf(w: OnceWrite): string {
  const p = w.plan;
  if (!p) return 'answer only';
  return [Object.keys(p.fields).join(','), p.reportId === null ? 'new' : 'correction', w.late ? 'late' : 'on time', p.project ? Object.keys(p.project.set).join(',') : '-'].join('|');
}

function statement(param: Param, w: OnceWrite): RawBuilder<Outcome> {
  const p = w.plan;
  const projectSet = p ? projectSetOf(p) : null;
  // "set updated_at = updated_at" still writes a new row version: the next reader's xmin.
  const gate = p
    ? sql`gate as (update projects set ${projectSet ? sets(projectSet, 's', param) : sql`updated_at = updated_at`} where id = ${param('projectId')}::integer and xmin = ${param('version')}::xid returning id)`
    : sql`gate as (select id from projects where id = ${param('projectId')}::integer and xmin = ${param('version')}::xid)`;
  const claim = sql`claim as (
    insert into inbound_events (dedupe_key, kind, payload) select ${param('eventKey')}::text, ${param('kind')}::text, ${param('answer')}::jsonb from gate
    on conflict (dedupe_key) do nothing returning dedupe_key)`;
  if (!p) return sql<Outcome>`with ${gate}, ${claim} select (select count(*)::int from gate) as gated, (select count(*)::int from claim) as claimed, 0 as id, false as escalated`;
  const report =
    p.reportId === null
      ? sql`rep as (insert into reports (${columns(p.fields)}, cycle_id, project_id, revision, late)
          select ${values(p.fields, 'f', param)}, ${param('cycleId')}::integer, ${param('projectId')}::integer, ${param('revision')}::integer, ${param('reportLate')}::boolean from claim
          returning id)`
      : sql`rep as (update reports set ${sets(p.fields, 'f', param)}, revision = ${param('revision')}::integer, updated_at = ${param('at')}::timestamptz
          where id = ${param('reportId')}::integer and exists (select 1 from claim) returning id)`;
  const revisionRow = revisionRowOf(w, p);
  // As cycle.repository.ts markReported: only the first report moves the status; a row the close
  // already marked 'missed' becomes 'late' whatever this submission decided.
  const status = w.late ? sql`'late'` : sql`case when status = 'missed' then 'late' else 'reported' end`;
  const parts = [
    gate,
    claim,
    report,
    sql`rev as (insert into report_revisions (${columns(revisionRow)}, report_id) select ${values(revisionRow, 'r', param)}, rep.id from rep)`,
    sql`mark as (update cycle_projects set status = ${status}, reported_at = ${param('at')}::timestamptz
      where cycle_id = ${param('cycleId')}::integer and project_id = ${param('projectId')}::integer and status in ('pending', 'missed') and exists (select 1 from claim))`,
  ];
  if (p.project) {
    parts.push(
      sql`chg as (insert into project_changes (project_id, import_id, changed_by, changes)
        select ${param('projectId')}::integer, null, ${param('by')}::text, ${param('changes')}::json from claim)`,
    );
  }
  // Whether the project has an open escalation, seen by this statement (escalations_open_idx):
  // only then can an on-time report resolve something, so only then is a recheck enqueued (a late
  // one rechecks anyway: a case the close stores meanwhile is not seen here).
  return sql<Outcome>`with ${sql.join(parts)}
    select (select count(*)::int from gate) as gated, (select count(*)::int from claim) as claimed, (select id from rep) as id,
      exists (select 1 from escalations where project_id = ${param('projectId')}::integer and state <> 'resolved') as escalated`;
}

const write = shapedStatement(statement, shapeOf);

/** Every value the statement for `w` names, by name. */
function valuesOf(w: OnceWrite): Record<string, unknown> {
  const out: Record<string, unknown> = { projectId: w.projectId, version: w.version, eventKey: w.eventKey, kind: w.kind, answer: JSON.stringify(w.answer), cycleId: w.cycleId };
  const p = w.plan;
  if (!p) return out;
  const put = (part: string, o: Record<string, unknown>) => {
    for (const k in o) out[`${part}.${k}`] = o[k];
  };
  put('f', p.fields);
  put('r', revisionRowOf(w, p));
  const projectSet = projectSetOf(p);
  if (projectSet) put('s', projectSet);
  out.revision = p.revision;
  out.reportLate = p.reportLate;
  out.reportId = p.reportId;
  out.at = p.fields.submitted_at;
  out.by = `report:${p.fields.submitted_by}`;
  out.changes = p.project ? JSON.stringify(p.project.changes) : null;
  return out;
}

/**
 * Claims the event and, when there is a plan, stores the report, its revision, the coverage
 * status and the registry update. Without a plan (a submission identical to the stored report)
 * only the claim and its answer are written (reportId 0).
 */
export async function writeReportOnce(db: Kysely<Database>, w: OnceWrite): Promise<OnceWritten> {
  const { rows } = await write(db, w, valuesOf(w));
  return outcome(rows[0]);
}

type Outcome = { gated: number; claimed: number; id: number | null; escalated: boolean };

function outcome(r: Outcome | undefined): OnceWritten {
  if (!r || r.gated === 0) return { kind: 'stale' };
  if (r.claimed === 0 || r.id === null) return { kind: 'duplicate' };
  return { kind: 'stored', reportId: r.id, escalated: r.escalated };
}

/** A new version of the project row, for a submission stored another way (storeReport): see the header. */
export async function bumpProject(db: Kysely<Database>, projectId: number): Promise<void> {
  await sql`update projects set updated_at = updated_at where id = ${projectId}::integer`.execute(db);
}
