// Thin queries over cycles and cycle_projects. Every state change is a conditional UPDATE or an
// INSERT … ON CONFLICT, so a step that runs twice (two instances, a retried job, the CLI next to
// the scheduler) changes the database once.
import { sql, type Kysely } from 'kysely';
import type { Db } from '../db/database.js';
import type { Cycle, CycleKind, Database, ReportStatus } from '../db/schema.js';

export type CycleRow = Cycle;

export async function findCycle(db: Db, cycleId: number): Promise<CycleRow | undefined> {
  return db.selectFrom('cycles').selectAll().where('id', '=', cycleId).executeTakeFirst();
}

export async function findCycleByPeriod(db: Db, kind: CycleKind, periodKey: string): Promise<CycleRow | undefined> {
  return db.selectFrom('cycles').selectAll().where('kind', '=', kind).where('period_key', '=', periodKey).executeTakeFirst();
}

/** The most recently opened cycle, of one kind or of any. */
export async function latestCycle(db: Db, kind?: CycleKind): Promise<CycleRow | undefined> {
  let q = db.selectFrom('cycles').selectAll().orderBy('open_at', 'desc').orderBy('id', 'desc').limit(1);
  if (kind) q = q.where('kind', '=', kind);
  return q.executeTakeFirst();
}

export async function openCycles(db: Db, kind?: CycleKind): Promise<CycleRow[]> {
  let q = db.selectFrom('cycles').selectAll().where('state', '=', 'open').orderBy('open_at');
  if (kind) q = q.where('kind', '=', kind);
  return q.execute();
}

export type NewCycle = { kind: CycleKind; periodKey: string; openAt: Date; remindAt: Date; dueAt: Date; openedAt: Date };

/**
 * Creates the cycle and freezes its coverage in one transaction: monthly cycles cover every
 * active project, weekly ones the active projects dispatched weekly; each row keeps the owner and
 * region the project had at that moment, so later registry edits do not rewrite who was asked.
 * If the cycle exists already, returns it untouched with created = false.
 */
export async function createCycleWithCoverage(db: Db, c: NewCycle): Promise<{ cycle: CycleRow; created: boolean }> {
  return db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('cycles')
      .values({ kind: c.kind, period_key: c.periodKey, open_at: c.openAt, remind_at: c.remindAt, due_at: c.dueAt, opened_at: c.openedAt })
      .onConflict((oc) => oc.columns(['kind', 'period_key']).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!inserted) {
      const existing = await trx.selectFrom('cycles').selectAll().where('kind', '=', c.kind).where('period_key', '=', c.periodKey).executeTakeFirstOrThrow();
      return { cycle: existing, created: false };
    }
    let covered = trx
      .selectFrom('projects')
      .select((eb) => [eb.val(inserted.id).as('cycle_id'), 'id as project_id', 'owner_id', 'region_id'])
      .where('active', '=', true);
    if (c.kind === 'weekly') covered = covered.where('dispatch_frequency', '=', 'weekly');
    await trx.insertInto('cycle_projects').columns(['cycle_id', 'project_id', 'owner_id', 'region_id']).expression(covered).execute();
    return { cycle: inserted, created: true };
  });
}

export type OwnerCoverage = { ownerId: number; projects: number };

/** Owners of the cycle's projects with how many each covers; projects without an owner are left out. */
export async function ownersOfCycle(db: Db, cycleId: number, statuses?: ReportStatus[]): Promise<OwnerCoverage[]> {
  let q = db
    .selectFrom('cycle_projects')
    .select(['owner_id', (eb) => eb.fn.countAll<string>().as('n')])
    .where('cycle_id', '=', cycleId)
    .where('owner_id', 'is not', null)
    .groupBy('owner_id')
    .orderBy('owner_id');
  if (statuses) q = q.where('status', 'in', statuses);
  const rows = await q.execute();
  return rows.map((r) => ({ ownerId: r.owner_id!, projects: Number(r.n) }));
}

export type CycleProjectRow = { projectId: number; status: ReportStatus; reportedAt: Date | null };

export type OwnerInCycle = {
  cycle: CycleRow;
  /** Undefined when no such person exists. */
  owner: { id: number; name: string; openId: string | null } | undefined;
  /** The owner's projects in the cycle, in registry-code order. */
  projects: CycleProjectRow[];
};

/**
 * What owners' prompts or reminders start from — the cycle, and per owner asked for the person
 * (undefined if none) and the owner's projects in it — in one statement for all of them (the
 * fan-out runs it once per batch of owners). Undefined when the cycle does not exist.
 */
