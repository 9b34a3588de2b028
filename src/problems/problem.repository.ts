// The problem ledger in the database: numbering, state changes with their history, and the
// reads behind the cards, the chat answer and the CLI. State rules live in src/domain/problem-state.ts.
import { sql, type Kysely, type Transaction } from 'kysely';
import { DateTime } from 'luxon';
import type { Database, ProblemCategory, ProblemStatus } from '../db/schema.js';
import type { ProblemHistoryEntry, ProblemView } from '../cards/problem.card.js';
import { EVENT_ACTION, transition, type ProblemAction, type TransitionResult } from '../domain/problem-state.js';
import { matchDepartment, type DepartmentRef } from '../domain/department-match.js';

type Q = Kysely<Database>;

/** "WT2026-0001": the raise year in the dispatch zone, then the ledger-wide sequence. */
export function problemNumber(seq: number, at: Date, tz: string): string {
  return `WT${DateTime.fromJSDate(at, { zone: tz }).year}-${String(seq).padStart(4, '0')}`;
}

/**
 * The department a problem goes to. The report form offers a select of departments (value = id)
 * or, past MAX_DEPARTMENT_OPTIONS, a text input; both arrive here as text. An id, an exact or
 * contained name; otherwise the project's own department.
 */
export function resolveDepartment(typed: string | null, all: readonly DepartmentRef[], fallbackId: number | null): number | null {
  const t = typed?.trim() ?? '';
  if (/^\d+$/.test(t)) {
    const byId = all.find((d) => d.id === Number(t));
    if (byId) return byId.id;
  }
  return matchDepartment(t, all)?.id ?? fallbackId;
}

export type NewProblem = {
  projectId: number;
  cycleId: number | null;
  reportId: number | null;
  category: ProblemCategory;
  description: string;
  departmentId: number | null;
  needsCityCoordination: boolean;
  raisedBy: number;
  at: Date;
  tz: string;
  sourceEventId: string | null;
};

export type RaisedProblem = { id: number; number: string; eventId: string; departmentId: number | null };

