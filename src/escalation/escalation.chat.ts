// Chat commands of the escalation side: 我的督办 (a leader's open escalations), 项目 XM… (one
// project's status and light history, to its owner, leader, vice-mayor or an admin) and 待办
// (fresh, actionable cards for what the person must still act on: a leader's escalations, a
// department contact's problems — the way round Feishu's 14-day card lifetime).
import { sql } from 'kysely';
import type { Person } from '../db/schema.js';
import { periodLabel } from '../domain/period.js';
import { LEVEL_LABEL, STATE_LABEL } from '../cards/escalation.card.js';
import { accessTo, canFile } from '../registry/access.js';
import { listEscalations } from './escalation.repository.js';
import { lightHistory } from './lights.repository.js';
import { sendFreshLeaderCard, sendFreshProblemCards } from './escalation-refresh.js';
import type { EscalationDeps } from './escalation.service.js';

const LIGHT = { green: '🟢', yellow: '🟡', red: '🔴', none: '⚪' } as const;

export async function myEscalationsText(deps: EscalationDeps, person: Person): Promise<string> {
  const open = await listEscalations(deps.db, { targetId: person.id, open: true });
  if (open.length === 0) return '您目前没有待处理的督办事项。';
  const lines = open.map((e, i) => `${i + 1}. ${e.project.name}（${e.project.code}）· ${LEVEL_LABEL[e.level]} · ${STATE_LABEL[e.state]} · ${periodLabel(e.cycleKind, e.periodKey)}\n   ${e.causes.map((c) => c.text).join('；')}`);
  return `您有 ${open.length} 项待处理的督办事项：\n${lines.join('\n')}\n发送「待办」可收到可直接操作的最新卡片。`;
}

export async function projectStatusText(deps: EscalationDeps, person: Person, code: string): Promise<string> {
  const p = await deps.db
    .selectFrom('projects as p')
    .innerJoin('regions as r', 'r.id', 'p.region_id')
    .leftJoin('people as o', 'o.id', 'p.owner_id')
    .leftJoin('people as l', 'l.id', 'p.leader_id')
    .leftJoin('departments as d', 'd.id', 'p.department_id')
    .select(['p.id', 'p.code', 'p.name', 'p.stage', 'r.name as region', 'o.name as owner', 'l.name as leader', 'd.name as department', 'p.leader_id', 'p.vice_mayor_id'])
    .where(sql<string>`upper(p.code)`, '=', code.toUpperCase())
    .executeTakeFirst();
  if (!p) return `找不到项目编号 ${code}，请核对后重试。`;
  const access = await accessTo(deps.db, person.id, p.id);
  if (!canFile(access) && p.leader_id !== person.id && p.vice_mayor_id !== person.id) return `您不是项目 ${p.code} 的负责人、包保领导或管理员，不能查看该项目。`;
  const [lights, escalations, problems] = await Promise.all([
    lightHistory(deps.db, p.id, 6),
    listEscalations(deps.db, { projectId: p.id, open: true }),
    deps.db.selectFrom('problems').select(['number', 'description']).where('project_id', '=', p.id).where('status', 'in', ['open', 'in_coordination', 'reopened']).execute(),
  ]);
  const lines = [
    `${p.name}（${p.code}）· ${p.region} · ${p.stage}`,
    `负责人：${p.owner ?? '未指定'} ｜ 包保领导：${p.leader ?? '未指定'} ｜ 责任单位：${p.department ?? '未指定'}`,
    lights.length ? `预警灯：${[...lights].reverse().map((l) => `${periodLabel(l.kind, l.periodKey)}${LIGHT[l.light]}`).join(' → ')}` : '预警灯：尚无记录',
  ];
  if (lights[0]) lines.push(`最近一期：${lights[0].reasons.join('；')}`);
  lines.push(escalations.length ? `督办中：${escalations.map((e) => `${LEVEL_LABEL[e.level]}（${STATE_LABEL[e.state]}）`).join('、')}` : '督办中：无');
  if (problems.length) lines.push(`未解决问题：${problems.map((q) => `${q.number} ${q.description}`).join('；')}`);
  return lines.join('\n');
}

/** Sends fresh actionable cards; returns the one-line answer for the chat. */
export async function sendTodoCards(deps: EscalationDeps, person: Person, requestId: string): Promise<string | undefined> {
  const leader = await sendFreshLeaderCard(deps, person.id, 'request', requestId);
  const problems = await sendFreshProblemCards(deps, person.id, 'request', undefined, requestId);
  if (!leader && problems === 0) return undefined;
  const parts = [leader ? `督办事项 ${leader.count} 项` : '', problems ? `待办问题 ${problems} 个` : ''].filter(Boolean);
  return `已发送最新的待办卡片（${parts.join('，')}），请在卡片上直接操作。`;
}
