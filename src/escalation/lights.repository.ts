// Lights at a cycle's close, stored per project and cycle with the facts they were judged from
// (insert-once: a re-run of the close or a later rule change never rewrites a stored light),
// and the admins' exemptions from judging.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { judgeLight, type JudgedLight, type LightFacts } from '../domain/lights.js';
import { timeProgress } from '../domain/schedule-lag.js';
import { localDay } from '../cards/format.js';
import type { CycleRow } from '../cycle/cycle.repository.js';
import type { CycleSettings } from '../cycle/cycle-config.js';
import { AppError } from '../errors.js';
import { anyId, loadYtdBefore, missedStreaks } from '../status/project-status.js';
import { activeExemptions } from '../status/exemptions.js';

type Q = Kysely<Database>;

/** How far back a missed-report streak is counted. */

export type StoredLight = { projectId: number; cycleId: number; light: JudgedLight['light']; reasons: string[]; facts: LightFacts };

/** Missed reports in a row up to and including `cycle`: the one streak definition (status/project-status.ts). */
function streaksThrough(db: Q, cycle: CycleRow, projectIds: number[]): Promise<Map<number, number>> {
  return missedStreaks(db, { kind: cycle.kind, before: cycle.due_at, includeCycleId: cycle.id }, projectIds);
}

/**
 * Judges every project the cycle covers as of its close and stores what is not stored yet.
 * A project reported this cycle is judged on its report; one not reported on the figure known
 * before it, against this period's 序时进度 (it fell further behind by not reporting).
 */
export async function judgeAndStoreCycleLights(db: Q, settings: CycleSettings, cycle: CycleRow, now: Date): Promise<StoredLight[]> {
  const covered = await db
    .selectFrom('cycle_projects as cp')
    .innerJoin('projects as p', 'p.id', 'cp.project_id')
    .leftJoin('reports as r', (j) => j.onRef('r.cycle_id', '=', 'cp.cycle_id').onRef('r.project_id', '=', 'cp.project_id'))
    .select([
      'p.id', 'p.annual_plan', 'p.planned_start', 'p.started', 'p.started_on', 'p.registered', 'p.ytd_year', 'p.ytd_investment',
      'r.ytd_investment as r_ytd', 'r.started as r_started', 'r.registered as r_registered',
    ])
    .where('cp.cycle_id', '=', cycle.id)
    .execute();
  if (covered.length === 0) return [];
  const ids = covered.map((c) => c.id);
  const asOfDay = localDay(now, settings.tz);
  const [ytdBefore, streaks, exemptions] = await Promise.all([
    // Only a project that did not report is judged on the figure known before this cycle.
    loadYtdBefore(db, { id: cycle.id, kind: cycle.kind, periodKey: cycle.period_key, dueAt: cycle.due_at, openAt: cycle.open_at }, covered.filter((c) => c.r_ytd == null)),
    streaksThrough(db, cycle, ids),
    activeExemptions(db, ids, asOfDay),
  ]);
  const tp = timeProgress(cycle.kind, cycle.period_key).toString();
  const judged: StoredLight[] = covered.map((c) => {
    const facts: LightFacts = {
      ytd: c.r_ytd ?? ytdBefore.get(c.id) ?? null,
      annualPlan: c.annual_plan,
      timeProgress: tp,
      plannedStart: c.planned_start,
      started: c.r_started ?? c.started,
      startedOn: c.started_on,
      registered: c.r_registered ?? c.registered,
      asOfDay,
      consecutiveMissed: streaks.get(c.id) ?? 0,
      exemption: exemptions.get(c.id) ?? null,
    };
    const j = judgeLight(facts, settings.thresholds);
    return { projectId: c.id, cycleId: cycle.id, light: j.light, reasons: j.reasons, facts };
  });
  // One statement whatever the number of projects: the rows travel as one JSON parameter (a
  // multi-row VALUES would bind seven parameters a row and pass the protocol's 65,535 at ~9,400).
  // The facts travel as JSON values, not as strings of JSON inside it (escaped, then parsed twice),
  // and the rules once for all rows: `inputs` is built from them in SQL, the same jsonb value.
  const rows = judged.map((j) => ({ project_id: j.projectId, light: j.light, reasons: j.reasons, facts: j.facts }));
  const inserted = await sql<{ project_id: number }>`
    insert into project_lights (project_id, cycle_id, preset, light, reasons, inputs, judged_at)
    select t.project_id, ${cycle.id}, ${settings.thresholds.preset}, t.light, t.reasons,
           jsonb_build_object('facts', t.facts, 'rules', ${JSON.stringify(settings.thresholds)}::jsonb), ${now}
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as t(project_id integer, light text, reasons text[], facts jsonb)
    on conflict (project_id, cycle_id) do nothing
    returning project_id`.execute(db);
  // What is stored wins: the first close's judgement is the record. Rows inserted just now are
  // what was judged (read back as stored, through JSON); only the others are read.
  const fresh = new Set(inserted.rows.map((r) => r.project_id));
  const earlier = fresh.size === judged.length ? [] : await db
    .selectFrom('project_lights')
    .select(['project_id', 'light', 'reasons', 'inputs'])
    .where('cycle_id', '=', cycle.id)
    .where(sql<boolean>`not (project_id = any(${[...fresh]}::int[]))`)
    .execute();
  const stored = new Map<number, StoredLight>(earlier.map((s) => [s.project_id, {
    projectId: s.project_id, cycleId: cycle.id, light: s.light, reasons: s.reasons, facts: (s.inputs as { facts: LightFacts }).facts,
  }]));
  const out = judged.map((j) => stored.get(j.projectId) ?? { ...j, facts: JSON.parse(JSON.stringify(j.facts)) as LightFacts });
  const judgedIds = new Set(ids);
  for (const s of stored.values()) if (!judgedIds.has(s.projectId)) out.push(s);
  return out;
}

