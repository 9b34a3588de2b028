// Everything a card submission is judged against, read in ONE statement: the answer already
// given to this event (a repeated delivery), who clicked and what they may do, the project with
// its row version, the cycle, coverage, the report being corrected with its submitter's name and
// photo count, and the report neighbours (ytd-basis.ts) the year-to-date is built on.
// loadFilingContext + accessTo + storedAnswer + findPersonByOpenId asked the same in about ten
// statements on as many pool checkouts.
//
// Nothing is locked: the write (report.write.ts) stores only if the project row is still the
// version read here (its xmin), and every stored submission writes that row, so a submission
// stored for the project in between makes the write store nothing, and the caller does it again
// holding the row's lock (lockProject, then this read with a fresh snapshot).
import { sql, type Kysely } from 'kysely';
import type { Cycle, Database, Person, Project, Report } from '../db/schema.js';
import { periodYear } from '../domain/period.js';
import type { Exemption } from '../domain/lights.js';
import { neighbours, type ReportRef } from '../status/ytd-basis.js';
import { exemptionOf } from '../status/exemptions.js';
import { shapedStatement, type Param } from '../db/shaped-statement.js';
import type { FilingContext } from './filing.repository.js';

export type SubmissionRead = {
  /** The recorded answer to this event, when it was handled before. */
  answer: unknown;
  person: Person | undefined;
  admin: boolean;
  delegate: boolean;
  project: Project | undefined;
  /** The project row's version (xmin) as read; the write stores only while it is unchanged. */
  version: string | null;
  /** Undefined when the project or the cycle does not exist. */
  ctx: FilingContext | undefined;
  existingSubmitter: string | null;
  existingPhotos: number;
};

type Row = Project & {
  x_answer: unknown;
  x_person: Record<string, unknown> | null;
  x_admin: boolean;
  x_delegate: boolean;
  x_version: string | null;
  x_cycle: Record<string, unknown> | null;
  x_covered: boolean;
  x_existing: Record<string, unknown> | null;
  x_existing_submitter: string | null;
  x_existing_photos: number;
  x_refs: Record<string, unknown>[] | null;
  x_exemption: Exemption | null;
};

const dateOrNull = (v: unknown): Date | null => (v === null || v === undefined ? null : new Date(v as string));

function withDates<T>(o: Record<string, unknown>, keys: readonly string[]): T {
  const out: Record<string, unknown> = { ...o };
  for (const k of keys) if (k in out) out[k] = dateOrNull(out[k]);
  return out as T;
}

// Numeric columns go through JSON as text (as the driver returns them: exact, with their scale).
const REF = sql`json_build_object(
  'id', r.id, 'cycle_id', r.cycle_id, 'kind', c.kind, 'period_key', c.period_key, 'due_at', c.due_at,
  'period_investment', r.period_investment::text, 'ytd_investment', r.ytd_investment::text, 'stage', r.stage,
  'started', r.started, 'completed', r.completed, 'registered', r.registered, 'progress', r.progress,
  'submitted_at', r.submitted_at)`;

/** Who clicked: the operator's open_id as delivered, or (a caller that identified them already) their id. */
export type Operator = { openId: string } | { personId: number };

function readStatement(param: Param, o: { operator: Operator }) {
  const who = 'openId' in o.operator ? sql`open_id = ${param('who')}` : sql`id = ${param('who')}`;
  const projectId = param('projectId');
  const cycleId = param('cycleId');
  return sql<Row>`
    with pe as (select * from people where ${who} limit 1),
    cy as (select * from cycles where id = ${cycleId}),
    ex as (select * from reports where cycle_id = ${cycleId} and project_id = ${projectId})
    select p.*,
      (select payload from inbound_events where dedupe_key = ${param('eventKey')}) as x_answer,
      (select to_jsonb(pe) from pe) as x_person,
      exists (select 1 from person_grants g join pe on pe.id = g.person_id where g.role = 'admin') as x_admin,
      exists (select 1 from person_grants g join pe on pe.id = g.person_id where g.role = 'delegate' and g.project_id = ${projectId}) as x_delegate,
      p.xmin::text as x_version,
      (select to_jsonb(cy) from cy) as x_cycle,
      exists (select 1 from cycle_projects where cycle_id = ${cycleId} and project_id = ${projectId}) as x_covered,
      (select to_jsonb(ex) || jsonb_build_object('period_investment', ex.period_investment::text, 'ytd_investment', ex.ytd_investment::text,
         'since_start_investment', ex.since_start_investment::text) from ex) as x_existing,
      (select s.name from people s join ex on ex.submitted_by = s.id) as x_existing_submitter,
      (select count(*)::int from report_photos ph join ex on ex.id = ph.report_id) as x_existing_photos,
      (select json_agg(x.ref) from (
        (select ${REF} as ref from reports r join cycles c on c.id = r.cycle_id, cy
          where r.project_id = ${projectId} and c.kind = cy.kind and c.period_key like split_part(cy.period_key, '-', 1) || '-%')
        union all
        (select ${REF} from reports r join cycles c on c.id = r.cycle_id, cy
          where r.project_id = ${projectId} and c.due_at < cy.due_at order by c.due_at desc, r.submitted_at desc, r.id desc limit 1)
        union all
        (select ${REF} from reports r join cycles c on c.id = r.cycle_id, cy
          where r.project_id = ${projectId} and c.due_at > cy.due_at order by c.due_at limit 1)
      ) x) as x_refs,
      ${exemptionOf(sql.ref('p.id'))} as x_exemption
    from (select 1) one
    left join projects p on p.id = ${projectId}
  `;
}

