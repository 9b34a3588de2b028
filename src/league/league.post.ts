// After a cycle closes: the league table to the dispatch group and each region's own card to its
// bound groups. A job (league.post) enqueued by the close; idempotent by message keys (sendOnce
// uuids), so a re-run, a retried job or a second instance posts nothing twice. The snapshot the
// first run saves is what the next cycle's movement is measured against.
import type { AppContext } from '../platform/app-context.js';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { sendOnce } from '../platform/feishu/outbound.js';
import { buildLeagueCards, buildRegionLeagueCard, type LeagueView } from '../cards/league.card.js';
import { quarterRollup } from '../domain/league/ranking.js';
import { movementText } from '../domain/league/ranking.js';
import { computeLeague, isQuarterEnd, quarterSnapshots, saveSnapshot, snapshotOf, type LeagueResult } from './league.data.js';
import { leagueView, regionView, type OpenEscalation } from './league.view.js';
import { listGroups } from './groups.repository.js';
import { sendFailure } from '../cycle/prompt.service.js';
import { anyId } from '../status/project-status.js';

export type LeaguePostDeps = Pick<AppContext, 'db' | 'lark' | 'logger'>;

export const leagueMessageKey = (cycleId: number, chatId: string, page = 1) => `league:c${cycleId}:${chatId}${page > 1 ? `:n${page}` : ''}`;

/** Escalations not yet resolved for these projects, with the leaders' instructions. */
export async function openEscalations(db: Kysely<Database>, r: LeagueResult): Promise<OpenEscalation[]> {
  const ids = r.projects.map((p) => p.projectId);
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('escalations as e')
    .innerJoin('projects as p', 'p.id', 'e.project_id')
    .select(['e.id', 'e.project_id', 'p.name', 'p.region_id', 'e.level', 'e.state', 'e.reason_text'])
    .where(anyId('e.project_id', ids))
    .where('e.state', '!=', 'resolved')
    .orderBy('e.level', 'desc')
    .orderBy('e.id')
    .execute();
  const actions = rows.length === 0 ? [] : await db
    .selectFrom('escalation_actions')
    .select(['escalation_id', 'text'])
    .where(anyId('escalation_id', rows.map((e) => e.id)))
    .where('action', '=', 'instruct')
    .orderBy('created_at')
    .execute();
  const instructions = new Map<number, string[]>();
  for (const a of actions) if (a.text) instructions.set(a.escalation_id, [...(instructions.get(a.escalation_id) ?? []), a.text]);
  return rows.map((e) => ({
    projectId: e.project_id, projectName: e.name, regionId: e.region_id, level: e.level, state: e.state, reasonText: e.reason_text,
    instructions: instructions.get(e.id) ?? [],
  }));
}

/** The league and its 季考评 roll-up when the cycle is a quarter's last month. Saves the snapshot. */
export async function leagueWithQuarter(
  db: Kysely<Database>, cycleId: number,
): Promise<{ result: LeagueResult; view: LeagueView; regionQuarter: Map<number, string> }> {
  const result = await computeLeague(db, cycleId);
  await saveSnapshot(db, result, snapshotOf(result, movementText));
  let quarter: LeagueView['quarter'] = null;
  // Each region group's card repeats its own line of the 季考评.
  const regionQuarter = new Map<number, string>();
  if (isQuarterEnd(result.cycle)) {
    const months = await quarterSnapshots(db, result.frame.year, result.frame.month);
    const rolled = quarterRollup(months);
    const names = new Map(result.regions.map((g) => [g.regionId, g.name]));
    const label = `${result.frame.year}年第${result.frame.month / 3}季度考评`;
    for (const [id, q] of rolled) regionQuarter.set(id, `${label}：第${q.rank}名（月均名次 ${q.average.toDecimalPlaces(2).toString()}）`);
    quarter = {
      title: `${label}（${months.length}个月综合名次平均）`,
      rows: [...rolled].sort((a, b) => a[1].rank - b[1].rank).map(([id, q]) => ({ rank: String(q.rank), name: names.get(id) ?? String(id), average: q.average.toDecimalPlaces(2).toString() })),
    };
  }
  return { result, view: leagueView(result, quarter), regionQuarter };
}

export async function postLeague(deps: LeaguePostDeps, cycleId: number): Promise<{ dispatchCards: number; regionCards: number; alreadySent: number }> {
  const { result, view, regionQuarter } = await leagueWithQuarter(deps.db, cycleId);
  const groups = await listGroups(deps.db);
  const escalations = await openEscalations(deps.db, result);
  let dispatchCards = 0;
  let regionCards = 0;
  let alreadySent = 0;
  // One group that refuses (the bot was removed from it) must not keep the others from their
  // cards: every group is tried, and the failures are reported after (sendFailure decides whether
  // the job may retry: only if some failure may pass).
  const failures: { key: string; error: unknown }[] = [];
  const post = async (g: { chatId: string; name: string }, key: string, kind: string, card: Record<string, unknown>): Promise<'sent' | 'already' | 'failed'> => {
    try {
      const sent = await sendOnce(deps, { key, kind, receiveId: g.chatId, receiveIdType: 'chat_id', cycleId, card });
      return sent.alreadySent ? 'already' : 'sent';
    } catch (e) {
      failures.push({ key: `群「${g.name}」(${g.chatId})`, error: e });
      deps.logger.warn({ cycleId, chatId: g.chatId, err: (e as Error).message }, 'league card not posted; trying the other groups');
      return 'failed';
    }
  };
  const cards = buildLeagueCards(view);
  for (const g of groups.filter((x) => x.purpose === 'dispatch')) {
    for (const [i, card] of cards.entries()) {
      const r = await post(g, leagueMessageKey(cycleId, g.chatId, i + 1), 'league.table', card);
      if (r === 'failed') break;
      if (r === 'already') alreadySent++;
      else dispatchCards++;
    }
  }
  const inCycle = new Set(result.regions.map((r) => r.regionId));
  for (const g of groups.filter((x) => x.purpose === 'region' && x.regionId !== null && inCycle.has(x.regionId))) {
    const card = buildRegionLeagueCard({ ...regionView(result, g.regionId as number, escalations), quarter: regionQuarter.get(g.regionId as number) ?? null });
    const r = await post(g, leagueMessageKey(cycleId, g.chatId), 'league.region', card);
    if (r === 'already') alreadySent++;
    else if (r === 'sent') regionCards++;
  }
  deps.logger.info({ cycleId, dispatchCards, regionCards, alreadySent, failed: failures.length }, 'league posted');
  if (failures.length > 0) throw sendFailure(failures, { sent: dispatchCards + regionCards, alreadySent });
  return { dispatchCards, regionCards, alreadySent };
}
