// Queries of the escalation side: escalations with their project, people and actions, in the
// shape the leader's card, the CLI and chat show. A case's leader is the one the registry names
// now (包保领导 for level 1, 分管副市长 for level 2), not the one it was first sent to: after a
// re-import hands a project on, the former leader can no longer act on it (escalation-actions.ts),
// so lists, fresh cards and digests follow the registry too.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { EscalationCause } from '../domain/escalation-rules.js';
import type { LightFacts } from '../domain/lights.js';

type Q = Kysely<Database>;
export type EscalationState = 'open' | 'acknowledged' | 'supervising' | 'instructed' | 'resolved';

export type EscalationRecord = {
  id: number;
  level: 1 | 2;
  state: EscalationState;
  cycleId: number;
  cycleKind: 'weekly' | 'monthly';
  periodKey: string;
  createdAt: Date;
  resolvedAt: Date | null;
  resolution: string | null;
  causes: EscalationCause[];
  /** The leader the registry names now for the case's level. */
  targetId: number | null;
  target: string | null;
  targetOpenId: string | null;
  /** The leader the case was last handed to (its first card, or a handover since): the refresh hands it on when this differs. */
  handedToId: number | null;
  project: { id: number; code: string; name: string; region: string; ownerId: number | null; owner: string | null; departmentId: number | null; department: string | null };
  problemId: number | null;
};

const currentLeader = sql<number | null>`case when e.level = 1 then p.leader_id else p.vice_mayor_id end`;

function base(db: Q) {
  return db
    .selectFrom('escalations as e')
    .innerJoin('cycles as c', 'c.id', 'e.cycle_id')
    .innerJoin('projects as p', 'p.id', 'e.project_id')
    .innerJoin('regions as r', 'r.id', 'p.region_id')
    .leftJoin('people as t', (j) => j.on(sql<boolean>`t.id = ${currentLeader}`))
    .leftJoin('people as o', 'o.id', 'p.owner_id')
    .leftJoin('departments as d', 'd.id', 'p.department_id')
    .select([
      'e.id', 'e.level', 'e.state', 'e.cycle_id', 'c.kind', 'c.period_key', 'e.created_at', 'e.resolved_at', 'e.resolution', 'e.causes',
      'e.target_person_id', 't.id as target_id', 't.name as target', 't.open_id as target_open_id', 'e.problem_id',
      'p.id as project_id', 'p.code', 'p.name', 'r.name as region', 'p.owner_id', 'o.name as owner', 'p.department_id', 'd.name as department',
    ]);
}

type Row = Awaited<ReturnType<ReturnType<typeof base>['execute']>>[number];
const toRecord = (r: Row): EscalationRecord => ({
  id: r.id,
  level: r.level,
  state: r.state,
  cycleId: r.cycle_id,
  cycleKind: r.kind,
  periodKey: r.period_key,
  createdAt: r.created_at,
  resolvedAt: r.resolved_at,
  resolution: r.resolution,
  causes: r.causes as EscalationCause[],
  targetId: r.target_id,
  target: r.target,
  targetOpenId: r.target_open_id,
  handedToId: r.target_person_id,
  project: { id: r.project_id, code: r.code, name: r.name, region: r.region, ownerId: r.owner_id, owner: r.owner, departmentId: r.department_id, department: r.department },
  problemId: r.problem_id,
});

export async function findEscalations(db: Q, ids: number[]): Promise<EscalationRecord[]> {
  if (ids.length === 0) return [];
  const rows = await base(db).where('e.id', 'in', ids).orderBy('e.level').orderBy('p.code').execute();
  return rows.map(toRecord);
}

export type EscalationFilter = { level?: 1 | 2; open?: boolean; region?: string; targetId?: number; projectId?: number; cycleId?: number };

export async function listEscalations(db: Q, f: EscalationFilter = {}): Promise<EscalationRecord[]> {
  let q = base(db);
  if (f.level) q = q.where('e.level', '=', f.level);
  if (f.open) q = q.where('e.state', '!=', 'resolved');
  if (f.region) q = q.where('r.name', '=', f.region);
  if (f.targetId !== undefined) q = q.where(currentLeader, '=', f.targetId);
  if (f.projectId !== undefined) q = q.where('e.project_id', '=', f.projectId);
  if (f.cycleId !== undefined) q = q.where('e.cycle_id', '=', f.cycleId);
  const rows = await q.orderBy('c.due_at', 'desc').orderBy('e.level', 'desc').orderBy('p.code').execute();
  return rows.map(toRecord);
}