// Its text differs only by how the operator is named.
const read = shapedStatement(readStatement, (o) => ('openId' in o.operator ? 'open_id' : 'id'));

export async function readSubmission(db: Kysely<Database>, o: { eventKey: string; operator: Operator; projectId: number; cycleId: number }): Promise<SubmissionRead> {
  const who = 'openId' in o.operator ? o.operator.openId : o.operator.personId;
  const { rows } = await read(db, o, { who, projectId: o.projectId, cycleId: o.cycleId, eventKey: o.eventKey });
  const row = rows[0];
  const { x_answer, x_person, x_admin, x_delegate, x_version, x_cycle, x_covered, x_existing, x_existing_submitter, x_existing_photos, x_refs, x_exemption, ...projectCols } = row;
  const project = projectCols.id === null ? undefined : projectCols;
  const person = x_person ? withDates<Person>(x_person, ['matched_at', 'prompted_at', 'created_at', 'updated_at']) : undefined;
  const cycle = x_cycle ? withDates<Cycle>(x_cycle, ['open_at', 'remind_at', 'due_at', 'opened_at', 'reminded_at', 'final_reminded_at', 'closed_at', 'created_at']) : undefined;
  let ctx: FilingContext | undefined;
  if (project && cycle) {
    const existing = x_existing ? withDates<Report>(x_existing, ['submitted_at', 'created_at', 'updated_at']) : undefined;
    // The same row can come from two of the three parts (as in loadBases): keep it once.
    const refs = new Map<number, ReportRef>();
    for (const r of x_refs ?? []) refs.set(r.id as number, toRef(r));
    const placed = neighbours([...refs.values()], { id: cycle.id, kind: cycle.kind, periodKey: cycle.period_key, dueAt: cycle.due_at });
    ctx = {
      project,
      cycle,
      year: periodYear(cycle.kind, cycle.period_key),
      covered: x_covered,
      existing,
      exemption: x_exemption,
      previousSameKind: placed.previousSameKind,
      laterSameKind: placed.laterSameKind,
      latestBefore: placed.latestBefore,
      laterAny: placed.laterAny,
    };
  }
  return {
    answer: x_answer ?? undefined,
    person,
    admin: x_admin,
    delegate: x_delegate,
    project,
    version: x_version,
    ctx,
    existingSubmitter: x_existing_submitter,
    existingPhotos: x_existing_photos ?? 0,
  };
}

function toRef(r: Record<string, unknown>): ReportRef {
  return {
    id: r.id as number,
    cycleId: r.cycle_id as number,
    kind: r.kind as ReportRef['kind'],
    periodKey: r.period_key as string,
    dueAt: new Date(r.due_at as string),
    periodInvestment: r.period_investment as string,
    ytd: r.ytd_investment as string,
    stage: r.stage as ReportRef['stage'],
    started: r.started as boolean,
    completed: r.completed as boolean,
    registered: r.registered as boolean,
    progress: r.progress as string,
    submittedAt: new Date(r.submitted_at as string),
  };
}

/** Takes the project's row lock (waiting for a submission being stored); false if there is no such project. */
export async function lockProject(db: Kysely<Database>, projectId: number): Promise<boolean> {
  const { rows } = await sql<{ id: number }>`select id from projects where id = ${projectId} for update`.execute(db);
  return rows.length > 0;
}
