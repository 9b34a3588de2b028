// "我的项目": an owner's projects with their light, the last reported figures, and a 填报 button
// for each open cycle still waiting for a report. Pure.
import type { CycleKind, Stage } from '../db/schema.js';
import { formatPercent, formatWan } from '../domain/amount.js';
import { completionRate, type Light } from '../domain/schedule-lag.js';
import { periodLabel } from '../domain/period.js';
import { kindLabel } from './format.js';
import type { Card } from '../platform/feishu/lark-client.js';
import { callbackButton, escapeMarkdown, lightLine, markdown, plain } from './elements.js';

export type MyProjectRow = {
  projectId: number;
  code: string;
  name: string;
  stage: Stage;
  light: { light: Light; reasons: string[] };
  annualPlan: string;
  ytd: { year: number; investment: string } | null;
  last: null | { kind: CycleKind; periodKey: string; periodInvestment: string };
  /** Open cycles this project has not reported in yet. */
  pending: { cycleId: number; kind: CycleKind; periodKey: string }[];
};

/** Rows shown; a full row is ~4 components and ~700 bytes, so 20 stays well under 30 KB. */
export const MAX_MY_PROJECT_ROWS = 20;

export function buildMyProjectsCard(input: { personName: string; rows: MyProjectRow[] }): Card {
  const rows = input.rows.slice(0, MAX_MY_PROJECT_ROWS);
  const elements: unknown[] = [];
  for (const row of rows) {
    const lines = [`**${escapeMarkdown(row.name)}**（${escapeMarkdown(row.code)}）· ${row.stage}`, lightLine(row.light)];
    if (row.ytd) {
      const rate = completionRate(row.ytd.investment, row.annualPlan);
      lines.push(`${row.ytd.year}年累计 ${formatWan(row.ytd.investment)} / 计划 ${formatWan(row.annualPlan)} 万元${rate ? `（${formatPercent(rate)}）` : ''}`);
    } else {
      lines.push(`年度计划 ${formatWan(row.annualPlan)} 万元，本年尚无累计`);
    }
    lines.push(
      row.last
        ? `最近填报：${kindLabel(row.last.kind)} ${periodLabel(row.last.kind, row.last.periodKey)}，本期完成 ${formatWan(row.last.periodInvestment)} 万元`
        : '最近填报：暂无',
    );
    elements.push(markdown(lines.join('\n')));
    for (const p of row.pending) {
      elements.push(
        callbackButton(`填报 ${periodLabel(p.kind, p.periodKey)}`, { a: 'report.pick', projectId: row.projectId, cycleId: p.cycleId }, {
          type: 'primary',
          name: `pick_${row.projectId}_${p.cycleId}`,
        }),
      );
    }
  }
  const rest = input.rows.length - rows.length;
  if (rest > 0) elements.push(markdown(`<font color='grey'>另有 ${rest} 个项目未列出。</font>`));
  return {
    schema: '2.0',
    config: { update_multi: true },
    header: { title: plain(`${input.personName}负责的项目`), subtitle: plain(`共 ${input.rows.length} 个`), template: 'blue' },
    body: { elements },
  };
}
