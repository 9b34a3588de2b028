// The report form and the consolidated list are pure functions: checked here without services.
import { describe, expect, it } from 'vitest';
import { NONE, buildReportFormCard, type ReportFormCardInput } from '../../src/cards/report-form.card.js';
import { CARD_LIMITS, cardStats } from '../../src/cards/limits.js';
import { PROJECTS_PER_CONSOLIDATED_CARD, buildConsolidatedPromptCard, consolidatedPages } from '../../src/cards/consolidated-prompt.card.js';
import { reminderNotice } from '../../src/cards/reminder.card.js';
import { NO, REPORT_FIELDS, REPORT_FORM_NAME, YES, cardActionValue } from '../../src/cards/card-actions.js';
import { PROBLEM_CATEGORIES, STAGES } from '../../src/db/schema.js';
import { readTypedForm, validateReportForm, type FilingBasis } from '../../src/submission/report-form.js';
import { selectedValue } from '../helpers/card-select.js';

const due = new Date('2026-11-20T18:00:00+08:00');

function input(overrides: Partial<ReportFormCardInput> = {}): ReportFormCardInput {
  return {
    cycle: { id: 12, kind: 'weekly', periodKey: '2026-W47', dueAt: due },
    tz: 'Asia/Shanghai',
    project: { id: 345, code: 'XM2026001', name: '巡检司电厂2×300MW机组扩建工程', stage: '续建', started: true, completed: false, registered: false, annualPlan: '60000' },
    light: { light: 'yellow', reasons: ['低于序时进度8.2个百分点'] },
    ytd: { year: 2026, investment: '48000' },
    latest: { kind: 'weekly', periodKey: '2026-W46', stage: '续建', started: true, completed: false, registered: true, progress: '主体结构施工至第5层' },
    previousSameKind: { periodKey: '2026-W46', periodInvestment: '1200.5' },
    departments: [
      { id: 1, name: '市发改委' },
      { id: 2, name: '市自然资源局' },
    ],
    ...overrides,
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions walk the card JSON freely; its shape is what is under test
type El = Record<string, any>;
const report = (i: ReportFormCardInput): El => buildReportFormCard(i);
const consolidated = (i: Parameters<typeof buildConsolidatedPromptCard>[0]): El => buildConsolidatedPromptCard(i);
const form = (card: El): El => card.body.elements.find((e: El) => e.tag === 'form');
const field = (card: El, name: string): El => form(card).elements.find((e: El) => e.name === name);
const buttons = (elements: El[]): El[] => elements.filter((e) => e.tag === 'button');

describe('buildReportFormCard', () => {
  it('is a shared JSON 2.0 card headed by the project, cycle and due time', () => {
    const card = report(input());
    expect(card.schema).toBe('2.0');
    expect(card.config).toEqual({ update_multi: true });
    expect(card.header.title.content).toBe('巡检司电厂2×300MW机组扩建工程');
    expect(card.header.subtitle.content).toContain('XM2026001');
    expect(card.header.subtitle.content).toContain('周调度 2026年第47周（11月16日—11月22日）');
    expect(card.header.subtitle.content).toContain('11月20日（周五）18:00');
    expect(card.header.template).toBe('yellow');
  });

  it('shows the light with its reasons and last period’s figures', () => {
    const text = JSON.stringify(buildReportFormCard(input()));
    expect(text).toContain('🟡 黄灯：低于序时进度8.2个百分点');
    expect(text).toContain('上期（2026年第46周（11月9日—11月15日））完成投资：1,200.5 万元');
    expect(text).toContain('2026年累计完成投资：48,000 / 年度计划 60,000 万元（80.0%）');
    expect(text).toContain('项目阶段：续建 ｜ 开工：是 ｜ 竣工：否 ｜ 入统：是');
    expect(text).toContain('形象进度：主体结构施工至第5层');
  });

  it('uses the contract’s form name and every field name, with one submit button', () => {
    const card = report(input());
    const f = form(card);
    expect(f.name).toBe(REPORT_FORM_NAME);
    const names = f.elements.map((e: El) => e.name).filter(Boolean);
    for (const name of Object.values(REPORT_FIELDS)) expect(names).toContain(name);
    expect(new Set(names).size).toBe(names.length);
    const submit = buttons(f.elements);
    expect(submit).toHaveLength(1);
    expect(submit[0].form_action_type).toBe('submit');
    expect(submit[0].behaviors).toEqual([{ type: 'callback', value: { a: 'report.submit', projectId: 345, cycleId: 12 } }]);
    expect(cardActionValue.parse(submit[0].behaviors[0].value)).toEqual({ a: 'report.submit', projectId: 345, cycleId: 12 });
  });

  it('submits as draft.confirm when offered from a chat draft, every other button unchanged', () => {
    const plainCard = report(input());
    const draft = report(input({ submitAction: 'draft.confirm' }));
    const submit = buttons(form(draft).elements);
    expect(submit).toHaveLength(1);
    expect(submit[0].form_action_type).toBe('submit');
    expect(cardActionValue.parse(submit[0].behaviors[0].value)).toEqual({ a: 'draft.confirm', projectId: 345, cycleId: 12 });
    expect(JSON.stringify(draft)).not.toContain('"report.submit"');
    expect(buttons(draft.body.elements)).toEqual(buttons(plainCard.body.elements));
    expect(report(input({ submitAction: 'report.submit' }))).toEqual(plainCard);
  });

  it('puts "本期无变化" outside the form, as a plain callback button that says what it files (no confirm dialog)', () => {
    const card = report(input());
    const outside = buttons(card.body.elements);
    expect(outside).toHaveLength(1);
    expect(outside[0].text.content).toBe('本期无变化');
    expect(outside[0].form_action_type).toBeUndefined();
    expect(cardActionValue.parse(outside[0].behaviors[0].value)).toEqual({ a: 'report.no_change', projectId: 345, cycleId: 12 });
    // confirm fires only on form-submit buttons: a dialog here would never show.
    expect(outside[0].confirm).toBeUndefined();
    expect(JSON.stringify(card.body.elements)).toContain('本期完成投资记为 0 万元');
  });

  it('pre-fills states from the latest report but leaves the investment empty, last figure in the placeholder', () => {
    const card = report(input());
    const investment = field(card, REPORT_FIELDS.periodInvestment);
    expect(investment.default_value).toBeUndefined();
    expect(investment.placeholder.content).toContain('上期 1,200.5 万元');
    expect(investment.required).toBe(true);
    expect(selectedValue(field(card, REPORT_FIELDS.stage))).toBe('续建');
    expect(selectedValue(field(card, REPORT_FIELDS.started))).toBe(YES);
    expect(selectedValue(field(card, REPORT_FIELDS.completed))).toBe(NO);
    expect(selectedValue(field(card, REPORT_FIELDS.registered))).toBe(YES);
    expect(field(card, REPORT_FIELDS.progress).default_value).toBe('主体结构施工至第5层');
    expect(field(card, REPORT_FIELDS.progress).input_type).toBe('multiline_text');
    expect(field(card, REPORT_FIELDS.stage).options.map((o: El) => o.value)).toEqual(STAGES);
    expect(field(card, REPORT_FIELDS.problemCategory).options.map((o: El) => o.value)).toEqual([NONE, ...PROBLEM_CATEGORIES]);
    expect(selectedValue(field(card, REPORT_FIELDS.problemCategory))).toBe(NONE);
    expect(field(card, REPORT_FIELDS.problemDepartment).options).toEqual([
      { text: { tag: 'plain_text', content: '无' }, value: NONE },
      { text: { tag: 'plain_text', content: '市发改委' }, value: '1' },
      { text: { tag: 'plain_text', content: '市自然资源局' }, value: '2' },
    ]);
    expect(field(card, REPORT_FIELDS.problemNeedsCity).options.map((o: El) => o.value)).toEqual([YES, NO]);
  });

  it('falls back to the registry without a previous report', () => {
    const card = report(input({ latest: null, previousSameKind: null, ytd: { year: 2026, investment: null } }));
    const text = JSON.stringify(card);
    expect(text).toContain('上次填报**：暂无，以下为项目库登记信息');
    expect(text).toContain('2026年累计完成投资：暂无 / 年度计划 60,000 万元');
    expect(selectedValue(field(card, REPORT_FIELDS.registered))).toBe(NO);
    expect(field(card, REPORT_FIELDS.progress).default_value).toBeUndefined();
    expect(field(card, REPORT_FIELDS.periodInvestment).placeholder.content).not.toContain('上期');
  });

  it('re-renders what the user typed with the reasons it was refused', () => {
    const card = report(
      input({
        typed: { [REPORT_FIELDS.periodInvestment]: '约500万', [REPORT_FIELDS.stage]: '竣工', [REPORT_FIELDS.problemCategory]: '用地' },
        errors: { [REPORT_FIELDS.periodInvestment]: '请填写确切金额，不要使用“约”“左右”“多”等估计说法' },
      }),
    );
    expect(field(card, REPORT_FIELDS.periodInvestment).default_value).toBe('约500万');
    expect(selectedValue(field(card, REPORT_FIELDS.stage))).toBe('竣工');
    expect(selectedValue(field(card, REPORT_FIELDS.problemCategory))).toBe('用地');
    const text = JSON.stringify(card);
    expect(text).toContain('⚠ 请填写确切金额');
    expect(text).toContain('提交未成功，请按提示修改后重新提交');
    expect(card.header.title.content).toBe('巡检司电厂2×300MW机组扩建工程');
  });

  it('offers 无 first in the problem selects, selected unless the owner chose otherwise', () => {
    const fresh = report(input());
    for (const name of [REPORT_FIELDS.problemCategory, REPORT_FIELDS.problemDepartment]) {
      const select = field(fresh, name);
      expect(select.tag).toBe('select_static');
      expect(select.options[0]).toEqual({ text: { tag: 'plain_text', content: '无' }, value: NONE });
      expect(selectedValue(select)).toBe(NONE);
    }
    expect(field(fresh, REPORT_FIELDS.problemCategory).options.slice(1).map((o: El) => o.value)).toEqual([...PROBLEM_CATEGORIES]);
    expect(field(fresh, REPORT_FIELDS.problemDepartment).options.slice(1).map((o: El) => o.value)).toEqual(['1', '2']);

    // Refused with a category and a department picked: shown as picked, 无 still offered.
    const picked = report(input({ typed: { [REPORT_FIELDS.problemCategory]: '资金', [REPORT_FIELDS.problemDepartment]: '2' }, errors: { [REPORT_FIELDS.problemDescription]: '请填写问题描述' } }));
    expect(selectedValue(field(picked, REPORT_FIELDS.problemCategory))).toBe('资金');
    expect(selectedValue(field(picked, REPORT_FIELDS.problemDepartment))).toBe('2');
    // Refused (for another field) after the owner went back to 无, or left the selects empty.
    for (const none of [NONE, '', '无']) {
      const back = report(input({ typed: { [REPORT_FIELDS.problemCategory]: none, [REPORT_FIELDS.problemDepartment]: none }, errors: { [REPORT_FIELDS.periodInvestment]: '请填写金额' } }));
      expect(selectedValue(field(back, REPORT_FIELDS.problemCategory))).toBe(NONE);
      expect(selectedValue(field(back, REPORT_FIELDS.problemDepartment))).toBe(NONE);
    }
  });

  it('submits 无 in both problem selects as no problem, so a mistaken pick can be taken back', () => {
    const basis: FilingBasis = { stage: '续建', started: true, completed: false, registered: false, totalInvestment: '0', ytdBase: '0', later: null, existingPeriodInvestment: null };
    const submit = (formValue: Record<string, string>) => validateReportForm(readTypedForm({ [REPORT_FIELDS.periodInvestment]: '500', ...formValue }), basis);
    // The owner's stuck state before: a department without a category is refused.
    const stuck = submit({ [REPORT_FIELDS.problemCategory]: NONE, [REPORT_FIELDS.problemDepartment]: '2' });
    expect(stuck).toMatchObject({ ok: false, errors: { [REPORT_FIELDS.problemCategory]: expect.stringContaining('请同时选择问题类别') } });
    // …and the way out: both selects back to 无.
    expect(submit({ [REPORT_FIELDS.problemCategory]: NONE, [REPORT_FIELDS.problemDepartment]: NONE })).toMatchObject({ ok: true, report: { problem: null } });
    expect(submit({ [REPORT_FIELDS.problemCategory]: NONE, [REPORT_FIELDS.problemDepartment]: NONE, [REPORT_FIELDS.problemNeedsCity]: NO })).toMatchObject({
      ok: true,
      report: { problem: null },
    });
    // A real problem with the department left at 无: no department.
    expect(submit({ [REPORT_FIELDS.problemCategory]: '资金', [REPORT_FIELDS.problemDescription]: '资金未到位', [REPORT_FIELDS.problemDepartment]: NONE })).toMatchObject({
      ok: true,
      report: { problem: { category: '资金', description: '资金未到位', department: null, needsCityCoordination: false } },
    });
  });

  it('marks reminders in the header and the banner', () => {
    const notice = reminderNotice({ final: true, dueAt: due, tz: 'Asia/Shanghai', missing: ['甲项目', '乙项目'] });
    const card = report(input({ notice }));
    expect(card.header.title.content).toBe('【截止提醒】巡检司电厂2×300MW机组扩建工程');
    expect(card.header.template).toBe('red');
    expect(JSON.stringify(card)).toContain('仍未收到“甲项目”、“乙项目”共2个项目的本期填报');
  });

  it('keeps user text from acting as markup', () => {
    const card = report(
      input({
        project: { ...input().project, name: '<at id=all></at>项目' },
        latest: { ...input().latest!, progress: '**完成** <at id=all></at>' },
      }),
    );
    const markdownText = card.body.elements.filter((e: El) => e.tag === 'markdown').map((e: El) => e.content).join('\n');
    expect(markdownText).not.toContain('<at');
    // Progress is shown as plain_text, never parsed.
    const progress = card.body.elements.find((e: El) => e.tag === 'div');
    expect(progress.text).toMatchObject({ tag: 'plain_text', content: '形象进度：**完成** <at id=all></at>' });
  });

  it('stays within 200 components and 30 KB even with long text and many departments', () => {
    const long = '施'.repeat(1000);
    const departments = Array.from({ length: 60 }, (_, i) => ({ id: i + 1, name: `市第${i + 1}号责任单位协调办公室` }));
    const card = report(
      input({
        project: { ...input().project, name: '项'.repeat(100) },
        latest: { ...input().latest!, progress: long },
        typed: Object.fromEntries(Object.values(REPORT_FIELDS).map((n) => [n, '填'.repeat(500)])),
        errors: Object.fromEntries(Object.values(REPORT_FIELDS).map((n) => [n, '错'.repeat(100)])),
        light: { light: 'red', reasons: ['连续3期未报送', '已过计划开工日期（2026年3月1日）仍未开工', '低于序时进度40.0个百分点'] },
        departments,
      }),
    );
    const stats = cardStats(card);
    expect(stats.components).toBeLessThanOrEqual(CARD_LIMITS.components);
    expect(stats.bytes).toBeLessThanOrEqual(CARD_LIMITS.bytes);
  });

  it('turns the department select into a text input when there are too many departments', () => {
    const departments = Array.from({ length: 61 }, (_, i) => ({ id: i + 1, name: `单位${i + 1}` }));
    const card = report(input({ departments }));
    expect(field(card, REPORT_FIELDS.problemDepartment).tag).toBe('input');
  });
});

describe('buildConsolidatedPromptCard', () => {
  const rows = Array.from({ length: 65 }, (_, i) => ({
    projectId: 1000 + i,
    code: `XM2026${String(i).padStart(3, '0')}`,
    name: `某某县某某镇某某产业园区基础设施配套建设项目第${i + 1}期工程`,
    light: { light: 'red' as const, reasons: ['连续2期未报送', '已过计划开工日期（2026年3月1日）仍未开工'] },
    annualPlan: '123456.78',
    ytdInvestment: i % 2 ? null : '5000',
  }));

  it('lists the owner’s projects, each with a pick button, within the card limits', () => {
    const pages = consolidatedPages(rows);
    expect(pages.map((p) => p.length)).toEqual([PROJECTS_PER_CONSOLIDATED_CARD, PROJECTS_PER_CONSOLIDATED_CARD, 5]);
    const card = consolidated({
      cycle: { id: 12, kind: 'monthly', periodKey: '2026-11', dueAt: new Date('2026-11-25T18:00:00+08:00') },
      tz: 'Asia/Shanghai',
      rows: pages[0],
      total: rows.length,
      page: { index: 1, count: pages.length },
      notice: reminderNotice({ final: false, dueAt: due, tz: 'Asia/Shanghai', missing: rows.map((r) => r.name) }),
    });
    const picks = buttons(card.body.elements);
    expect(picks).toHaveLength(PROJECTS_PER_CONSOLIDATED_CARD);
    expect(picks.map((b) => cardActionValue.parse(b.behaviors[0].value))).toEqual(
      pages[0].map((r) => ({ a: 'report.pick', projectId: r.projectId, cycleId: 12 })),
    );
    expect(card.body.elements.some((e: El) => e.tag === 'form')).toBe(false);
    expect(JSON.stringify(card)).toContain('本期您负责的 **65** 个项目需要填报（第1/3页）');
    const stats = cardStats(card);
    expect(stats.components).toBeLessThanOrEqual(CARD_LIMITS.components);
    expect(stats.bytes).toBeLessThanOrEqual(CARD_LIMITS.bytes);
  });
});

describe('text limits', () => {
  it('lets an owner type exactly what the validation accepts in every free-text field', async () => {
    const { MAX_PROGRESS_CHARS, MAX_REASON_CHARS, MAX_PROBLEM_CHARS } = await import('../../src/submission/report-form.js');
    const card = report(input());
    expect(field(card, REPORT_FIELDS.progress).max_length).toBe(MAX_PROGRESS_CHARS);
    expect(field(card, REPORT_FIELDS.stageReason).max_length).toBe(MAX_REASON_CHARS);
    expect(field(card, REPORT_FIELDS.problemDescription).max_length).toBe(MAX_PROBLEM_CHARS);
  });
});
