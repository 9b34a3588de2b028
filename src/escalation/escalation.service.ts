// The escalation ladder at work: at each cycle's close the lights are stored, open escalations
// are checked for resolution, new ones are decided by the pure rules and stored once per
// (project, level, cycle) (the table's unique key), and each leader gets one card — a digest
// when there are several. Every send goes through sendOnce under a key naming what it is about,
// so a re-run close, a second instance or a retried job sends nothing twice.
import { sql, type Insertable, type Kysely } from 'kysely';
import type { AppContext } from '../platform/app-context.js';
import type { Database } from '../db/schema.js';
import { messageUuid, sendOnce } from '../platform/feishu/outbound.js';
import type { JobSink } from '../platform/jobs/after-commit.js';
import { buildEscalationCard, MAX_DIGEST_ITEMS } from '../cards/escalation.card.js';
import type { CardNotice } from '../cards/elements.js';
import { decideEscalations, escalationResolved, resolutionText, useDigest, type EscalationCause, type LadderRules } from '../domain/escalation-rules.js';
import { periodLabel } from '../domain/period.js';
import { groupBy } from '../domain/group-by.js';
import type { Light } from '../domain/lights.js';
import { cycleSettings } from '../cycle/cycle-config.js';
import { findCycle } from '../cycle/cycle.repository.js';
import { formatLocalTime } from '../cards/format.js';
import { AppError } from '../errors.js';
import { cardsShowing, cycleCardTargets, findEscalations, type CardTarget } from './escalation.repository.js';
import { cardView } from './escalation-view.js';
import { judgeAndStoreCycleLights, previousLights } from './lights.repository.js';
import { anyId } from '../status/project-status.js';

const CARD_LIFETIME_MS = 14 * 24 * 3600 * 1000;

export type EscalationDeps = Pick<AppContext, 'db' | 'lark' | 'queues' | 'logger' | 'config' | 'now'>;
type Q = Kysely<Database>;

export function ladderRules(config: AppContext['config']): LadderRules {
  return { preset: cycleSettings(config).thresholds.preset, problemOpenDays: config.ESCALATION_PROBLEM_DAYS };
}

/** Enqueued by the close (and by the CLI); the job id makes one run per cycle while it is kept. */
export async function enqueueEscalationRun(queues: AppContext['queues'], cycleId: number): Promise<void> {
  await queues.enqueue('escalation.close', { cycleId }, { jobId: `escalate-${cycleId}` });
}

/** After a report or a problem step: the project's open escalations may have resolved. */
export async function enqueueEscalationRecheck(jobs: JobSink, projectId: number): Promise<void> {
  // From a callback write, `jobs` is its after-commit collector: the recheck sees the commit.
  await jobs.enqueue('escalation.recheck', { projectId });
}

export type CloseRunResult = {
  lights: number; created: number; resolved: number; cardsSent: number;
  /** Milliseconds spent judging and storing the lights, and in the whole run (the close bench reports both). */
  ms: { lights: number; total: number };
};

