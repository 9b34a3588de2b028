import { describe, expect, it } from 'vitest';
import { NO, REPORT_FIELDS as F, YES } from '../../src/cards/card-actions.js';
import { readTypedForm, validateReportForm, type FilingBasis, type TypedForm } from '../../src/submission/report-form.js';

const basis = (o: Partial<FilingBasis> = {}): FilingBasis => ({
  stage: '续建',
  started: true,
  completed: false,
  registered: false,
  totalInvestment: '10000',
  ytdBase: '3700',
  later: null,
  existingPeriodInvestment: null,
  ...o,
});

const form = (o: TypedForm = {}): TypedForm => ({
  [F.periodInvestment]: '500',
  [F.stage]: '续建',
  [F.started]: YES,
  [F.completed]: NO,
  [F.registered]: NO,
  [F.progress]: '主体结构封顶',
  ...o,
});

describe('readTypedForm', () => {
  it('keeps known fields as trimmed strings, takes the first of a multi-select and drops the rest', () => {
    expect(readTypedForm({ period_investment: ' 500万 ', stage: ['续建'], junk: 'x', started: 1, progress: { a: 1 } })).toEqual({
      period_investment: '500万',
      stage: '续建',
      started: '1',
    });
    expect(readTypedForm(undefined)).toEqual({});
    expect(readTypedForm('nonsense')).toEqual({});
  });
});

describe('validateReportForm: accepted input', () => {
  it.each([
    ['500', '500', '4200'],
    ['500万', '500', '4200'],
    ['500万元', '500', '4200'],
    ['1,200.5', '1200.5', '4900.5'],
    ['0.5亿元', '5000', '8700'],
    ['５００', '500', '4200'],
    ['0', '0', '3700'],
  ])('%s → period %s, year-to-date %s', (typed, period, ytd) => {
    const r = validateReportForm(form({ [F.periodInvestment]: typed }), basis());
    expect(r).toMatchObject({ ok: true, report: { periodInvestment: period, ytd } });
  });

  it('carries stage, milestones, progress, and a problem with its department and city flag', () => {
    const r = validateReportForm(
      form({ [F.stage]: '竣工', [F.completed]: YES, [F.problemCategory]: '用地', [F.problemDescription]: '用地指标未下达', [F.problemDepartment]: '自然资源局', [F.problemNeedsCity]: YES }),
      basis(),
    );
    expect(r).toEqual({
      ok: true,
      report: {
        periodInvestment: '500',
        ytd: '4200',
        stage: '竣工',
        started: true,
        completed: true,
        registered: false,
        progress: '主体结构封顶',
        stageReason: null,
        problem: { category: '用地', description: '用地指标未下达', department: '自然资源局', needsCityCoordination: true },
      },
    });
  });

  it('treats an omitted select as unchanged and an empty/"无" category as no problem', () => {
    const r = validateReportForm({ [F.periodInvestment]: '10', [F.problemCategory]: '无' }, basis({ stage: '新开工', started: true }));
    expect(r).toMatchObject({ ok: true, report: { stage: '新开工', started: true, completed: false, problem: null } });
  });

  it('allows a stage step backwards and un-marking a milestone when a reason is given', () => {
    const r = validateReportForm(form({ [F.stage]: '前期', [F.started]: NO, [F.stageReason]: '施工许可被撤销，重新办理' }), basis());
    expect(r).toMatchObject({ ok: true, report: { stage: '前期', started: false, stageReason: '施工许可被撤销，重新办理' } });
  });

  it('lets a correction of the latest period lower its amount (a typo fixed)', () => {
    const r = validateReportForm(form({ [F.periodInvestment]: '50' }), basis({ existingPeriodInvestment: '500' }));
    expect(r).toMatchObject({ ok: true, report: { periodInvestment: '50', ytd: '3750' } });
  });

  it('lets an older period be corrected in everything but its amount once a later period carried it forward', () => {
    const r = validateReportForm(form({ [F.periodInvestment]: '500.0', [F.progress]: '更正的进度' }), basis({ existingPeriodInvestment: '500', later: { label: '2026年11月', ytd: '4800' } }));
    expect(r).toMatchObject({ ok: true, report: { progress: '更正的进度' } });
  });
});

describe('validateReportForm: each refusal names its field and says why', () => {
  it.each<[string, TypedForm, Partial<FilingBasis>, string, RegExp]>([
    ['missing amount', { [F.periodInvestment]: '' }, {}, F.periodInvestment, /请填写本期完成投资/],
    ['not a number', { [F.periodInvestment]: 'abc' }, {}, F.periodInvestment, /没有找到金额数字/],
    ['Chinese numerals', { [F.periodInvestment]: '五百' }, {}, F.periodInvestment, /阿拉伯数字/],
    ['an estimate', { [F.periodInvestment]: '约500万' }, {}, F.periodInvestment, /确切金额/],
    ['a range', { [F.periodInvestment]: '300-500' }, {}, F.periodInvestment, /一个确切金额/],
    ['ambiguous 亿 remainder', { [F.periodInvestment]: '3亿500' }, {}, F.periodInvestment, /单位不明确/],
    ['negative', { [F.periodInvestment]: '-20' }, {}, F.periodInvestment, /不能为负数/],
    ['year total over 总投资', { [F.periodInvestment]: '6400' }, {}, F.periodInvestment, /年度累计将达 10,100 万元，超过项目总投资 10,000 万元/],
    ['older period amount changed after a later one', { [F.periodInvestment]: '400' }, { existingPeriodInvestment: '500', later: { label: '2026年11月', ytd: '4800' } }, F.periodInvestment, /2026年11月已在本期年度累计的基础上继续填报（累计 4,800 万元）.*倒退/],
    ['stage backwards without reason', { [F.stage]: '前期' }, {}, F.stageReason, /由“续建”改为“前期”属于倒退，请填写变更原因/],
    ['unknown stage', { [F.stage]: '开工了' }, {}, F.stage, /选择项目阶段/],
    ['started un-marked without reason', { [F.started]: NO }, {}, F.started, /已登记为已开工/],
    ['completed without started', { [F.started]: NO, [F.completed]: YES }, { started: false }, F.started, /已竣工的项目应已开工/],
    ['bad yes/no value', { [F.registered]: 'maybe' }, {}, F.registered, /请选择“是”或“否”/],
    ['category without description', { [F.problemCategory]: '资金' }, {}, F.problemDescription, /选择了问题类别“资金”，请填写问题描述/],
    ['description without category', { [F.problemDescription]: '资金未到位' }, {}, F.problemCategory, /填写了问题描述，请选择问题类别/],
    ['department without a problem', { [F.problemDepartment]: '住建局' }, {}, F.problemCategory, /协调部门或需市级协调/],
    ['unknown category', { [F.problemCategory]: '天气', [F.problemDescription]: '下雨' }, {}, F.problemCategory, /选择问题类别/],
    ['progress too long', { [F.progress]: '字'.repeat(1001) }, {}, F.progress, /最多 1000 字/],
  ])('%s', (_name, typed, b, field, message) => {
    const r = validateReportForm(form(typed), basis(b));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors[field as keyof typeof r.errors]).toMatch(message);
  });

  it('reports every faulty field at once', () => {
    const r = validateReportForm(form({ [F.periodInvestment]: '五百', [F.stage]: '谋划', [F.problemCategory]: '用地' }), basis());
    expect(r.ok).toBe(false);
    if (!r.ok) expect(Object.keys(r.errors).sort()).toEqual([F.periodInvestment, F.problemDescription, F.stageReason].sort());
  });
});
