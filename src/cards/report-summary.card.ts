// The read-only card that replaces the form once a report is stored: the one-line summary
// ("已提交 · 本期完成 500 万元 · 年度累计 4,200 万元 (70.0%) · 序时进度 83.3% · 🟡"), what was
// filed, any problem raised, and a "修改" button while the cycle is open. Pure.
import type { CycleKind, Stage } from '../db/schema.js';
import type { Light } from '../domain/schedule-lag.js';
import { periodLabel } from '../domain/period.js';
import { formatLocalTime, kindLabel } from './format.js';
import type { Card } from '../platform/feishu/lark-client.js';
import { callbackButton, escapeMarkdown, markdown, plain, plainDiv } from './elements.js';

export type ReportSummaryCardInput = {
  project: { id: number; code: string; name: string };
  cycle: { id: number; kind: CycleKind; periodKey: string; open: boolean };
  tz: string;
  summary: { text: string; light: Light; lightReasons: string[] };
  report: {
    stage: Stage;
    started: boolean;
    completed: boolean;
    registered: boolean;
    progress: string;
    revision: number;
    submittedAt: Date;
    submittedBy: string;
  };
  /** A problem raised with this submission, as the ledger numbered it. */
  problem: null | { number: string; category: string; department: string | null; needsCityCoordination: boolean };
  photos: number;
};

const TEMPLATE: Record<Light, string> = { green: 'green', yellow: 'yellow', red: 'red', none: 'blue' };
const yn = (v: boolean) => (v ? '是' : '否');

export function buildReportSummaryCard(input: ReportSummaryCardInput): Card {
  const { project, cycle, report } = input;
  const year = Number(cycle.periodKey.slice(0, 4));
  const elements: unknown[] = [
    markdown(`**${input.summary.text}**`),
    markdown(`<font color='grey'>${input.summary.lightReasons.map(escapeMarkdown).join('；')}</font>`),
    markdown(`项目阶段：${report.stage} ｜ 开工：${yn(report.started)} ｜ 竣工：${yn(report.completed)} ｜ 入统：${yn(report.registered)}`),
  ];
  if (report.progress) elements.push(plainDiv(`形象进度：${report.progress}`));
  if (input.problem) {
    const p = input.problem;
    const to = p.department ? `，已转 ${escapeMarkdown(p.department)} 办理` : '，由项目中心分派办理';
    elements.push(markdown(`📌 已登记问题 **${p.number}**（${escapeMarkdown(p.category)}）${to}${p.needsCityCoordination ? '，并标记为需市级协调' : ''}。`));
  }
  const photoLine = input.photos > 0 ? `已关联现场照片 ${input.photos} 张。` : '可直接把形象进度照片发给我，将关联到本次填报。';
  elements.push(
    markdown(
      `<font color='grey'>${escapeMarkdown(report.submittedBy)} 于 ${formatLocalTime(report.submittedAt, input.tz, year)} 提交${report.revision > 1 ? `（第${report.revision}版）` : ''}。${photoLine}</font>`,
    ),
  );
  if (cycle.open) {
    elements.push(callbackButton('修改', { a: 'report.edit', projectId: project.id, cycleId: cycle.id }, { name: 'report_edit' }));
  }
  return {
    schema: '2.0',
    config: { update_multi: true },
    header: {
      title: plain(project.name),
      subtitle: plain(`${project.code} · ${kindLabel(cycle.kind)} ${periodLabel(cycle.kind, cycle.periodKey)}`),
      template: TEMPLATE[input.summary.light],
    },
    body: { elements },
  };
}
