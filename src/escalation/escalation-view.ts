// Builds the leader card's view data from stored escalations: the causes, the numbers of the
// escalation's own close (as stored, so a later rule change does not rewrite them), the light
// history, the owner and department, and every action taken with who and when.
import type { Kysely } from 'kysely';
import { together } from '../db/together.js';
import type { Database } from '../db/schema.js';
import { formatPercent, formatWan } from '../domain/amount.js';
import { periodLabel } from '../domain/period.js';
import { completionRate } from '../domain/schedule-lag.js';
import { formatLocalTime } from '../cards/format.js';
import { LEVEL_LABEL, type EscalationCardView, type EscalationItemView } from '../cards/escalation.card.js';
import type { CardNotice } from '../cards/elements.js';
import { actionsOf, findEscalations, lightFactsAt, type EscalationRecord } from './escalation.repository.js';
import { lightHistory } from './lights.repository.js';

type Q = Kysely<Database>;

type SnapshotRow = { name: string; rank: number | null; tied?: boolean };

/**
 * The region's place in the latest city league snapshot of the escalation's kind up to its
 * period (the close's escalations run before that close's league, so this is usually the
 * previous period's). Read from the stored snapshot: league sits above escalation.
 */
async function regionRanking(db: Q, r: EscalationRecord, cache: Map<string, { label: string; rows: SnapshotRow[] } | null>): Promise<string | null> {
  const k = `${r.cycleKind}:${r.periodKey}`;
  if (!cache.has(k)) {
    const snap = await db
      .selectFrom('league_snapshots as s')
      .innerJoin('cycles as c', 'c.id', 's.cycle_id')
      .select(['s.data', 'c.kind', 'c.period_key'])
      .where('c.kind', '=', r.cycleKind)
      .where('c.period_key', '<=', r.periodKey)
      .where('s.scope', '=', 'city')
      .orderBy('c.period_key', 'desc')
      .limit(1)
      .executeTakeFirst();
    const rows = (snap?.data as { rows?: SnapshotRow[] } | undefined)?.rows;
    cache.set(k, snap && rows ? { label: periodLabel(snap.kind, snap.period_key), rows } : null);
  }
  const snap = cache.get(k);
  const row = snap?.rows.find((x) => x.name === r.project.region);
  if (!snap || !row || row.rank === null) return null;
  const ranked = snap.rows.filter((x) => x.rank !== null).length;
  return `${r.project.region}在${snap.label}擂台综合排名第${row.rank}名${row.tied ? '（并列）' : ''}（共${ranked}个地区）`;
}

export async function itemViews(db: Q, records: EscalationRecord[], tz: string): Promise<EscalationItemView[]> {
  const ids = records.map((r) => r.id);
  const rankings = new Map<string, { label: string; rows: SnapshotRow[] } | null>();
  // `db` is the click's transaction when a leader's action re-renders the card (escalation-actions.ts).
  const [actions, facts] = await together([actionsOf(db, ids), lightFactsAt(db, records.map((r) => ({ projectId: r.project.id, cycleId: r.cycleId })))]);
  const out: EscalationItemView[] = [];
  for (const r of records) {
    const f = facts.get(`${r.project.id}:${r.cycleId}`);
    let figures: string | null = null;
    if (f?.annualPlan) {
      const rate = f.ytd === null ? null : completionRate(f.ytd, f.annualPlan);
      figures = `年度计划 ${formatWan(f.annualPlan)} 万元，累计 ${f.ytd === null ? '未报' : `${formatWan(f.ytd)} 万元`}${rate ? `（${formatPercent(rate)}）` : ''}，序时进度 ${formatPercent(f.timeProgress)}`;
    }
    const history = (await lightHistory(db, r.project.id)).reverse();
    out.push({
      id: r.id,
      level: r.level,
      project: { code: r.project.code, name: r.project.name, region: r.project.region },
      owner: r.project.owner,
      department: r.project.department,
      causes: r.causes.map((c) => c.text),
      figures,
      ranking: await regionRanking(db, r, rankings),
      lights: history.map((h) => ({ period: periodLabel(h.kind, h.periodKey), light: h.light })),
      actions: actions
        .filter((a) => a.escalationId === r.id)
        .map((a) => ({ action: a.action, actor: a.actor, at: formatLocalTime(a.createdAt, tz), text: a.text, deadline: a.deadline })),
      resolved: r.resolvedAt ? { at: formatLocalTime(r.resolvedAt, tz), text: r.resolution ?? '' } : null,
    });
  }
  return out;
}

export async function cardView(db: Q, escalationIds: number[], tz: string, notice?: CardNotice): Promise<EscalationCardView | undefined> {
  const records = await findEscalations(db, escalationIds);
  if (records.length === 0) return undefined;
  const items = await itemViews(db, records, tz);
  const first = records[0];
  const level = Math.max(...records.map((r) => r.level)) as 1 | 2;
  const periods = [...new Set(records.map((r) => periodLabel(r.cycleKind, r.periodKey)))].join('、');
  const title = records.length > 1 ? `督办事项汇总：${records.length} 个项目需要您关注` : `督办提醒：${first.project.name}`;
  return { title, subtitle: `${periods} · 报${LEVEL_LABEL[level]}`, items, ...(notice ? { notice } : {}) };
}