export async function ownersInCycle(db: Db, cycleId: number, ownerIds: number[]): Promise<{ cycle: CycleRow; owners: Map<number, Omit<OwnerInCycle, 'cycle'>> } | undefined> {
  const rows = await db
    .selectFrom('cycles as c')
    .leftJoin('people as o', (j) => j.on('o.id', 'in', ownerIds))
    .leftJoin('cycle_projects as cp', (j) => j.onRef('cp.cycle_id', '=', 'c.id').onRef('cp.owner_id', '=', 'o.id'))
    .leftJoin('projects as p', 'p.id', 'cp.project_id')
    .selectAll('c')
    .select(['o.id as o_id', 'o.name as o_name', 'o.open_id as o_open_id', 'cp.project_id as cp_project_id', 'cp.status as cp_status', 'cp.reported_at as cp_reported_at'])
    .where('c.id', '=', cycleId)
    .orderBy('o.id')
    .orderBy('p.code')
    .execute();
  if (rows.length === 0) return undefined;
  const { o_id: _o, o_name: _n, o_open_id: _i, cp_project_id: _p, cp_status: _s, cp_reported_at: _r, ...cycle } = rows[0];
  const owners = new Map<number, Omit<OwnerInCycle, 'cycle'>>(ownerIds.map((id) => [id, { owner: undefined, projects: [] }]));
  for (const r of rows) {
    if (r.o_id === null) continue;
    const entry = owners.get(r.o_id)!;
    entry.owner ??= { id: r.o_id, name: r.o_name ?? '', openId: r.o_open_id };
    if (r.cp_project_id !== null) entry.projects.push({ projectId: r.cp_project_id, status: r.cp_status!, reportedAt: r.cp_reported_at });
  }
  return { cycle, owners };
}

/** ownersInCycle for one owner (a prompt or reminder job of its own). */
export async function ownerInCycle(db: Db, cycleId: number, ownerId: number): Promise<OwnerInCycle | undefined> {
  const loaded = await ownersInCycle(db, cycleId, [ownerId]);
  return loaded && { cycle: loaded.cycle, ...loaded.owners.get(ownerId)! };
}

/** One owner's projects in a cycle, in registry-code order, optionally only those in some states. */
export async function ownerProjects(db: Db, cycleId: number, ownerId: number, statuses?: ReportStatus[]): Promise<CycleProjectRow[]> {
  let q = db
    .selectFrom('cycle_projects as cp')
    .innerJoin('projects as p', 'p.id', 'cp.project_id')
    .select(['cp.project_id', 'cp.status', 'cp.reported_at'])
    .where('cp.cycle_id', '=', cycleId)
    .where('cp.owner_id', '=', ownerId)
    .orderBy('p.code');
  if (statuses) q = q.where('cp.status', 'in', statuses);
  const rows = await q.execute();
  return rows.map((r) => ({ projectId: r.project_id, status: r.status, reportedAt: r.reported_at }));
}

/** Stamps the first (or final) reminder; false if it was stamped before. */
export async function markReminded(db: Db, cycleId: number, final: boolean, at: Date): Promise<boolean> {
  const column = final ? 'final_reminded_at' : 'reminded_at';
  const res = await db.updateTable('cycles').set({ [column]: at }).where('id', '=', cycleId).where(column, 'is', null).executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/**
 * Closes an open cycle: its still-pending projects become 'missed' (a missing report is not a
 * zero report). Returns closed = false if it was closed already. Late submissions remain
 * possible; the submission side records them with markReported(…, late = true).
 */
export async function closeCycleRow(db: Db, cycleId: number, at: Date): Promise<{ closed: boolean; missed: number }> {
  return db.transaction().execute(async (trx) => {
    const res = await trx
      .updateTable('cycles')
      .set({ state: 'closed', closed_at: at })
      .where('id', '=', cycleId)
      .where('state', '=', 'open')
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) return { closed: false, missed: 0 };
    const missed = await trx
      .updateTable('cycle_projects')
      .set({ status: 'missed' })
      .where('cycle_id', '=', cycleId)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return { closed: true, missed: Number(missed.numUpdatedRows) };
  });
}

/**
 * Called by the submission side, inside its own transaction, when a report for (cycle, project)
 * is stored: 'reported' before the cycle closed, 'late' after (the caller decides `late` from the
 * clock and the cycle's state). Only the first report counts: a revision keeps the original status
 * and time. A 'missed' project always becomes 'late', never 'reported'. Returns
 * whether the row changed; false also when the project is not covered by the cycle.
 */
export async function markReported(trx: Kysely<Database>, cycleId: number, projectId: number, at: Date, late: boolean): Promise<boolean> {
  const res = await trx
    .updateTable('cycle_projects')
    // A row the close already marked 'missed' becomes 'late' whatever the caller decided: the
    // submission raced the close and lost, so it was not on time.
    .set({ status: late ? 'late' : sql<ReportStatus>`case when status = 'missed' then 'late' else 'reported' end`, reported_at: at })
    .where('cycle_id', '=', cycleId)
    .where('project_id', '=', projectId)
    .where('status', 'in', ['pending', 'missed'])
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** Moves the not-yet-passed times of an open cycle (after a calendar change). */
export async function rescheduleCycle(db: Db, cycleId: number, times: { remindAt?: Date; dueAt?: Date }): Promise<void> {
  if (!times.remindAt && !times.dueAt) return;
  await db
    .updateTable('cycles')
    .set({ ...(times.remindAt ? { remind_at: times.remindAt } : {}), ...(times.dueAt ? { due_at: times.dueAt } : {}) })
    .where('id', '=', cycleId)
    .where('state', '=', 'open')
    .execute();
}