export type LightHistoryEntry = { cycleId: number; kind: 'weekly' | 'monthly'; periodKey: string; light: JudgedLight['light']; reasons: string[] };

/** A project's stored lights, newest first. */
export async function lightHistory(db: Q, projectId: number, limit = 6): Promise<LightHistoryEntry[]> {
  const rows = await db
    .selectFrom('project_lights as l')
    .innerJoin('cycles as c', 'c.id', 'l.cycle_id')
    .select(['l.cycle_id', 'c.kind', 'c.period_key', 'l.light', 'l.reasons'])
    .where('l.project_id', '=', projectId)
    .orderBy('c.due_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ cycleId: r.cycle_id, kind: r.kind, periodKey: r.period_key, light: r.light, reasons: r.reasons }));
}

/**
 * The light stored at the close before `cycle` of the same cadence. Most projects were judged at
 * the cadence's previous cycle, so that cycle's lights are read by key; only the projects it does
 * not cover are searched over their own history.
 */
export async function previousLights(db: Q, cycle: CycleRow, projectIds: number[]): Promise<Map<number, JudgedLight['light']>> {
  if (projectIds.length === 0) return new Map();
  const last = await db
    .selectFrom('cycles')
    .select('id')
    .where('kind', '=', cycle.kind)
    .where('due_at', '<', cycle.due_at)
    .orderBy('due_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!last) return new Map();
  const rows = await db.selectFrom('project_lights').select(['project_id', 'light']).where('cycle_id', '=', last.id).where(anyId('project_id', projectIds)).execute();
  const out = new Map(rows.map((r) => [r.project_id, r.light]));
  const rest = projectIds.filter((id) => !out.has(id));
  if (rest.length === 0) return out;
  const older = await db
    .selectFrom('project_lights as l')
    .innerJoin('cycles as c', 'c.id', 'l.cycle_id')
    .distinctOn('l.project_id')
    .select(['l.project_id', 'l.light'])
    .where(anyId('l.project_id', rest))
    .where('c.kind', '=', cycle.kind)
    .where('c.due_at', '<', cycle.due_at)
    .orderBy('l.project_id')
    .orderBy('c.due_at', 'desc')
    .execute();
  for (const r of older) out.set(r.project_id, r.light);
  return out;
}

// ---- exemptions ----

export type ExemptionRow = { id: number; code: string; name: string; reason: string; until: string; createdBy: string; createdAt: Date };

export async function addExemption(db: Q, o: { code: string; reason: string; until: string; actor: string }): Promise<ExemptionRow> {
  const project = await db.selectFrom('projects').select(['id', 'code', 'name']).where('code', '=', o.code).executeTakeFirst();
  if (!project) throw new AppError('NOT_FOUND', `project ${o.code} not found`, { userMessage: `找不到项目编号 ${o.code}` });
  const row = await db
    .insertInto('light_exemptions')
    .values({ project_id: project.id, reason: o.reason, until: o.until, created_by: o.actor, removed_at: null, removed_by: null })
    .returning(['id', 'reason', 'until', 'created_by', 'created_at'])
    .executeTakeFirstOrThrow();
  return { id: row.id, code: project.code, name: project.name, reason: row.reason, until: row.until, createdBy: row.created_by, createdAt: row.created_at };
}

export async function listExemptions(db: Q, o: { includeRemoved?: boolean } = {}): Promise<(ExemptionRow & { removedAt: Date | null })[]> {
  let q = db
    .selectFrom('light_exemptions as e')
    .innerJoin('projects as p', 'p.id', 'e.project_id')
    .select(['e.id', 'p.code', 'p.name', 'e.reason', 'e.until', 'e.created_by', 'e.created_at', 'e.removed_at'])
    .orderBy('p.code')
    .orderBy('e.id');
  if (!o.includeRemoved) q = q.where('e.removed_at', 'is', null);
  const rows = await q.execute();
  return rows.map((r) => ({ id: r.id, code: r.code, name: r.name, reason: r.reason, until: r.until, createdBy: r.created_by, createdAt: r.created_at, removedAt: r.removed_at }));
}

/** Ends an exemption early; kept (removed_at) so past judgements can still be explained. */
export async function removeExemption(db: Q, id: number, actor: string, at: Date): Promise<boolean> {
  const r = await db.updateTable('light_exemptions').set({ removed_at: at, removed_by: actor }).where('id', '=', id).where('removed_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
