// The year-to-date column, purely: which headers are it, and which year its figures belong to.
import { describe, expect, it } from 'vitest';
import { mapHeaders, matchHeader } from '../../src/registry/header-map.js';
import { formatIssue } from '../../src/registry/sheet-issue.js';
import { resolveYtdYear, type YtdHeader } from '../../src/registry/ytd-column.js';

const plain: YtdHeader = { year: null, throughMonth: null, lastMonth: false };

describe('year-to-date headers', () => {
  it.each<[string, '万元' | '亿元' | null, YtdHeader]>([
    ['年度累计完成投资(万元)', '万元', plain],
    ['年度累计完成投资（万元）', '万元', plain],
    ['本年累计完成投资', null, plain],
    ['今年累计完成投资', null, plain],
    ['当年累计完成投资（亿元）', '亿元', plain],
    ['本年度累计完成投资', null, plain],
    ['年初至今完成投资', null, plain],
    ['年初至今累计完成投资/亿元', '亿元', plain],
    ['本年完成投资', null, plain],
    ['本年累计完成', null, plain],
    ['本年累计完成投资万元', '万元', plain],
    ['截至上月累计完成投资', null, { ...plain, lastMonth: true }],
    ['截止上月底累计完成投资（万元）', '万元', { ...plain, lastMonth: true }],
    ['1-10月完成投资', null, { ...plain, throughMonth: 10 }],
    ['1—10月累计完成投资(万元)', '万元', { ...plain, throughMonth: 10 }],
    ['１－１０月累计完成投资（亿元）', '亿元', { ...plain, throughMonth: 10 }],
    ['1月-9月完成投资', null, { ...plain, throughMonth: 9 }],
    ['1～10月份累计完成投资', null, { ...plain, throughMonth: 10 }],
    ['一至十月完成投资', null, { ...plain, throughMonth: 10 }],
    ['截至10月底累计完成投资', null, { ...plain, throughMonth: 10 }],
    ['2026年累计完成投资', null, { ...plain, year: 2026 }],
    ['2026年度完成投资（万元）', '万元', { ...plain, year: 2026 }],
    ['2026年1-10月完成投资', null, { year: 2026, throughMonth: 10, lastMonth: false }],
    ['2025年1—12月累计完成投资\n（亿元）', '亿元', { year: 2025, throughMonth: 12, lastMonth: false }],
  ])('%j is the year-to-date', (raw, unit, ytd) => {
    expect(matchHeader(raw)).toEqual({ kind: 'field', key: 'ytdInvestment', unit, ytd });
  });

  it.each([
    ['年度计划完成投资', 'annualPlan'],
    ['2026年计划投资（万元）', 'annualPlan'],
    ['总投资', 'totalInvestment'],
  ])('%j stays %s', (raw, key) => {
    expect(matchHeader(raw)).toMatchObject({ kind: 'field', key });
  });

  it.each(['10月完成投资', '累计完成投资', '完成投资'])('%j is not the year-to-date', (raw) => {
    expect(matchHeader(raw)).toEqual({ kind: 'unknown' });
  });

  // Cumulative since the start is its own column (开工以来累计完成投资), never the year's figure.
  it.each(['开工累计完成投资', '自开工以来累计完成投资', '项目累计完成投资'])('%j is the cumulative since start, not the year-to-date', (raw) => {
    expect(matchHeader(raw)).toMatchObject({ kind: 'field', key: 'sinceStartInvestment' });
  });

  it('a bare 累计完成投资 is ignored with its own warning, not guessed', () => {
    const r = mapHeaders([{ rowNumber: 1, cells: ['项目编号', '项目名称', '所属地区', '项目阶段', '总投资', '累计完成投资（万元）', '形象进度'] }]);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.columns.fields.ytdInvestment).toBeUndefined();
    expect(r.warnings).toEqual([
      '以下列无法识别，已忽略：形象进度',
      '列“累计完成投资（万元）”未注明是本年度累计还是开工以来累计，已忽略；如为本年度累计完成投资，请将表头改为“本年累计完成投资”或“1-10月完成投资”等',
    ]);
  });

  it('maps the column with its unit, also under a merged 投资（亿元） group', () => {
    const r = mapHeaders([
      { rowNumber: 1, cells: ['项目编号', '项目名称', '所属地区', '项目阶段', '投资（亿元）', '投资（亿元）', '投资（亿元）'] },
      { rowNumber: 2, cells: ['项目编号', '项目名称', '所属地区', '项目阶段', '总投资', '年度计划', '2026年1-10月完成投资'] },
    ]);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.columns.fields.ytdInvestment).toEqual({ index: 6, header: '2026年1-10月完成投资', unit: '亿元', ytd: { year: 2026, throughMonth: 10, lastMonth: false } });
  });
});

