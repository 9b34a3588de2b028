// Every card the product builds, rendered with worst-case data (longest names, most projects and
// options, every optional part), passes the sandbox's card JSON 2.0 validator: what the strict
// tenant accepts is what real Feishu accepts. Pure; no services.
import { describe, expect, it } from 'vitest';
import { validateCard } from '../../src/sandbox/card-validator.js';
import { buildReportFormCard, MAX_DEPARTMENT_OPTIONS, type ReportFormCardInput } from '../../src/cards/report-form.card.js';
import { buildConsolidatedPromptCard, PROJECTS_PER_CONSOLIDATED_CARD, type ConsolidatedRow } from '../../src/cards/consolidated-prompt.card.js';
import { buildHelpCard } from '../../src/cards/help.card.js';
import { buildMyProjectsCard, MAX_MY_PROJECT_ROWS, type MyProjectRow } from '../../src/cards/my-projects.card.js';
import { buildNoticeCard } from '../../src/cards/notice.card.js';
import {
  buildDepartmentProblemCard,
  buildOwnerProblemCard,
  buildProblemListCard,
  MAX_LISTED_PROBLEMS,
  MAX_PROBLEM_NOTE_CHARS,
  type ProblemView,
} from '../../src/cards/problem.card.js';
import { buildDraftPickCard, buildPhotoPickCard, type PickOption } from '../../src/cards/project-pick.card.js';
import { reminderNotice } from '../../src/cards/reminder.card.js';
import { buildReportSummaryCard } from '../../src/cards/report-summary.card.js';
import { REPORT_FIELDS } from '../../src/cards/card-actions.js';
import { PROBLEM_CATEGORIES, type ProblemStatus } from '../../src/db/schema.js';
import { buildDecisionNoticeCard, buildEscalationCard, MAX_DIGEST_ITEMS, MAX_INSTRUCTION_CHARS, type EscalationItemView } from '../../src/cards/escalation.card.js';
import { buildLeagueCards, buildRegionLeagueCard, type LeagueTableRow, type LeagueView, type RegionLeagueView } from '../../src/cards/league.card.js';
import { CARD_MAX_BYTES } from '../../src/sandbox/card-validator.js';
import { cardStats } from '../../src/cards/limits.js';
import { MAX_LAGGING_SHOWN } from '../../src/league/league.view.js';

const tz = 'Asia/Shanghai';
const due = new Date('2026-11-30T18:00:00+08:00');
/** Longer than any name in the sample registry, with the characters markdown would act on. */
const longName = (i: number) => `${i}号<at id=all>*巡检司*电厂2×300MW机组扩建工程_配套[输变电]及~灰场~综合利用项目（一期、二期、三期）`.padEnd(100, '工');
const longCode = (i: number) => `XM2026-${String(i).padStart(4, '0')}-QQ-ABCDEFGHIJKLMNOP`;
const longText = (n: number) => '主体结构施工至第5层，<font>钢结构</font>吊装**完成**80%；'.repeat(60).slice(0, n);
const lights = ['red', 'yellow', 'green', 'none'] as const;
const reasons = ['低于序时进度12.3个百分点', '连续3期未填报', '入统滞后', '存在未闭环问题4个', '年度计划未分解'];
const departments = Array.from({ length: MAX_DEPARTMENT_OPTIONS }, (_, i) => ({ id: i + 1, name: `市第${i + 1}重点项目建设协调推进领导小组办公室（市发展和改革委员会）` }));

function formInput(overrides: Partial<ReportFormCardInput> = {}): ReportFormCardInput {
  const typed = Object.fromEntries(Object.values(REPORT_FIELDS).map((f) => [f, f === REPORT_FIELDS.progress ? longText(1000) : '1200.5']));
  const errors = Object.fromEntries([...Object.values(REPORT_FIELDS), 'form'].map((f) => [f, `“${f}”填写有误：金额请写成 500、500万 或 3.21亿，不要写“约500万”或“五百万”。`]));
  return {
    cycle: { id: 12, kind: 'monthly', periodKey: '2026-11', dueAt: due },
    tz,
    project: { id: 345, code: longCode(1), name: longName(1), stage: '续建', started: true, completed: false, registered: true, annualPlan: '123456789.1234' },
    light: { light: 'red', reasons },
    ytd: { year: 2026, investment: '98765432.5678' },
    latest: { kind: 'weekly', periodKey: '2026-W47', stage: '续建', started: true, completed: false, registered: true, progress: longText(1000) },
    previousSameKind: { periodKey: '2026-10', periodInvestment: '1234567.89' },
    departments,
    notice: { level: 'final', text: reminderNotice({ final: true, dueAt: due, tz, missing: Array.from({ length: 30 }, (_, i) => longName(i)) }).text },
    typed,
    errors,
    submitAction: 'draft.confirm',
    ...overrides,
  };
}