export async function escalateAtClose(deps: EscalationDeps, cycleId: number): Promise<CloseRunResult> {
  const cycle = await findCycle(deps.db, cycleId);
  if (!cycle) throw new AppError('NOT_FOUND', `cycle ${cycleId} not found`, { userMessage: `找不到编号为 ${cycleId} 的调度期次` });
  if (cycle.state !== 'closed') throw new AppError('VALIDATION', `cycle ${cycleId} is not closed`, { userMessage: '该期次尚未截止，截止后才评灯和升级' });
  const settings = cycleSettings(deps.config);
  const now = deps.now();
  const started = performance.now();
  const lights = await judgeAndStoreCycleLights(deps.db, settings, cycle, now);
  const lightsMs = performance.now() - started;
  const projectIds = lights.map((l) => l.projectId);
  // Old cases first: a level-1 case cleared by this close must not climb to level 2.
  const stored: CycleLights = { cycleId: cycle.id, dueAt: cycle.due_at, lights: new Map(lights.map((l) => [l.projectId, l.light])) };
  const resolved = await recheckProjects(deps, projectIds, stored);

  const [prev, statuses, problems, openLevel1, projects, stillOpen] = await Promise.all([
    previousLights(deps.db, cycle, projectIds),
    deps.db.selectFrom('cycle_projects').select(['project_id', 'status']).where('cycle_id', '=', cycle.id).execute(),
    projectIds.length
      ? deps.db.selectFrom('problems').select(['id', 'number', 'description', 'raised_at', 'needs_city_coordination', 'project_id']).where(anyId('project_id', projectIds)).where('status', 'in', ['open', 'in_coordination', 'reopened']).execute()
      : [],
    projectIds.length
      ? deps.db
          .selectFrom('escalations as e')
          .innerJoin('cycles as c', 'c.id', 'e.cycle_id')
          .select(['e.id', 'e.project_id', 'c.kind', 'c.period_key'])
          .where(anyId('e.project_id', projectIds))
          .where('e.level', '=', 1)
          .where('e.state', '!=', 'resolved')
          .where('c.due_at', '<', cycle.due_at)
          .execute()
      : [],
    projectIds.length ? deps.db.selectFrom('projects').select(['id', 'leader_id', 'vice_mayor_id']).where(anyId('id', projectIds)).execute() : [],
    // Read with the rest: the recheck above has already resolved what this close clears.
    projectIds.length
      ? deps.db.selectFrom('escalations').select(['project_id', 'level', 'causes']).where(anyId('project_id', projectIds)).where('state', '!=', 'resolved').where('cycle_id', '!=', cycle.id).execute()
      : [],
  ]);
  const missed = new Set(statuses.filter((s) => s.status === 'missed').map((s) => s.project_id));
  const problemsOf = groupBy(problems, (p) => p.project_id);
  const level1Of = groupBy(openLevel1, (e) => e.project_id);
  const openOf = groupBy(stillOpen, (o) => o.project_id);
  const projectById = new Map(projects.map((p) => [p.id, p]));
  const rules = ladderRules(deps.config);
  const label = periodLabel(cycle.kind, cycle.period_key);
  const dueText = formatLocalTime(cycle.due_at, settings.tz);
  const rows: NewEscalation[] = [];
  for (const l of lights) {
    const decisions = decideEscalations(
      {
        cycleId: cycle.id,
        periodLabel: label,
        dueText,
        light: l.light,
        lightReasons: l.reasons,
        previousLight: prev.get(l.projectId) ?? null,
        missed: missed.has(l.projectId),
        openProblems: (problemsOf.get(l.projectId) ?? []).map((p) => ({ id: p.id, number: p.number, description: p.description, raisedAt: p.raised_at, needsCity: p.needs_city_coordination })),
        openLevel1: (level1Of.get(l.projectId) ?? []).map((e) => ({ id: e.id, periodLabel: periodLabel(e.kind, e.period_key) })),
        now,
      },
      rules,
    );
    const project = projectById.get(l.projectId);
    const open = openOf.get(l.projectId) ?? [];
    for (const found of decisions) {
      // A case already open at this level (the same problem, the same light, the same level-1
      // case) is not raised again each cycle: it stays one case until it resolves.
      const d = { ...found, causes: found.causes.filter((c) => !open.some((o) => o.level === found.level && sameCase(c, o.causes as EscalationCause[]))) };
      if (d.causes.length === 0) continue;
      const target = d.level === 1 ? (project?.leader_id ?? null) : (project?.vice_mayor_id ?? null);
      rows.push({
        project_id: l.projectId,
        cycle_id: cycle.id,
        level: d.level,
        reasons: d.causes.map((c) => c.kind),
        reason_text: d.causes.map((c) => c.text).join('；'),
        target_person_id: target,
        problem_id: d.causes.find((c) => c.problemId !== undefined)?.problemId ?? null,
        causes: d.causes,
        resolved_at: null,
        resolution: null,
      });
    }
  }
  const created = await insertEscalations(deps.db, rows);
  // A late report or a problem's step that committed while this run decided may have taken away a
  // cause of a case just stored, and its own recheck ran before the case could be seen. Looking
  // again once the cases are in closes that window: a write committing after this look either saw
  // the case when it was written or, being late or a problem's step, rechecks whatever it saw.
  const settled = created > 0 ? await recheckProjects(deps, [...new Set(rows.map((r) => r.project_id))], stored) : 0;
  const cardsSent = await sendCycleCards(deps, cycle.id);
  const ms = { lights: Math.round(lightsMs), total: Math.round(performance.now() - started) };
  deps.logger.info({ cycleId, lights: lights.length, created, resolved, settled, cardsSent, ms }, 'escalations decided at close');
  return { lights: lights.length, created, resolved: resolved + settled, cardsSent, ms };
}

