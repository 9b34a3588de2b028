// The monthly 通报 draft, as offices write it: a headline paragraph, the league table, 红榜/黑榜,
// the lagging projects with their reasons, the problems needing city-level coordination and the
// escalations with the leaders' instructions. Built with the `docx` library; every figure comes
// from league.view.ts, the same functions the cards and the spreadsheet use.
import { AlignmentType, Document, HeadingLevel, Packer, Paragraph, Table, TableCell, TableRow, TextRun, WidthType } from 'docx';
import { periodLabel } from '../domain/period.js';
import { movementText } from '../domain/league/ranking.js';
import { LIGHT_NAME } from '../cards/elements.js';
import { headline, lagCell, laggingProjects, pct, rankText } from './league.view.js';
import type { MeetingPapers } from './meeting-papers.data.js';

const para = (text: string, opts: { bold?: boolean; heading?: (typeof HeadingLevel)[keyof typeof HeadingLevel]; center?: boolean } = {}) =>
  new Paragraph({
    heading: opts.heading,
    alignment: opts.center ? AlignmentType.CENTER : undefined,
    children: [new TextRun({ text, bold: opts.bold })],
  });

function table(header: string[], rows: string[][]): Table {
  const cell = (text: string, bold = false) => new TableCell({ children: [new Paragraph({ children: [new TextRun({ text, bold })] })] });
  return new Table({
    width: { size: 100, type: WidthType.PERCENTAGE },
    rows: [new TableRow({ tableHeader: true, children: header.map((h) => cell(h, true)) }), ...rows.map((r) => new TableRow({ children: r.map((c) => cell(c)) }))],
  });
}

export async function reportDocument(papers: MeetingPapers): Promise<Buffer> {
  const r = papers.league;
  const label = periodLabel(r.cycle.kind, r.cycle.period_key);
  const names = new Map(r.league.rows.map((x) => [x.regionId, x.name]));
  const lagging = laggingProjects(r);
  const cityProblems = papers.problems.filter((q) => q.needsCityCoordination);
  const children: (Paragraph | Table)[] = [
    para(`${label}全市重点项目建设情况通报`, { heading: HeadingLevel.TITLE, center: true }),
    para(headline(r)),
    para('一、各地重点项目擂台排名', { heading: HeadingLevel.HEADING_1 }),
    table(
      ['名次', '地区', '较上期', '年度计划完成率', '较序时进度（百分点）', '同比增速', '开复工率', '入统率', '民间投资占比', '按时报送率'],
      r.league.rows.map((x) => [
        x.rank === null ? (x.notRankedReason ?? '—') : rankText(x), x.name, movementText(x.movement), pct(x.indicators.completionRate), lagCell(x.indicators.lagPoints),
        pct(x.indicators.yoyGrowth), pct(x.indicators.startRate), pct(x.indicators.registeredRate), pct(x.indicators.privateShare), pct(x.indicators.onTimeRate),
      ]),
    ),
    para('二、红榜与黑榜', { heading: HeadingLevel.HEADING_1 }),
    para(`红榜：${r.league.red.map((id) => names.get(id)).join('、') || '无'}。`),
    para(`黑榜：${r.league.black.map((id) => names.get(id)).join('、') || '无'}。`),
    para('三、进度滞后项目', { heading: HeadingLevel.HEADING_1 }),
    ...(lagging.length === 0
      ? [para('本期无红灯、黄灯项目。')]
      : [table(['项目', '地区', '灯号', '原因'], lagging.map((p) => [p.name, p.regionName, LIGHT_NAME[p.light], p.lightReasons.join('；')]))]),
    para('四、需市级协调解决的问题', { heading: HeadingLevel.HEADING_1 }),
    ...(cityProblems.length === 0
      ? [para('本期无需市级协调解决的问题。')]
      : cityProblems.map((q, i) => para(`${i + 1}. ${q.projectName}（${q.regionName}）：${q.category}，${q.description}${q.department ? `（责任单位：${q.department}）` : ''}`))),
    para('五、督办事项及领导批示', { heading: HeadingLevel.HEADING_1 }),
    ...(papers.escalations.length === 0
      ? [para('本期无未办结督办事项。')]
      : papers.escalations.map((e, i) => para(`${i + 1}. ${e.projectName}（${e.level === 2 ? '二级' : '一级'}督办）：${e.reasonText}${e.instructions.length > 0 ? `。领导批示：${e.instructions.join('；')}` : '。'}`))),
  ];
  const doc = new Document({ creator: 'dispatch-bot', title: `${label}通报`, sections: [{ children }] });
  return Packer.toBuffer(doc);
}