function problem(status: ProblemStatus, i = 1): ProblemView {
  return {
    id: i,
    number: `WT-2026-${String(i).padStart(4, '0')}`,
    status,
    project: { code: longCode(i), name: longName(i) },
    category: PROBLEM_CATEGORIES[i % PROBLEM_CATEGORIES.length],
    description: longText(MAX_PROBLEM_NOTE_CHARS),
    department: departments[i % departments.length].name,
    needsCityCoordination: true,
    raisedBy: '欧阳<at id=all>娜娜',
    raisedAt: new Date('2026-11-20T10:00:00+08:00'),
    resolutionNote: longText(MAX_PROBLEM_NOTE_CHARS),
    reopenReason: longText(MAX_PROBLEM_NOTE_CHARS),
  };
}

const consolidatedRows: ConsolidatedRow[] = Array.from({ length: PROJECTS_PER_CONSOLIDATED_CARD }, (_, i) => ({
  projectId: i + 1,
  code: longCode(i),
  name: longName(i),
  light: { light: lights[i % 4], reasons },
  annualPlan: '123456789.1234',
  ytdInvestment: i % 2 ? null : '98765432.5678',
}));

const myRows: MyProjectRow[] = Array.from({ length: MAX_MY_PROJECT_ROWS + 5 }, (_, i) => ({
  projectId: i + 1,
  code: longCode(i),
  name: longName(i),
  stage: '续建',
  light: { light: lights[i % 4], reasons },
  annualPlan: '123456789.1234',
  ytd: i % 3 ? { year: 2026, investment: '98765432.5678' } : null,
  last: i % 2 ? { kind: 'monthly', periodKey: '2026-10', periodInvestment: '1234567.89' } : null,
  // A weekly and a monthly cycle open at once, both still waiting.
  pending: [
    { cycleId: 100, kind: 'weekly', periodKey: '2026-W48' },
    { cycleId: 101, kind: 'monthly', periodKey: '2026-11' },
  ],
}));

/** An owner's open reports: one weekly and one monthly for each of the projects of a full consolidated card. */
const pickOptions: PickOption[] = consolidatedRows.flatMap((r) => [
  { projectId: r.projectId, cycleId: 100, code: r.code, name: r.name, kind: 'weekly' as const, periodKey: '2026-W48' },
  { projectId: r.projectId, cycleId: 101, code: r.code, name: r.name, kind: 'monthly' as const, periodKey: '2026-11' },
]);

const summaryInput = {
  project: { id: 345, code: longCode(1), name: longName(1) },
  cycle: { id: 12, kind: 'monthly' as const, periodKey: '2026-11', open: true },
  tz,
  summary: { text: '已提交 · 本期完成 1,234,567.89 万元 · 年度累计 98,765,432.57 万元 (80.0%) · 序时进度 91.7% · 🔴', light: 'red' as const, lightReasons: reasons },
  report: { stage: '续建' as const, started: true, completed: false, registered: true, progress: longText(1000), revision: 12, submittedAt: due, submittedBy: '欧阳<at id=all>娜娜' },
  problem: { number: 'WT-2026-0001', category: '征地拆迁', department: departments[59].name, needsCityCoordination: true },
  photos: 9,
};

