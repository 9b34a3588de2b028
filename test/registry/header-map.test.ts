import { describe, expect, it } from 'vitest';
import { mapHeaders, matchHeader, normalizeHeader } from '../../src/registry/header-map.js';
import type { Cell } from '../../src/registry/cell-parsers.js';

const rows = (...grid: Cell[][]) => grid.map((cells, i) => ({ rowNumber: i + 1, cells }));

const REFERENCE = '项目编号,项目名称,项目法人,建设地点,所属地区,行业类别,项目阶段,所属清单,调度频次,总投资(万元),年度计划投资(万元),投资主体,计划开工日期,计划竣工日期,项目负责人,负责人手机,包保领导,包保领导手机,分管副市长,分管副市长手机,责任单位'.split(',');

describe('normalizeHeader / matchHeader', () => {
  it.each([
    ['总投资（万元）', 'totalInvestment', '万元'],
    [' 总投资 (亿元) ', 'totalInvestment', '亿元'],
    ['总投资\n（亿元）', 'totalInvestment', '亿元'],
    ['总投资/亿元', 'totalInvestment', '亿元'],
    ['总投资万元', 'totalInvestment', '万元'],
    ['2026年计划投资（万元）', 'annualPlan', '万元'],
    ['2026年度计划投资', 'annualPlan', null],
    ['年度计划投资（万元）', 'annualPlan', '万元'],
    ['项目编码', 'code', null],
    ['建设单位', 'legalEntity', null],
    ['项目单位', 'legalEntity', null],
    ['所在地区', 'region', null],
    ['县（市、区）', 'region', null],
    ['县市区', 'region', null],
    ['项目名称*', 'name', null],
    ['计划开工时间（YYYY-MM-DD）', 'plannedStart', null],
    ['负责人联系电话', 'ownerMobile', null],
    ['包保领导电话', 'leaderMobile', null],
    ['负责人邮箱', 'ownerEmail', null],
  ])('%j → %s', (raw, key, unit) => {
    const m = matchHeader(raw);
    expect(m).toEqual({ kind: 'field', key, unit });
  });

  it('ignores 序号 quietly and marks other headers unknown', () => {
    expect(matchHeader('序号')).toEqual({ kind: 'ignored' });
    expect(matchHeader('形象进度')).toEqual({ kind: 'unknown' });
    expect(normalizeHeader('总投资（亿元）')).toEqual({ base: '总投资', unit: '亿元' });
  });
});

describe('mapHeaders', () => {
  it('maps the reference sheet with no warnings', () => {
    const r = mapHeaders(rows(REFERENCE, REFERENCE.map(() => 'x')));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.warnings).toEqual([]);
    expect(Object.keys(r.columns.fields)).toHaveLength(21);
    expect(r.columns.fields.totalInvestment).toEqual({ index: 9, header: '总投资(万元)', unit: '万元' });
    expect(r.dataStartIndex).toBe(1);
  });

  it('lists unknown columns as a warning and ignores them', () => {
    const r = mapHeaders(rows([...REFERENCE, '形象进度', '序号', '存在问题']));
    expect(r.ok).toBe(true);
    expect(r.warnings).toEqual(['以下列无法识别，已忽略：形象进度、存在问题']);
  });

  it('refuses a sheet missing a required column, naming it', () => {
    const r = mapHeaders(rows(REFERENCE.filter((h) => h !== '项目阶段')));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues).toEqual([{ row: 1, column: '项目阶段', message: '缺少必填列“项目阶段”（也可写作：阶段、建设阶段、建设性质）' }]);
  });

  it('refuses a phone column without the name column it belongs to', () => {
    const r = mapHeaders(rows(REFERENCE.filter((h) => h !== '包保领导')));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues[0]?.message).toContain('缺少“包保领导”姓名列');
  });

  it('finds the header under a title row and takes the unit from a 单位 line', () => {
    const r = mapHeaders(rows(
      ['2026年市级重点项目清单', null, null],
      ['单位：亿元', null, null],
      ['项目编号', '项目名称', '所属地区', '项目阶段', '总投资', '年度计划投资（万元）'],
      ['XM1', 'a', '天城县', '续建', 1, 1],
    ));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.columns.headerRow).toBe(3);
    expect(r.dataStartIndex).toBe(3);
    expect(r.columns.fields.totalInvestment?.unit).toBe('亿元');
    expect(r.columns.fields.annualPlan?.unit).toBe('万元');
  });

  it('joins a two-row header under a merged group cell, inheriting its unit', () => {
    const r = mapHeaders(rows(
      ['项目编号', '项目名称', '所属地区', '项目阶段', '投资（亿元）', '投资（亿元）'],
      ['项目编号', '项目名称', '所属地区', '项目阶段', '总投资', '年度计划'],
      ['XM1', 'a', '天城县', '续建', 1, 1],
    ));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.columns.headerRow).toBe(2);
    expect(r.dataStartIndex).toBe(2);
    expect(r.columns.fields.totalInvestment).toEqual({ index: 4, header: '总投资', unit: '亿元' });
    expect(r.columns.fields.annualPlan).toEqual({ index: 5, header: '年度计划', unit: '亿元' });
  });

  it('uses the first of two columns meaning the same field and says so', () => {
    const r = mapHeaders(rows([...REFERENCE, '总投资（亿元）']));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.columns.fields.totalInvestment?.header).toBe('总投资(万元)');
    expect(r.warnings[0]).toContain('忽略“总投资（亿元）”');
  });
});
