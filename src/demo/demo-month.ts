// The parts of the demo month beyond one monthly cycle: the weekly cycles, the escalation ladder
// climbing to the 包保领导 and then the 分管副市长, the league table in the dispatch group, and the
// meeting papers written to disk. Everything goes through the service and signed Feishu callbacks.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { Decimal } from 'decimal.js';
import type { DemoEnv } from './demo-env.js';
import { clickCard, escalationCard, promptCard, reportForm, type Actor, type DemoProject } from './demo-actors.js';
import { closeCycle, openCycle, remindCycle } from '../cycle/cycle.service.js';
import { listEscalations, type EscalationRecord } from '../escalation/escalation.repository.js';
import { escalationFields, LEVEL_LABEL } from '../cards/escalation.card.js';
import { computeLeague } from '../league/league.data.js';
import { leagueView } from '../league/league.view.js';
import { loadMeetingPapers } from '../league/meeting-papers.data.js';
import { meetingWorkbook } from '../league/export.xlsx.js';
import { reportDocument } from '../league/report.docx.js';
import { renderTable } from '../platform/text-table.js';

type Out = (line?: string) => void;

/** Who does what in a week: the rest of the weekly owners answer on time. */
export type WeekPlan = { week: string; monday: string; late?: DemoProject[]; never: DemoProject[]; invalidFirst?: DemoProject };

/** One weekly cycle from its Monday's open to Friday's close, on the configured times. */
export async function playWeek(env: DemoEnv, out: Out, weekly: DemoProject[], plan: WeekPlan): Promise<{ cycleId: number; missed: number }> {
  const { ctx } = env.service;
  const day = (plus: number, hm: string) => `${DateTime.fromISO(plan.monday).plus({ days: plus }).toFormat('yyyy-MM-dd')} ${hm}`;
  env.setTime(day(0, '09:00'));
  const { cycle } = await openCycle(ctx, 'weekly', plan.week);
  await env.settle();
  const skip = new Set([...(plan.late ?? []), ...plan.never].map((p) => p.id));
  env.setTime(day(1, '10:00'));
  const submit = async (p: DemoProject, amount: string) =>
    clickCard(env, p.owner, await promptCard(env, cycle.id, p.owner), { a: 'report.submit', projectId: p.id, cycleId: cycle.id }, reportForm({ amount, stage: p.stage, progress: '按周计划推进' }));
  const weekAmount = (p: DemoProject) => new Decimal(p.annualPlan).div(52).toDecimalPlaces(0).toString();
  let onTime = 0;
  let invalid = '';
  for (const p of weekly) {
    if (skip.has(p.id)) continue;
    if (p === plan.invalidFirst) {
      const wrong = await submit(p, '-50');
      invalid = `；${p.owner.name} 先填「-50」→ ${wrong.toast?.content}，改正后提交`;
    }
    await submit(p, weekAmount(p));
    onTime++;
  }
  env.setTime(day(2, '15:00'));
  const reminded = await remindCycle(ctx, cycle.id, false);
  await env.settle();
  env.setTime(day(3, '11:00'));
  for (const p of plan.late ?? []) await submit(p, weekAmount(p));
  env.setTime(day(4, '18:00'));
  await remindCycle(ctx, cycle.id, true);
  const closed = await closeCycle(ctx, cycle.id);
  await env.settle();
  const lateNames = (plan.late ?? []).map((p) => p.owner.name).join('、');
  out(`  ${plan.week}：${weekly.length} 个周调度项目，${onTime} 个按时报送${invalid}；周三催报 ${reminded.owners} 人${lateNames ? `，${lateNames} 催报后补报` : ''}；周五截止缺报 ${closed.missed} 个`);
  return { cycleId: cycle.id, missed: closed.missed };
}

/** Escalation cards a leader received in this cycle, and what the escalation is. */
export async function escalationsOf(env: DemoEnv, f: { cycleId: number; level: 1 | 2 }): Promise<EscalationRecord[]> {
  return (await listEscalations(env.service.ctx.db, { cycleId: f.cycleId, level: f.level })).filter((e) => e.targetOpenId);
}

export const describeEscalation = (e: EscalationRecord): string =>
  `${LEVEL_LABEL[e.level]}${e.target}：${e.project.name}（${e.project.owner ?? '—'}）— ${e.causes.map((c) => c.text).join('；')}`;

/** The leader acts on the card they received, as they would by clicking it. */
export async function leaderActs(
  env: DemoEnv,
  e: EscalationRecord,
  action: 'acknowledge' | 'supervise' | 'instruct',
  o: { deadline?: string; text?: string } = {},
): Promise<string> {
  const leader: Actor = { name: e.target!, openId: e.targetOpenId!, personId: e.targetId! };
  const f = escalationFields(e.id);
  const form: Record<string, string> = {};
  if (o.deadline) form[f.deadline] = `${o.deadline} +0800`;
  if (o.text) form[f.instruction] = o.text;
  const r = await clickCard(env, leader, escalationCard(env, leader.openId, e.id), { a: `escalation.${action}`, escalationId: e.id }, action === 'acknowledge' ? undefined : form);
  return r.toast?.content ?? '';
}

/** The league table as `league show` prints it. */
export async function leagueLines(env: DemoEnv, cycleId: number): Promise<string[]> {
  const view = leagueView(await computeLeague(env.service.ctx.db, cycleId));
  const cols = [{ header: '名次' }, { header: '地区' }, { header: '变化' }, { header: '完成率' }, { header: '较序时进度' }, { header: '按时报送' }];
  return [
    `${view.title}（${view.subtitle}）`,
    view.headline,
    ...renderTable(cols, view.rows.map((r) => [r.rank, r.name, r.movement, r.completion, r.lag, r.onTime])),
    ...view.notRanked.map((n) => `${n.name}：${n.reason}`),
    `红榜：${view.red.join('、') || '无'}；黑榜：${view.black.join('、') || '无'}`,
  ];
}

/** 调度表.xlsx and the 通报 .docx of a cycle, written to `dir`. */
export async function writeMeetingPapers(env: DemoEnv, cycleId: number, dir: string): Promise<{ path: string; bytes: number }[]> {
  const papers = await loadMeetingPapers(env.service.ctx.db, cycleId);
  await mkdir(dir, { recursive: true });
  const files: [string, Buffer][] = [
    ['调度表.xlsx', await meetingWorkbook(papers, env.config.DISPATCH_TZ)],
    ['11月通报.docx', await reportDocument(papers)],
  ];
  const written: { path: string; bytes: number }[] = [];
  for (const [name, data] of files) {
    const path = join(dir, name);
    await writeFile(path, data);
    written.push({ path, bytes: data.length });
  }
  return written;
}