const escalationItem = (i: number, o: Partial<EscalationItemView> = {}): EscalationItemView => ({
  id: 1000 + i,
  level: 2,
  project: { code: longCode(i), name: longName(i), region: '天城县<at id=all>*高新技术产业开发区*管理委员会' },
  owner: '欧阳<at id=all>娜娜',
  department: departments[i % departments.length].name,
  causes: [...reasons, `需市级协调：${longText(MAX_PROBLEM_NOTE_CHARS)}`, '2026年10月已报包保领导的事项至今未解决'],
  figures: '年度计划 123,456,789.12 万元，累计 98,765,432.57 万元（80.0%），序时进度 91.7%',
  ranking: '天城县<at id=all>在2026年10月擂台综合排名第200名（共200个地区）',
  lights: Array.from({ length: 12 }, (_, m) => ({ period: `2026年${m + 1}月`, light: lights[m % 4] })),
  actions: [
    { action: 'acknowledge', actor: '欧阳<at id=all>娜娜', at: '2026-10-27 09:00', text: null, deadline: null },
    { action: 'supervise', actor: '周敏', at: '2026-10-27 09:05', text: longText(MAX_INSTRUCTION_CHARS), deadline: '2026-11-05' },
    { action: 'instruct', actor: '王建国', at: '2026-10-28 10:00', text: longText(MAX_INSTRUCTION_CHARS), deadline: null },
  ],
  resolved: null,
  ...o,
});
/** The most escalations one card holds (a leader with more gets several cards). */
const DIGEST_ITEMS = MAX_DIGEST_ITEMS;

const leagueRow = (i: number, monthly: boolean): LeagueTableRow => ({
  rank: `${i + 1}${i % 7 === 0 ? '（并列）' : ''}`,
  name: `第${i + 1}<at id=all>*经济技术开发区*管理委员会`,
  movement: i % 3 ? `↑${i % 17}` : '新',
  completion: '100.0%',
  lag: '-12.3个百分点',
  ...(monthly ? { startRate: '100.0%', registeredRate: '66.7%', privateShare: '33.3%', yoy: '-12.3%' } : {}),
  onTime: '100.0%',
  lights: '🔴12 🟡34 🟢56',
  completionValue: i % 11 ? 80 + (i % 20) : null,
});
const leagueView = (monthly: boolean, quarterly: boolean, regions = 200): LeagueView => ({
  title: `2026年${monthly ? '11月' : '第48周'}重点项目擂台`,
  subtitle: '序时进度 91.7%',
  headline: longText(600),
  timeProgressValue: 91.7,
  red: Array.from({ length: 3 }, (_, i) => `第${i + 1}<at id=all>*经济技术开发区*管理委员会`),
  black: Array.from({ length: 3 }, (_, i) => `第${regions - i}<at id=all>*经济技术开发区*管理委员会`),
  rows: Array.from({ length: regions }, (_, i) => leagueRow(i, monthly)),
  notRanked: Array.from({ length: 10 }, (_, i) => ({ name: `第${i + 1}<at id=all>新设功能区`, reason: '不参与排名：本期无在库重点项目' })),
  monthly,
  quarter: quarterly ? { title: '2026年第四季度擂台', rows: Array.from({ length: regions }, (_, i) => ({ rank: String(i + 1), name: `第${i + 1}<at id=all>*经济技术开发区*管理委员会`, average: '123.33' })) } : null,
});
const regionView: RegionLeagueView = {
  title: '2026年11月重点项目擂台·天城县<at id=all>*高新技术产业开发区*管理委员会',
  subtitle: '序时进度 91.7%',
  regionName: '天城县<at id=all>*高新技术产业开发区*管理委员会',
  position: '综合排名第200名（并列）（共200个地区），较上期↓199',
  figures: [longText(200), longText(200), longText(200)],
  lagging: Array.from({ length: MAX_LAGGING_SHOWN }, (_, i) => ({ name: longName(i), light: i % 2 ? '🔴' : '🟡', reasons: reasons.join('；') })),
  laggingMore: 170,
  // regionView shows at most 20 open escalations.
  escalations: Array.from({ length: 20 }, (_, i) => ({ name: longName(i), text: `二级督办（已批示）：${reasons.join('；')}；领导批示：${longText(MAX_INSTRUCTION_CHARS)}` })),
};

const statuses: ProblemStatus[] = ['open', 'reopened', 'in_coordination', 'resolved', 'confirmed'];

