// The meeting spreadsheet (调度表): every project's report, the league table, open problems and
// escalations. ExcelJS rather than the SheetJS community build the registry reads with: the
// community build writes neither styles nor frozen panes, which a meeting sheet needs. Numbers
// stay numbers (万元 with two decimals, percentages as percentages) so the office can sum them.
import type ExcelJS from 'exceljs';
import { DateTime } from 'luxon';
import { Dec } from '../domain/amount.js';
import { shareOfTotal } from '../domain/league/since-start.js';
import { movementText } from '../domain/league/ranking.js';
import { periodLabel } from '../domain/period.js';
import { LIGHT_NAME } from '../cards/elements.js';
import { STATUS_LABELS } from '../domain/problem-state.js';
import { rankText } from './league.view.js';
import type { MeetingPapers } from './meeting-papers.data.js';

const WAN = '#,##0.00';
const PCT = '0.0%';
const POINTS = '0.0';

type Col = { header: string; width: number; fmt?: string };

const num = (v: string | null | undefined): number | null => (v === null || v === undefined ? null : new Dec(v).toDecimalPlaces(2).toNumber());
const ratio = (d: { toNumber(): number } | null): number | null => (d === null ? null : d.toNumber());

function sheet(wb: ExcelJS.Workbook, name: string, title: string, cols: Col[], rows: (string | number | null)[][]): ExcelJS.Worksheet {
  const ws = wb.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 2, xSplit: 0 }] });
  ws.columns = cols.map((c) => ({ width: c.width }));
  ws.mergeCells(1, 1, 1, cols.length);
  const t = ws.getCell(1, 1);
  t.value = title;
  t.font = { bold: true, size: 14 };
  t.alignment = { horizontal: 'center' };
  const head = ws.getRow(2);
  cols.forEach((c, i) => {
    const cell = head.getCell(i + 1);
    cell.value = c.header;
    cell.font = { bold: true };
    cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFE7E6E6' } };
    cell.alignment = { horizontal: 'center', vertical: 'middle', wrapText: true };
  });
  for (const values of rows) {
    const row = ws.addRow(values);
    cols.forEach((c, i) => {
      if (c.fmt) row.getCell(i + 1).numFmt = c.fmt;
    });
  }
  return ws;
}

const STATUS: Record<string, string> = { reported: '按时', late: '迟报', missed: '缺报', pending: '待报' };