/** An escalation to store, its causes as values (insertEscalations sends them as JSON). */
type NewEscalation = Omit<Insertable<Database['escalations']>, 'causes'> & { causes: EscalationCause[] };

/** Stores decided escalations (each once per project, level and cycle); how many were new. */
async function insertEscalations(db: Q, rows: NewEscalation[]): Promise<number> {
  if (rows.length === 0) return 0;
  // One statement and one parameter whatever the number (a VALUES list binds ten a row); the
  // causes travel as JSON values, not as strings of JSON inside it (escaped, then parsed twice).
  const r = await sql`
    insert into escalations (project_id, cycle_id, level, reasons, reason_text, target_person_id, problem_id, causes, resolved_at, resolution)
    select t.project_id, t.cycle_id, t.level, t.reasons, t.reason_text, t.target_person_id, t.problem_id, t.causes, null, null
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
      as t(project_id integer, cycle_id integer, level smallint, reasons text[], reason_text text, target_person_id integer, problem_id integer, causes jsonb)
    on conflict (project_id, level, cycle_id) do nothing`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}

/** One card per leader and level for the cycle's open escalations; a digest from the threshold on. */
async function sendCycleCards(deps: EscalationDeps, cycleId: number): Promise<number> {
  const all = await cycleCardTargets(deps.db, cycleId);
  const groups = new Map<string, CardTarget[]>();
  let sent = 0;
  for (const e of all) {
    if (e.targetId === null || !e.targetOpenId) {
      // Visible in `escalations list` (no target); the registry import reports missing leaders.
      deps.logger.warn({ escalationId: e.id, project: e.projectCode, level: e.level, target: e.target }, 'escalation has no reachable leader');
      continue;
    }
    const k = `${e.level}:${e.targetId}`;
    const group = groups.get(k);
    if (group) group.push(e);
    else groups.set(k, [e]);
  }
  for (const [k, items] of groups) {
    const [level, person] = k.split(':').map(Number) as [1 | 2, number];
    const openId = items[0].targetOpenId!;
    const digest = useDigest(items.length, deps.config.ESCALATION_DIGEST_FROM);
    const batches = digest ? chunked(items, MAX_DIGEST_ITEMS) : items.map((i) => [i]);
    for (const [n, batch] of batches.entries()) {
      const key = digest ? `esc:c${cycleId}:l${level}:p${person}${n > 0 ? `:n${n + 1}` : ''}` : `esc:e${batch[0].id}:p${person}`;
      const r = await sendEscalationCard(deps, { key, personId: person, openId, escalationIds: batch.map((b) => b.id), cycleId, projectId: batch.length === 1 ? batch[0].projectId : null });
      if (r.sent) sent++;
      if (level === 2 && deps.config.ESCALATION_URGENT && r.sent) await urgent(deps, r.messageId, openId);
    }
  }
  return sent;
}

/** A digest too big for one card goes out as several. */
export function chunked<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

async function urgent(deps: EscalationDeps, messageId: string, openId: string): Promise<void> {
  try {
    await deps.lark.urgentApp({ messageId, openIds: [openId] });
  } catch (e) {
    // The card is delivered; a refused 加急 (scope, quota) must not undo or repeat it.
    deps.logger.warn({ messageId, err: (e as Error).message }, 'urgent notice on a level-2 escalation refused');
  }
}

/** Sends (once per key) a leader card showing `escalationIds`, remembering which card shows which. */
export async function sendEscalationCard(
  deps: EscalationDeps,
  o: { key: string; personId: number; openId: string; escalationIds: number[]; cycleId: number | null; projectId: number | null; notice?: CardNotice },
): Promise<{ sent: boolean; messageId: string }> {
  const { tz } = cycleSettings(deps.config);
  const view = await cardView(deps.db, o.escalationIds, tz, o.notice);
  if (!view) throw new AppError('NOT_FOUND', `escalations ${o.escalationIds.join(',')} not found`);
  const uuid = messageUuid(o.key);
  await deps.db
    .insertInto('escalation_cards')
    .values({ uuid, person_id: o.personId, escalation_ids: o.escalationIds, created_at: deps.now() })
    .onConflict((oc) => oc.column('uuid').doNothing())
    .execute();
  const r = await sendOnce(deps, { key: o.key, kind: 'escalation', receiveId: o.openId, personId: o.personId, cycleId: o.cycleId, projectId: o.projectId, card: buildEscalationCard(view) });
  return { sent: !r.alreadySent, messageId: r.messageId };
}