const cards: [string, unknown][] = [
  ['report form, every optional part', buildReportFormCard(formInput())],
  ['report form, fresh (nothing typed, no notice)', buildReportFormCard(formInput({ typed: undefined, errors: undefined, notice: undefined, latest: null, previousSameKind: null, submitAction: undefined }))],
  ['report form, too many departments for a select', buildReportFormCard(formInput({ departments: [...departments, { id: 999, name: '市住建局' }] }))],
  ['report form, no departments', buildReportFormCard(formInput({ departments: [] }))],
  ['report form, reminder', buildReportFormCard(formInput({ notice: reminderNotice({ final: false, dueAt: due, tz, missing: [longName(1)] }) }))],
  ['consolidated prompt, full page with final notice', buildConsolidatedPromptCard({ cycle: { id: 12, kind: 'weekly', periodKey: '2026-W48', dueAt: due }, tz, rows: consolidatedRows, total: 95, page: { index: 4, count: 4 }, notice: reminderNotice({ final: true, dueAt: due, tz, missing: consolidatedRows.map((r) => r.name) }) })],
  ['help, with notice', buildHelpCard({ notice: longText(300) })],
  ['my projects, more rows than shown', buildMyProjectsCard({ personName: '欧阳<at id=all>娜娜', rows: myRows })],
  ['my projects, none', buildMyProjectsCard({ personName: '王五', rows: [] })],
  ['notice', buildNoticeCard({ title: longName(1), text: longText(1000), level: 'error' })],
  ...statuses.map((s): [string, unknown] => [`department problem card, ${s}`, buildDepartmentProblemCard(problem(s), { tz, notice: { level: 'error', text: longText(200) } })]),
  ...statuses.map((s): [string, unknown] => [`owner problem card, ${s}`, buildOwnerProblemCard(problem(s), { tz, notice: { level: 'info', text: longText(200) } })]),
  ['problem list, more than listed', buildProblemListCard({ title: longName(1), problems: Array.from({ length: MAX_LISTED_PROBLEMS + 7 }, (_, i) => problem(statuses[i % 5], i + 1)), tz, empty: '暂无' })],
  ['problem list, empty', buildProblemListCard({ title: '我的问题', problems: [], tz, empty: '暂无与您有关的未闭环问题' })],
  ['draft pick, every open report of a busy owner', buildDraftPickCard({ draft: { amount: '1,234,567.89万元', progress: longText(1000) }, draftOf: `om_${'a'.repeat(32)}`, options: pickOptions })],
  ['photo pick, nine photos', buildPhotoPickCard({ imageKeys: Array.from({ length: 9 }, (_, i) => `img_v3_0238_${i}_073f1823-df2b-4377-86c6-e293f18abcef`), messageId: `om_${'b'.repeat(32)}`, options: pickOptions })],
  ['report summary, every part', buildReportSummaryCard(summaryInput)],
  ['escalation, one project with every part', buildEscalationCard({ title: `督办提醒：${longName(1)}`, subtitle: longCode(1), items: [escalationItem(1)], notice: { level: 'error', text: longText(200) } })],
  ['escalation, one project resolved', buildEscalationCard({ title: `督办提醒：${longName(1)}`, subtitle: longCode(1), items: [escalationItem(1, { resolved: { at: '2026-10-28 10:00', text: longText(MAX_PROBLEM_NOTE_CHARS) } })] })],
  ['escalation, one project with nothing optional', buildEscalationCard({ title: '督办提醒', subtitle: '', items: [escalationItem(1, { level: 1, owner: null, department: null, figures: null, ranking: null, lights: [], actions: [] })] })],
  [`escalation digest, ${DIGEST_ITEMS} projects, some resolved`, buildEscalationCard({ title: `督办事项汇总：${DIGEST_ITEMS} 个项目`, subtitle: '原卡片即将过期，请在本卡片上操作', notice: { level: 'info', text: longText(200) }, items: Array.from({ length: DIGEST_ITEMS }, (_, i) => escalationItem(i + 1, i % 3 === 2 ? { resolved: { at: '2026-10-28 10:00', text: '已补报' } } : {})) })],
  ['escalation decision notice', buildDecisionNoticeCard({ project: { code: longCode(1), name: longName(1) }, leaderRole: '分管副市长王建国', line: `批示 · 王建国 · 2026-10-28 10:00：${longText(MAX_INSTRUCTION_CHARS)}`, causes: escalationItem(1).causes })],
  ['region league card, many lagging projects and escalations', buildRegionLeagueCard(regionView)],
  ['region league card, nothing lagging', buildRegionLeagueCard({ ...regionView, lagging: [], laggingMore: 0, escalations: [] })],
  ['report summary, closed cycle, nothing extra', buildReportSummaryCard({ ...summaryInput, cycle: { ...summaryInput.cycle, open: false }, problem: null, photos: 0, report: { ...summaryInput.report, progress: '' } })],
];