export async function meetingWorkbook(papers: MeetingPapers, tz: string): Promise<Buffer> {
  const { league: r } = papers;
  const label = periodLabel(r.cycle.kind, r.cycle.period_key);
  // Loaded by the first export rather than at start: exceljs adds about 25 MB of RSS to every
  // serving process, and only an admin's `导出` or the CLI ever builds a workbook.
  const { default: Excel } = await import('exceljs');
  const wb = new Excel.Workbook();
  wb.creator = 'dispatch-bot';
  const local = (d: Date | null) => (d ? DateTime.fromJSDate(d, { zone: tz }).toFormat('yyyy-LL-dd HH:mm') : '');

  sheet(wb, '项目调度表', `${label}重点项目调度表（序时进度 ${r.frame.timeProgress.times(100).toFixed(1)}%）`, [
    { header: '序号', width: 6 }, { header: '项目编号', width: 12 }, { header: '项目名称', width: 32 }, { header: '所属地区', width: 10 },
    { header: '灯号', width: 8 }, { header: '较序时进度（百分点，负为滞后）', width: 14, fmt: POINTS }, { header: '总投资（万元）', width: 14, fmt: WAN },
    { header: '年度计划投资（万元）', width: 14, fmt: WAN }, { header: '本期完成投资（万元）', width: 14, fmt: WAN }, { header: '本年累计完成投资（万元）', width: 14, fmt: WAN },
    { header: '年度计划完成率', width: 10, fmt: PCT }, { header: '开工以来累计完成投资（万元）', width: 16, fmt: WAN }, { header: '占总投资比例', width: 10, fmt: PCT },
    { header: '形象进度', width: 36 }, { header: '存在问题', width: 36 }, { header: '填报人', width: 10 }, { header: '填报时间', width: 17 }, { header: '报送情况', width: 8 },
  ], r.projects.map((p, i) => [
    i + 1, p.code, p.name, p.regionName, LIGHT_NAME[p.light],
    p.lagPoints === null ? null : new Dec(p.lagPoints).negated().toNumber(),
    num(p.totalInvestment), num(p.annualPlan), num(p.periodInvestment), num(p.ytd),
    p.ytd === null ? null : ratio(new Dec(p.annualPlan).gt(0) ? new Dec(p.ytd).dividedBy(p.annualPlan) : null),
    num(p.sinceStart), ratio(shareOfTotal(p.sinceStart, p.totalInvestment)),
    p.progress, (papers.problemsByProject.get(p.projectId) ?? []).map((q) => `${q.number} ${q.category}：${q.description}（${STATUS_LABELS[q.status]}）`).join('\n'),
    p.submittedByName ?? '', local(p.submittedAt), STATUS[p.status] ?? p.status,
  ]));

  sheet(wb, '擂台排名', `${label}各地重点项目擂台排名`, [
    { header: '名次', width: 8 }, { header: '地区', width: 12 }, { header: '较上期', width: 8 }, { header: '项目数', width: 8 },
    { header: '年度计划投资（万元）', width: 14, fmt: WAN }, { header: '本年累计完成投资（万元）', width: 14, fmt: WAN }, { header: '年度计划完成率', width: 10, fmt: PCT },
    { header: '较序时进度（百分点）', width: 12, fmt: POINTS }, { header: '同比增速', width: 10, fmt: PCT }, { header: '开复工率', width: 10, fmt: PCT },
    { header: '本年新开工', width: 8 }, { header: '5000万元以上在建项目', width: 10 }, { header: '其投资占比', width: 10, fmt: PCT }, { header: '民间投资占比', width: 10, fmt: PCT },
    { header: '入统率', width: 10, fmt: PCT }, { header: '按时报送率', width: 10, fmt: PCT }, { header: '问题解决率', width: 10, fmt: PCT },
    { header: '综合得分（名次均值）', width: 10, fmt: '0.00' }, { header: '备注', width: 24 },
  ], [
    ...r.league.rows.map((row) => {
      const i = row.indicators;
      return [
        rankText(row), row.name, movementText(row.movement), i.projectCount, num(i.annualPlan.toFixed()), num(i.ytd.toFixed()), ratio(i.completionRate),
        i.lagPoints === null ? null : i.lagPoints.negated().toDecimalPlaces(1).toNumber(), ratio(i.yoyGrowth), ratio(i.startRate), i.newStarts,
        i.largeUnderConstruction, ratio(i.largeShare), ratio(i.privateShare), ratio(i.registeredRate), ratio(i.onTimeRate), ratio(i.problemResolutionRate),
        row.score === null ? null : row.score.toDecimalPlaces(2).toNumber(),
        [row.notRankedReason, r.league.red.includes(row.regionId) ? '红榜' : null, r.league.black.includes(row.regionId) ? '黑榜' : null].filter(Boolean).join('；'),
      ];
    }),
    (() => {
      const c = r.city;
      return ['', '全市', '', c.projectCount, num(c.annualPlan.toFixed()), num(c.ytd.toFixed()), ratio(c.completionRate),
        c.lagPoints === null ? null : c.lagPoints.negated().toDecimalPlaces(1).toNumber(), ratio(c.yoyGrowth), ratio(c.startRate), c.newStarts,
        c.largeUnderConstruction, ratio(c.largeShare), ratio(c.privateShare), ratio(c.registeredRate), ratio(c.onTimeRate), ratio(c.problemResolutionRate), null, ''];
    })(),
  ]);

  sheet(wb, '问题与督办', `${label}未解决问题与督办事项`, [
    { header: '类别', width: 8 }, { header: '编号', width: 14 }, { header: '项目', width: 30 }, { header: '地区', width: 10 }, { header: '问题类别/督办级别', width: 14 },
    { header: '内容', width: 48 }, { header: '责任单位', width: 16 }, { header: '状态', width: 12 }, { header: '需市级协调', width: 10 }, { header: '提出时间/领导批示', width: 36 },
  ], [
    ...papers.problems.map((q) => ['问题', q.number, q.projectName, q.regionName, q.category, q.description, q.department ?? '', STATUS_LABELS[q.status], q.needsCityCoordination ? '是' : '否', local(q.raisedAt)]),
    ...papers.escalations.map((e) => ['督办', '', e.projectName, r.regions.find((g) => g.regionId === e.regionId)?.name ?? '', e.level === 2 ? '二级督办' : '一级督办', e.reasonText, '', e.state, '', e.instructions.join('；')]),
  ]);

  return Buffer.from(await wb.xlsx.writeBuffer());
}