/**
 * Resolves the open escalations of these projects whose causes have all gone; tells each leader
 * in one line and updates the cards that show them. Level 1 before level 2, which may depend on it.
 * `stored`: the lights a close has just stored (see latestLights).
 */
export async function recheckProjects(deps: EscalationDeps, projectIds: number[], stored?: CycleLights): Promise<number> {
  if (projectIds.length === 0) return 0;
  const open = await deps.db
    .selectFrom('escalations as e')
    .innerJoin('cycles as c', 'c.id', 'e.cycle_id')
    .select(['e.id', 'e.project_id', 'e.level', 'e.causes', 'c.due_at'])
    .where(anyId('e.project_id', projectIds))
    .where('e.state', '!=', 'resolved')
    .orderBy('e.level')
    .orderBy('e.id')
    .execute();
  if (open.length === 0) return 0;
  const ids = [...new Set(open.map((o) => o.project_id))];
  const causesOf = new Map(open.map((e) => [e.id, e.causes as EscalationCause[]]));
  const all = [...causesOf.values()].flat();
  // Only what a cause can ask about (causeGone): the cycles of its missed reports, the newest
  // light, the problems and earlier escalations it names — not each project's whole history.
  const missedCycles = [...new Set(all.filter((c) => c.kind === 'missed').map((c) => c.cycleId))];
  const named = [...new Set(all.map((c) => c.escalationId).filter((x): x is number => x !== undefined))];
  const [reported, latest, problems, resolvedBefore] = await Promise.all([
    missedCycles.length === 0 ? [] : deps.db
      .selectFrom('cycle_projects')
      .select(['project_id', 'cycle_id'])
      .where(anyId('project_id', ids))
      .where(anyId('cycle_id', missedCycles))
      .where('status', 'in', ['reported', 'late'])
      .execute(),
    latestLights(deps.db, ids, stored),
    deps.db.selectFrom('problems').select(['id']).where(anyId('project_id', ids)).where('status', 'in', ['resolved', 'confirmed']).execute(),
    resolvedAmong(deps.db, named),
  ]);
  const resolvedProblemIds = new Set(problems.map((p) => p.id));
  const reportedOf = new Map<number, Set<number>>();
  for (const r of reported) reportedOf.set(r.project_id, (reportedOf.get(r.project_id) ?? new Set()).add(r.cycle_id));
  // Escalations resolved before this run, and those this run resolves (level 1 first, which level 2 may name).
  const resolvedEscalationIds = new Set<number>(resolvedBefore);
  const resolving: { id: number; text: string }[] = [];
  for (const e of open) {
    const light = latest.get(e.project_id);
    const causes = causesOf.get(e.id)!;
    const facts = {
      reportedCycleIds: reportedOf.get(e.project_id) ?? new Set<number>(),
      // The newest light, if it was judged after the escalation's cycle.
      laterLight: light && light.dueAt.getTime() > e.due_at.getTime() ? light.light : null,
      resolvedProblemIds,
      resolvedEscalationIds,
    };
    if (!escalationResolved(causes, facts)) continue;
    resolving.push({ id: e.id, text: resolutionText(causes) });
    resolvedEscalationIds.add(e.id);
  }
  let count = 0;
  for (const batch of chunked(resolving, 1000)) {
    const at = deps.now();
    const text = batch.map((r) => r.text);
    const done = await sql<{ id: number }>`
      update escalations e set state = 'resolved', resolved_at = ${at}, resolution = t.text, updated_at = ${at}
      from unnest(${batch.map((r) => r.id)}::int[], ${text}::text[]) as t(id, text)
      where e.id = t.id and e.state <> 'resolved'
      returning e.id`.execute(deps.db);
    const ids = new Set(done.rows.map((r) => r.id));
    count += ids.size;
    // In the order they were resolved, like the jobs of one at a time.
    for (const r of batch) if (ids.has(r.id)) await deps.queues.enqueue('escalation.resolved', { escalationId: r.id }, { jobId: `esc-resolved-${r.id}` });
  }
  return count;
}

/** The lights stored for one cycle, as the close has them after storing. */
export type CycleLights = { cycleId: number; dueAt: Date; lights: ReadonlyMap<number, Light> };

