// Exemptions from the lights (豁免, `exempt XM… --until … --reason …`), read the same way for the
// lights stored at a close (escalation/lights.repository.ts) and for every live status (report
// cards, 我的项目, the summary after filing): a project exempted at the close must not show a light
// on its cards meanwhile. Whether an exemption still holds on a day is the light rule's
// (domain/lights.ts judgeLight): these only find each project's exemption that ends last.
import { sql, type Expression, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Exemption } from '../domain/lights.js';

type Q = Kysely<Database>;

/**
 * A column: the exemption of the project `projectId` refers to that ends last and is not removed
 * (and ends on or after `day`, when given), as `{ reason, until }`, or null. A subquery on the
 * by-project index, so a statement reading projects carries it without a statement of its own.
 */
export function exemptionOf(projectId: Expression<number>, day?: string) {
  const holds = day === undefined ? sql`` : sql`and e.until >= ${day}`;
  return sql<Exemption | null>`(select json_build_object('reason', e.reason, 'until', e.until) from light_exemptions e
    where e.project_id = ${projectId} and e.removed_at is null ${holds} order by e.until desc limit 1)`;
}

/** The exemptions of `projectIds` in force on `day`, by project. */
export async function activeExemptions(db: Q, projectIds: readonly number[], day: string): Promise<Map<number, Exemption>> {
  if (projectIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('light_exemptions')
    .select(['project_id', 'reason', 'until'])
    // As anyId (project-status.ts), which imports this module.
    .where(sql<boolean>`project_id = any(${[...projectIds]}::int[])`)
    .where('removed_at', 'is', null)
    .where('until', '>=', day)
    .orderBy('until', 'desc')
    .execute();
  const out = new Map<number, Exemption>();
  for (const r of rows) if (!out.has(r.project_id)) out.set(r.project_id, { reason: r.reason, until: r.until });
  return out;
}