/** Buttons outside a form: a confirm dialog there never shows (2.0 button reference), so none may rely on one. */
function plainButtonsWithConfirm(card: unknown): unknown[] {
  const found: unknown[] = [];
  const visit = (v: unknown, inForm: boolean): void => {
    if (Array.isArray(v)) v.forEach((x) => visit(x, inForm));
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.tag === 'button' && !inForm && o.confirm !== undefined) found.push(o);
      Object.values(o).forEach((x) => visit(x, inForm || o.tag === 'form'));
    }
  };
  visit(card, false);
  return found;
}

describe('every product card passes the card JSON 2.0 validator with worst-case data', () => {
  it.each(cards)('%s', (_name, card) => {
    expect(validateCard(card)).toEqual([]);
    expect(plainButtonsWithConfirm(card)).toEqual([]);
  });

  it.each(cards.filter(([name]) => /^(escalation|region league)/.test(name)))('%s stays under 30 KB and 200 components', (_name, card) => {
    const { bytes, components } = cardStats(card);
    expect(bytes).toBeLessThan(CARD_MAX_BYTES);
    expect(components).toBeLessThan(200);
  });

  it('keeps every escalation actionable on a full digest and cuts only long texts; says how many lagging projects are not shown', () => {
    const digest = JSON.stringify(buildEscalationCard({ title: '督办事项汇总', subtitle: '', items: Array.from({ length: DIGEST_ITEMS }, (_, i) => escalationItem(i + 1)) }));
    for (let i = 1; i <= DIGEST_ITEMS; i++) expect(digest).toContain(`"escalationId":${1000 + i}`);
    expect(digest).toContain('…');
    const one = JSON.stringify(buildEscalationCard({ title: '督办提醒', subtitle: '', items: [escalationItem(1)] }));
    expect(one).not.toContain('…');
    const region = JSON.stringify(buildRegionLeagueCard(regionView));
    const more = /另有(\d+)个/.exec(region);
    expect(Number(more?.[1])).toBeGreaterThanOrEqual(170);
  });

  it.each([
    ['weekly', false, false],
    ['monthly', true, false],
    ['quarterly (monthly with the quarter table)', true, true],
  ] as const)('splits a 200-region %s league table into cards that each pass and fit', (_kind, monthly, quarterly) => {
    const view = leagueView(monthly, quarterly);
    const pages = buildLeagueCards(view);
    expect(pages.length).toBeGreaterThan(1);
    for (const page of pages) {
      expect(validateCard(page)).toEqual([]);
      expect(plainButtonsWithConfirm(page)).toEqual([]);
      const { bytes, components } = cardStats(page);
      expect(bytes).toBeLessThan(CARD_MAX_BYTES);
      expect(components).toBeLessThan(200);
    }
    // Every region is on exactly one page, in order; the chart and the tail appear once.
    const json = pages.map((p) => JSON.stringify(p));
    const shown = pages.flatMap((p) => (p.body as { elements: { tag: string; rows?: { name: string }[] }[] }).elements.filter((e) => e.tag === 'table').flatMap((e) => e.rows!.map((r) => r.name)));
    expect(shown).toEqual(view.rows.map((r) => r.name));
    expect(json.filter((j) => j.includes('"tag":"chart"'))).toHaveLength(monthly ? 1 : 0);
    expect(json.filter((j) => j.includes('未参与排名'))).toHaveLength(1);
    expect(json.filter((j) => j.includes('2026年第四季度擂台'))).toHaveLength(quarterly ? 1 : 0);
    expect(json.slice(1).every((j) => j.includes('续表') || !j.includes('"tag":"table"'))).toBe(true);
  });

  it('lists on a pick card only the buttons that fit, and says how many are left', () => {
    const photos = buildPhotoPickCard({ imageKeys: Array.from({ length: 20 }, (_, i) => `img_v3_0238_${i}_073f1823-df2b-4377-86c6-e293f18abcef`), messageId: 'om_x', options: pickOptions });
    expect(validateCard(photos)).toEqual([]);
    expect(JSON.stringify(photos)).toMatch(/另有 \d+ 个项目未列出/);
    const few = buildDraftPickCard({ draft: { amount: '500万', progress: '' }, draftOf: 'om_y', options: pickOptions.slice(0, 3) });
    expect(JSON.stringify(few)).not.toContain('未列出');
  });

  it('pre-fills selects by initial_index, never by initial_option', () => {
    const json = JSON.stringify(buildReportFormCard(formInput({ typed: undefined })));
    expect(json).toContain('"initial_index"');
    expect(json).not.toContain('"initial_option"');
  });
});
