// The pure check of a whole sheet: each kind of mistake gives exactly one clear line.
import { describe, expect, it } from 'vitest';
import { formatIssue } from '../../src/registry/sheet-issue.js';
import { readSheet, sourceFromBytes } from '../../src/registry/sheet-reader.js';
import { validateSheet } from '../../src/registry/sheet-validation.js';
import { editCell, fixtureGrid, gridToCsv, MISTAKE_CASES, rowOf } from './registry-helpers.js';

function check(csv: string) {
  return validateSheet(readSheet(sourceFromBytes('s.csv', Buffer.from(csv, 'utf8'))));
}

function problems(csv: string): string[] {
  const r = check(csv);
  return r.ok ? [] : r.issues.map(formatIssue);
}

describe('validateSheet', () => {
  it('accepts the reference sheet: 40 projects, 51 people', () => {
    const r = check(gridToCsv(fixtureGrid()));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.projects).toHaveLength(40);
    expect(r.people).toHaveLength(51);
    expect(r.warnings).toEqual([]);
    const p = r.projects.find((x) => x.code === 'XM2026014');
    expect(p).toMatchObject({
      rowNumber: 15, region: '高新区', stage: '新开工', lists: ['已开工未入统项目'], frequency: 'weekly',
      totalInvestment: '120000', annualPlan: '25000', plannedStart: '2026-04-01', plannedFinish: '2028-12-31',
      owner: { name: '苏芳', mobile: '13900000014', email: null }, department: '市工信局',
    });
  });

  const cases = MISTAKE_CASES;

  it.each(cases)('refuses %s with one line per mistake', (_name, edit, want) => {
    const grid = fixtureGrid();
    edit(grid);
    expect(problems(gridToCsv(grid))).toEqual(want);
  });

  it('reports every mistake of a sheet at once, in sheet order', () => {
    const grid = fixtureGrid();
    for (const [, edit] of cases) edit(grid);
    const lines = problems(gridToCsv(grid));
    expect(lines).toEqual(cases.flatMap(([, , want]) => want).sort((a, b) => rowOf(a) - rowOf(b)));
  });

  it('reports several problems of one row', () => {
    const grid = fixtureGrid();
    editCell(grid, 'XM2026003', '项目名称', '');
    editCell(grid, 'XM2026003', '项目阶段', '在建');
    editCell(grid, 'XM2026003', '年度计划投资(万元)', '5000');
    expect(problems(gridToCsv(grid))).toEqual([
      'row 4, column 项目名称: 项目名称不能为空',
      'row 4, column 项目阶段: 项目阶段“在建”无效，应为 谋划、前期、新开工、续建、竣工、投产 之一',
      'row 4, column 年度计划投资(万元): 年度计划投资 5000 万元大于总投资 4309 万元',
    ]);
  });

  it('defaults a blank frequency by list and keeps a blank annual plan at 0', () => {
    const grid = fixtureGrid();
    editCell(grid, 'XM2026018', '调度频次', '');
    editCell(grid, 'XM2026019', '调度频次', '');
    editCell(grid, 'XM2026019', '年度计划投资(万元)', '');
    const r = check(gridToCsv(grid));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.projects.find((p) => p.code === 'XM2026018')?.frequency).toBeNull();
    expect(r.projects.find((p) => p.code === 'XM2026019')).toMatchObject({ frequency: null, annualPlan: '0' });
  });

  it('skips 合计 and section rows with a note, and warns about an owner without a phone', () => {
    const grid = fixtureGrid();
    const width = grid[0]?.length ?? 0;
    grid.splice(1, 0, ['', '一、续建项目', ...Array<string>(width - 2).fill('')]);
    grid.push(['合计', '', '', '', '', '', '', '', '', '4000000', '500000', ...Array<string>(width - 11).fill('')]);
    editCell(grid, 'XM2026005', '负责人手机', '');
    const r = check(gridToCsv(grid));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.projects).toHaveLength(40);
    expect(r.warnings).toEqual([
      'row 2, column 项目名称: “一、续建项目”不是项目行，已跳过',
      'row 7, column 负责人手机: 项目负责人“孟丽”没有手机号，无法关联飞书用户，该项目的项目负责人暂不设置',
      'row 43, column 项目名称: “合计”不是项目行，已跳过',
    ]);
  });

  it('refuses a sheet without the required columns before looking at rows', () => {
    const grid = fixtureGrid().map((r) => r.filter((_, i) => i !== 1));
    expect(problems(gridToCsv(grid))).toEqual(['row 1, column 项目名称: 缺少必填列“项目名称”（也可写作：名称、项目）']);
  });
});