export async function raiseProblem(trx: Transaction<Database>, p: NewProblem): Promise<RaisedProblem> {
  const { rows } = await sql<{ n: string }>`select nextval('problem_number_seq') as n`.execute(trx);
  const number = problemNumber(Number(rows[0].n), p.at, p.tz);
  const row = await trx
    .insertInto('problems')
    .values({
      number,
      project_id: p.projectId,
      cycle_id: p.cycleId,
      report_id: p.reportId,
      category: p.category,
      description: p.description,
      department_id: p.departmentId,
      needs_city_coordination: p.needsCityCoordination,
      raised_by: p.raisedBy,
      raised_at: p.at,
      accepted_at: null,
      resolved_at: null,
      resolution_note: null,
      confirmed_at: null,
      source_event_id: p.sourceEventId,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const event = await trx
    .insertInto('problem_events')
    .values({ problem_id: row.id, action: 'raised', from_status: null, to_status: 'open', note: null, actor_id: p.raisedBy, source_event_id: p.sourceEventId, created_at: p.at })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, number, eventId: event.id, departmentId: p.departmentId };
}

/** A problem already raised from this report with the same words (a correction re-submits the form). */
export async function sameProblemOnReport(trx: Q, reportId: number, category: string, description: string): Promise<boolean> {
  const row = await trx
    .selectFrom('problems')
    .select('id')
    .where('report_id', '=', reportId)
    .where('category', '=', category as ProblemCategory)
    .where('description', '=', description)
    .executeTakeFirst();
  return row !== undefined;
}

export type ProblemRecord = ProblemView & {
  projectId: number;
  ownerId: number | null;
  departmentId: number | null;
  departmentContactId: number | null;
  raisedById: number;
  regionName: string;
};

function baseQuery(db: Q) {
  return db
    .selectFrom('problems as pr')
    .innerJoin('projects as p', 'p.id', 'pr.project_id')
    .innerJoin('regions as rg', 'rg.id', 'p.region_id')
    .innerJoin('people as raiser', 'raiser.id', 'pr.raised_by')
    .leftJoin('departments as d', 'd.id', 'pr.department_id')
    .select([
      'pr.id', 'pr.number', 'pr.status', 'pr.category', 'pr.description', 'pr.needs_city_coordination', 'pr.raised_at',
      'pr.resolution_note', 'pr.project_id', 'pr.department_id', 'pr.raised_by',
      'p.code as project_code', 'p.name as project_name', 'p.owner_id', 'rg.name as region_name',
      'raiser.name as raiser_name', 'd.name as department_name', 'd.contact_person_id',
      (eb) =>
        eb
          .selectFrom('problem_events as e')
          .select('e.note')
          .whereRef('e.problem_id', '=', 'pr.id')
          .where('e.action', '=', 'reopened')
          .orderBy('e.id', 'desc')
          .limit(1)
          .as('reopen_reason'),
    ]);
}

type Row = Awaited<ReturnType<ReturnType<typeof baseQuery>['executeTakeFirstOrThrow']>>;

function toRecord(r: Row): ProblemRecord {
  return {
    id: r.id,
    number: r.number,
    status: r.status,
    project: { code: r.project_code, name: r.project_name },
    category: r.category,
    description: r.description,
    department: r.department_name,
    needsCityCoordination: r.needs_city_coordination,
    raisedBy: r.raiser_name,
    raisedAt: r.raised_at,
    resolutionNote: r.resolution_note,
    reopenReason: r.reopen_reason ?? null,
    projectId: r.project_id,
    ownerId: r.owner_id,
    departmentId: r.department_id,
    departmentContactId: r.contact_person_id,
    raisedById: r.raised_by,
    regionName: r.region_name,
  };
}

export async function findProblem(db: Q, problemId: number): Promise<ProblemRecord | undefined> {
  const r = await baseQuery(db).where('pr.id', '=', problemId).executeTakeFirst();
  return r ? toRecord(r) : undefined;
}

export async function findProblemByNumber(db: Q, number: string): Promise<ProblemRecord | undefined> {
  const r = await baseQuery(db).where('pr.number', '=', number.trim().toUpperCase()).executeTakeFirst();
  return r ? toRecord(r) : undefined;
}

export type ProblemFilter = {
  statuses?: readonly ProblemStatus[];
  region?: string;
  /** Problems of these projects… */
  projectIds?: readonly number[];
  /** …or assigned to departments whose contact is this person. */
  departmentContactId?: number;
};

export async function listProblems(db: Q, f: ProblemFilter = {}): Promise<ProblemRecord[]> {
  let q = baseQuery(db).orderBy('pr.raised_at', 'desc').orderBy('pr.id', 'desc');
  if (f.statuses) q = q.where('pr.status', 'in', [...f.statuses]);
  if (f.region) q = q.where('rg.name', '=', f.region);
  if (f.projectIds !== undefined || f.departmentContactId !== undefined) {
    const projectIds = f.projectIds ?? [];
    const contact = f.departmentContactId;
    q = q.where((eb) =>
      eb.or([
        ...(projectIds.length > 0 ? [eb('pr.project_id', 'in', [...projectIds])] : []),
        ...(contact !== undefined ? [eb('d.contact_person_id', '=', contact)] : []),
        eb.val(false),
      ]),
    );
  }
  return (await q.execute()).map(toRecord);
}

export async function problemHistory(db: Q, problemId: number): Promise<ProblemHistoryEntry[]> {
  const rows = await db
    .selectFrom('problem_events as e')
    .leftJoin('people as a', 'a.id', 'e.actor_id')
    .select(['e.action', 'a.name as actor', 'e.created_at', 'e.note'])
    .where('e.problem_id', '=', problemId)
    .orderBy('e.id')
    .execute();
  return rows.map((r) => ({ action: r.action, actor: r.actor, at: r.created_at, note: r.note }));
}

export type AppliedTransition = TransitionResult & { eventId?: string };

/**
 * Applies an action under a row lock, so two clicks (or two people) cannot both move the same
 * problem. Returns the state machine's verdict; on success the problem and its history are written.
 */
export async function applyProblemAction(
  trx: Transaction<Database>,
  a: { problemId: number; action: ProblemAction; note: string | null; actorId: number; at: Date; sourceEventId: string },
): Promise<AppliedTransition> {
  const current = await trx.selectFrom('problems').select('status').where('id', '=', a.problemId).forUpdate().executeTakeFirst();
  if (!current) return { ok: false, already: false, reason: '问题不存在或已被删除' };
  const verdict = transition(current.status, a.action, a.note);
  if (!verdict.ok) return verdict;
  const note = a.note?.trim() || null;
  await trx
    .updateTable('problems')
    .set({
      status: verdict.to,
      updated_at: a.at,
      ...(a.action === 'accept' ? { accepted_at: a.at } : {}),
      ...(a.action === 'resolve' ? { resolved_at: a.at, resolution_note: note } : {}),
      ...(a.action === 'confirm' ? { confirmed_at: a.at } : {}),
      // Sent back: the previous resolution no longer stands.
      ...(a.action === 'reopen' ? { resolved_at: null, confirmed_at: null } : {}),
    })
    .where('id', '=', a.problemId)
    .execute();
  const event = await trx
    .insertInto('problem_events')
    .values({
      problem_id: a.problemId,
      action: EVENT_ACTION[a.action],
      from_status: current.status,
      to_status: verdict.to,
      note,
      actor_id: a.actorId,
      source_event_id: a.sourceEventId,
      created_at: a.at,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { ...verdict, eventId: event.id };
}