/**
 * Each project's newest stored light with its cycle's due time. After a close (`stored`), a
 * project's newest light is the one just stored unless a cycle due no earlier holds one, so only
 * those few cycles are read (by the cycle index) rather than every light each project ever had;
 * a project `stored` does not cover is looked up over its whole history as without it.
 */
async function latestLights(db: Q, projectIds: number[], stored?: CycleLights): Promise<Map<number, { light: Light; dueAt: Date }>> {
  const newest = (ids: number[], notBefore?: { dueAt: Date; exceptCycleId: number }) =>
    db
      .selectFrom('project_lights as l')
      .innerJoin('cycles as c', 'c.id', 'l.cycle_id')
      .distinctOn('l.project_id')
      .select(['l.project_id', 'l.light', 'c.due_at'])
      .where(anyId('l.project_id', ids))
      .$if(notBefore !== undefined, (q) => q.where('c.due_at', '>=', notBefore!.dueAt).where('c.id', '!=', notBefore!.exceptCycleId))
      .orderBy('l.project_id')
      .orderBy('c.due_at', 'desc')
      .execute();
  const out = new Map<number, { light: Light; dueAt: Date }>();
  if (!stored) {
    for (const r of await newest(projectIds)) out.set(r.project_id, { light: r.light, dueAt: r.due_at });
    return out;
  }
  const covered = projectIds.filter((id) => stored.lights.has(id));
  const rest = projectIds.filter((id) => !stored.lights.has(id));
  const [later, others] = await Promise.all([
    covered.length ? newest(covered, { dueAt: stored.dueAt, exceptCycleId: stored.cycleId }) : [],
    rest.length ? newest(rest) : [],
  ]);
  for (const id of covered) out.set(id, { light: stored.lights.get(id)!, dueAt: stored.dueAt });
  for (const r of [...later, ...others]) out.set(r.project_id, { light: r.light, dueAt: r.due_at });
  return out;
}

/** Whether `c` is a case an open escalation already carries (a missed report is new each cycle). */
function sameCase(c: EscalationCause, open: EscalationCause[]): boolean {
  if (c.kind === 'missed') return false;
  return open.some((o) => o.kind === c.kind && o.problemId === c.problemId && o.escalationId === c.escalationId);
}

async function resolvedAmong(db: Q, ids: number[]): Promise<number[]> {
  if (ids.length === 0) return [];
  return (await db.selectFrom('escalations').select('id').where('id', 'in', ids).where('state', '=', 'resolved').execute()).map((r) => r.id);
}

/** The leader hears in one line that a case closed itself; every card showing it is updated. */
export async function notifyResolved(deps: EscalationDeps, escalationId: number): Promise<void> {
  const [e] = await findEscalations(deps.db, [escalationId]);
  if (!e || e.state !== 'resolved') return;
  const shown = await cardsShowing(deps.db, [e.id]);
  // A case resolved before any card showed it (a close looking again at what it just decided)
  // was never put to the leader, so there is nothing to take back.
  if (shown.length === 0) return;
  if (e.targetId !== null && e.targetOpenId) {
    await sendOnce(deps, {
      key: `esc-resolved:e${e.id}`,
      kind: 'escalation.resolved',
      receiveId: e.targetOpenId,
      personId: e.targetId,
      projectId: e.project.id,
      text: `【督办事项已解除】${e.project.name}（${e.project.code}）${e.resolution ?? '原因已消除'}，该事项自动解除。`,
    });
  }
  await refreshCards(deps, shown);
}

/** Re-renders every sent card that shows one of these escalations (patch by message id, as a job). */
export async function refreshShownCards(deps: EscalationDeps, escalationIds: number[], skipMessageId?: string | null): Promise<void> {
  await refreshCards(deps, await cardsShowing(deps.db, escalationIds), skipMessageId);
}

async function refreshCards(deps: EscalationDeps, cards: Awaited<ReturnType<typeof cardsShowing>>, skipMessageId?: string | null): Promise<void> {
  const { tz } = cycleSettings(deps.config);
  for (const c of cards) {
    // Feishu refuses updates to cards older than 14 days; the refresh job sends fresh ones instead.
    if (!c.messageId || c.messageId === skipMessageId || deps.now().getTime() - c.createdAt.getTime() >= CARD_LIFETIME_MS) continue;
    const view = await cardView(deps.db, c.escalationIds, tz);
    if (!view) continue;
    await deps.queues.enqueue('card.update', { messageId: c.messageId, card: buildEscalationCard(view) });
  }
}