describe('resolveYtdYear', () => {
  // 2026-11-20 10:00 in Shanghai.
  const now = new Date('2026-11-20T02:00:00Z');
  const resolve = (header: Partial<YtdHeader>, extra: { optionYear?: number; now?: Date } = {}) =>
    resolveYtdYear({ header: { ...plain, ...header }, column: '列', headerRow: 1, now, ...extra });
  const problems = (r: ReturnType<typeof resolveYtdYear>) => (r.ok ? [] : r.issues.map(formatIssue));

  it('the header\'s year wins; else --year; else the current year', () => {
    expect(resolve({ year: 2025 })).toEqual({ ok: true, year: 2025, source: 'header' });
    expect(resolve({ year: 2025 }, { optionYear: 2025 })).toEqual({ ok: true, year: 2025, source: 'header' });
    expect(resolve({}, { optionYear: 2025 })).toEqual({ ok: true, year: 2025, source: 'option' });
    expect(resolve({})).toEqual({ ok: true, year: 2026, source: 'default' });
  });

  it('the current year is the dispatch zone\'s: 2027 has begun in Shanghai while it is still 2026 in UTC', () => {
    expect(resolve({}, { now: new Date('2026-12-31T16:30:00Z') })).toEqual({ ok: true, year: 2027, source: 'default' });
    expect(resolve({}, { now: new Date('2026-12-31T15:30:00Z') })).toEqual({ ok: true, year: 2026, source: 'default' });
  });

  it('in January, 截至上月 is last year\'s figure', () => {
    const january = new Date('2027-01-10T02:00:00Z');
    expect(resolve({ lastMonth: true }, { now: january })).toEqual({ ok: true, year: 2026, source: 'default' });
    expect(problems(resolve({ lastMonth: true }, { now: january, optionYear: 2027 }))).toEqual([
      'row 1, column 列: 1 月导入时“截至上月”是 2026 年的数据，不能作为 2027 年的累计完成投资',
    ]);
  });

  it('refuses a conflict, a future year, months not yet reached and a month that does not exist', () => {
    expect(problems(resolve({ year: 2026 }, { optionYear: 2025 }))).toEqual(['row 1, column 列: 表头注明为 2026 年，与 --year 2025 不一致；请去掉 --year 或改正表头']);
    expect(problems(resolve({}, { optionYear: 2027 }))).toEqual(['row 1, column 列: 年份 2027 晚于当前年份 2026，不能导入尚未开始年度的累计完成投资']);
    expect(problems(resolve({ throughMonth: 12 }))).toEqual([
      'row 1, column 列: 表头为 1-12 月，但 2026 年 12 月尚未到来；如为上一年度数据，请在表头注明年份或使用 --year',
    ]);
    expect(resolve({ throughMonth: 12 }, { optionYear: 2025 })).toEqual({ ok: true, year: 2025, source: 'option' });
    expect(resolve({ throughMonth: 11 })).toMatchObject({ ok: true, year: 2026 });
    expect(problems(resolve({ throughMonth: 13, year: 2025 }))).toEqual(['row 1, column 列: 表头中的月份 13 不存在，应为 1-12 月之间']);
    expect(problems(resolve({ year: 1999 }))).toEqual(['row 1, column 列: 年份 1999 不合理']);
  });
});