/** Who gets a card for each of a cycle's open escalations (the leader the registry names now), in listEscalations' order. */
export type CardTarget = { id: number; level: 1 | 2; projectId: number; projectCode: string; targetId: number | null; target: string | null; targetOpenId: string | null };

/**
 * The cycle's open escalations with only what sending their cards needs: a close stores one per
 * project in trouble (ten thousand at a province's scale), and the cards read each case in full
 * again (cardView) only for the leaders who get one.
 */
export async function cycleCardTargets(db: Q, cycleId: number): Promise<CardTarget[]> {
  const rows = await db
    .selectFrom('escalations as e')
    .innerJoin('projects as p', 'p.id', 'e.project_id')
    .leftJoin('people as t', (j) => j.on(sql<boolean>`t.id = ${currentLeader}`))
    .select(['e.id', 'e.level', 'p.id as project_id', 'p.code', 't.id as target_id', 't.name as target', 't.open_id as target_open_id'])
    .where('e.cycle_id', '=', cycleId)
    .where('e.state', '!=', 'resolved')
    // listEscalations' order (due time, level, project code): within one cycle, level and code.
    .orderBy('e.level', 'desc')
    .orderBy('p.code')
    .execute();
  return rows.map((r) => ({ id: r.id, level: r.level, projectId: r.project_id, projectCode: r.code, targetId: r.target_id, target: r.target, targetOpenId: r.target_open_id }));
}

export type ActionRecord = { id: string; escalationId: number; action: 'acknowledge' | 'supervise' | 'instruct'; actorId: number; actor: string; text: string | null; deadline: string | null; createdAt: Date; passedDownAt: Date | null };

export async function actionsOf(db: Q, escalationIds: number[]): Promise<ActionRecord[]> {
  if (escalationIds.length === 0) return [];
  const rows = await db
    .selectFrom('escalation_actions as a')
    .innerJoin('people as p', 'p.id', 'a.actor_id')
    .select(['a.id', 'a.escalation_id', 'a.action', 'a.actor_id', 'p.name', 'a.text', 'a.deadline', 'a.created_at', 'a.passed_down_at'])
    .where('a.escalation_id', 'in', escalationIds)
    .orderBy('a.id')
    .execute();
  return rows.map((r) => ({ id: r.id, escalationId: r.escalation_id, action: r.action, actorId: r.actor_id, actor: r.name, text: r.text, deadline: r.deadline, createdAt: r.created_at, passedDownAt: r.passed_down_at }));
}

/** The stored light facts of the escalation's own cycle, for the numbers on the card. */
export async function lightFactsAt(db: Q, pairs: { projectId: number; cycleId: number }[]): Promise<Map<string, LightFacts>> {
  if (pairs.length === 0) return new Map();
  const rows = await db
    .selectFrom('project_lights')
    .select(['project_id', 'cycle_id', 'inputs'])
    .where((eb) => eb.or(pairs.map((p) => eb.and([eb('project_id', '=', p.projectId), eb('cycle_id', '=', p.cycleId)]))))
    .execute();
  return new Map(rows.map((r) => [`${r.project_id}:${r.cycle_id}`, (r.inputs as { facts: LightFacts }).facts]));
}

/** Messages (uuid → message id) whose card shows any of the escalations, newest first. */
export async function cardsShowing(db: Q, escalationIds: number[]): Promise<{ uuid: string; personId: number; escalationIds: number[]; messageId: string | null; createdAt: Date }[]> {
  if (escalationIds.length === 0) return [];
  const rows = await db
    .selectFrom('escalation_cards as k')
    .leftJoin('outbound_messages as m', 'm.uuid', 'k.uuid')
    .select(['k.uuid', 'k.person_id', 'k.escalation_ids', 'm.message_id', 'k.created_at'])
    .where(sql<boolean>`k.escalation_ids && ${sql.val(escalationIds)}::int[]`)
    .orderBy('k.created_at', 'desc')
    .execute();
  return rows.map((r) => ({ uuid: r.uuid, personId: r.person_id, escalationIds: r.escalation_ids, messageId: r.message_id, createdAt: r.created_at }));
}

export async function cardByMessageId(db: Q, messageId: string): Promise<number[] | undefined> {
  const row = await db
    .selectFrom('escalation_cards as k')
    .innerJoin('outbound_messages as m', 'm.uuid', 'k.uuid')
    .select('k.escalation_ids')
    .where('m.message_id', '=', messageId)
    .executeTakeFirst();
  return row?.escalation_ids;
}
