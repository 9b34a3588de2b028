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
