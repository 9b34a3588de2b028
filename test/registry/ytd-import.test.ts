// The year-to-date column (年度累计完成投资) against a real Postgres: which year it is taken for,
// what is refused, that it diffs and is audited like any field, and that it never overwrites
// a year-to-date the bot has accumulated from reports.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { Decimal } from 'decimal.js';
import { sql } from 'kysely';
import type { CycleKind } from '../../src/db/schema.js';
import { formatImportOutcome } from '../../src/registry/import-report.js';
import { changeCount } from '../../src/registry/registry-import.js';
import { csvRecords } from '../../src/registry/sheet-reader.js';
import { formatIssue } from '../../src/registry/sheet-issue.js';
import { databaseForThisFile } from '../helpers/test-db.js';
import {
  CONTACTS_CSV, deps, expectOk, fixtureGrid, gridToCsv, gridToXlsx, runImport, tableSnapshot, typedCell,
} from './registry-helpers.js';

const COLUMN = '1-10月累计完成投资(万元)';
const DEMO_CSV = readFileSync(fileURLToPath(new URL('../../src/demo/fixtures/demo-projects.csv', import.meta.url)), 'utf8');

/** The reference sheet plus a year-to-date column; projects not given are left blank. */
function withYtd(figures: Record<string, string>, header = COLUMN): string[][] {
  const [head = [], ...rows] = fixtureGrid();
  return [[...head, header], ...rows.map((r) => [...r, figures[r[0] ?? ''] ?? ''])];
}

const t = databaseForThisFile();
beforeEach(async () => {
  await sql`truncate report_revisions, reports, cycle_projects, cycles, person_grants, project_changes, projects, imports,
    departments, people, regions restart identity cascade`.execute(t.db);
});

const at = (iso: string) => deps(t.db, { now: () => new Date(iso) });
const NOW = '2026-11-20T02:00:00Z';

async function ytdOf(code: string): Promise<{ ytd_investment: string; ytd_year: number | null }> {
  return t.db.selectFrom('projects').select(['ytd_investment', 'ytd_year']).where('code', '=', code).executeTakeFirstOrThrow();
}

async function changesOf(code: string, importId: number | null) {
  const rows = await t.db.selectFrom('project_changes as c').innerJoin('projects as p', 'p.id', 'c.project_id')
    .select('c.changes').where('p.code', '=', code).where('c.import_id', '=', importId).execute();
  return rows.map((r) => r.changes);
}

describe('the year-to-date column', () => {
  it('stores each figure for the current year; a blank cell is unknown; the summary says which year', async () => {
    const grid = withYtd({ XM2026001: '52,836', XM2026003: '2120', XM2026010: '0' });
    const s = expectOk(await runImport(at(NOW), 'ytd.csv', gridToCsv(grid)));
    expect(s.ytd).toEqual({ year: 2026, source: 'default', column: COLUMN });
    expect(await ytdOf('XM2026001')).toEqual({ ytd_investment: '52836.0000', ytd_year: 2026 });
    // Ahead of its 2000 plan: allowed, it is below the 4309 total.
    expect(await ytdOf('XM2026003')).toEqual({ ytd_investment: '2120.0000', ytd_year: 2026 });
    expect(await ytdOf('XM2026010')).toEqual({ ytd_investment: '0.0000', ytd_year: 2026 });
    expect(await ytdOf('XM2026002')).toEqual({ ytd_investment: '0.0000', ytd_year: null });
    expect(formatImportOutcome(s).out).toContain(`年度累计完成投资（列“${COLUMN}”）计入 2026 年（表头未注明年份；如不是该年度，请用 --year 指定）`);
    expect((await changesOf('XM2026001', s.importId))[0]).toMatchObject({ ytd_investment: { from: null, to: '52836' }, ytd_year: { from: null, to: 2026 } });
    expect((await changesOf('XM2026002', s.importId))[0]).not.toHaveProperty('ytd_investment');
    expect((await changesOf('XM2026002', s.importId))[0]).not.toHaveProperty('ytd_year');
  });

  it.each([
    ['本年累计完成投资（亿元）', '5.2836'],
    ['今年累计完成投资/亿元', '5.2836'],
    ['年初至今完成投资（万元）', '52836'],
    ['截至上月累计完成投资', '5.2836亿'],
    ['1—10月累计完成投资（万元）', '５２，８３６'],
    ['年度累计完成投资【单位：万元】', '52836'],
    ['2026年1-10月完成投资\n（亿元）', '5.2836'],
  ])('%j with %j stores 52836 万元', async (header, cell) => {
    expectOk(await runImport(at(NOW), 'variant.csv', gridToCsv(withYtd({ XM2026001: cell }, header))));
    expect(await ytdOf('XM2026001')).toEqual({ ytd_investment: '52836.0000', ytd_year: 2026 });
  });

  it('an .xlsx with number cells in 亿元 gives the same figure', async () => {
    const grid = withYtd({ XM2026001: '5.2836', XM2026002: '1.5' }, '本年累计完成投资（亿元）');
    expectOk(await runImport(at(NOW), 'ytd.xlsx', gridToXlsx(grid.map((r, i) => (i === 0 ? r : r.map(typedCell))))));
    expect(await ytdOf('XM2026001')).toEqual({ ytd_investment: '52836.0000', ytd_year: 2026 });
    expect(await ytdOf('XM2026002')).toEqual({ ytd_investment: '15000.0000', ytd_year: 2026 });
  });

  it('the year: the header\'s, else --year, else the current year in Asia/Shanghai', async () => {
    const fromHeader = expectOk(await runImport(at(NOW), 'h.csv', gridToCsv(withYtd({ XM2026001: '70000' }, '2025年1-12月完成投资（万元）'))));
    expect(fromHeader.ytd).toEqual({ year: 2025, source: 'header', column: '2025年1-12月完成投资（万元）' });
    expect(await ytdOf('XM2026001')).toEqual({ ytd_investment: '70000.0000', ytd_year: 2025 });

    const fromOption = expectOk(await runImport(at(NOW), 'o.csv', gridToCsv(withYtd({ XM2026002: '12000' })), { year: 2025 }));
    expect(fromOption.ytd).toEqual({ year: 2025, source: 'option', column: COLUMN });
    expect(formatImportOutcome(fromOption).out).toContain(`年度累计完成投资（列“${COLUMN}”）计入 2025 年（按 --year 指定）`);
    expect(await ytdOf('XM2026002')).toEqual({ ytd_investment: '12000.0000', ytd_year: 2025 });

    // 00:30 on 1 January 2027 in Shanghai is still 2026 in UTC.
    const newYear = expectOk(await runImport(at('2026-12-31T16:30:00Z'), 'n.csv', gridToCsv(withYtd({ XM2026003: '100' }, '本年累计完成投资'))));
    expect(newYear.ytd).toMatchObject({ year: 2027, source: 'default' });
    expect(await ytdOf('XM2026003')).toEqual({ ytd_investment: '100.0000', ytd_year: 2027 });
  });

  it('--year without a year-to-date column is reported as unused', async () => {
    const s = expectOk(await runImport(at(NOW), 'plain.csv', gridToCsv(fixtureGrid()), { year: 2026 }));
    expect(s.warnings).toEqual(['表中没有年度累计完成投资列，--year 2026 未使用']);
  });
});

describe('refusals change nothing', () => {
  beforeEach(async () => {
    expectOk(await runImport(at(NOW), 'base.csv', gridToCsv(withYtd({ XM2026001: '50000' }))));
  });

  async function refused(grid: string[][], opts: { year?: number } = {}): Promise<string[]> {
    const before = await tableSnapshot(t.db);
    const outcome = await runImport(at(NOW), 'bad.csv', gridToCsv(grid), opts);
    expect(await tableSnapshot(t.db)).toEqual(before);
    expect(await ytdOf('XM2026001')).toEqual({ ytd_investment: '50000.0000', ytd_year: 2026 });
    return outcome.ok ? [] : outcome.issues.map(formatIssue);
  }

  it('non-numeric, negative and above 总投资, all at once, with the valid edits beside them', async () => {
    const grid = withYtd({ XM2026001: '52000', XM2026002: '待定', XM2026003: '-100', XM2026004: '8600.5', XM2026005: '6000' });
    expect(await refused(grid)).toEqual([
      `row 3, column ${COLUMN}: 没有找到金额数字，请填写数字，如 500、500万、3.21亿`,
      `row 4, column ${COLUMN}: 金额不能为负数`,
      `row 5, column ${COLUMN}: 年度累计完成投资 8600.5 万元大于总投资 8600 万元`,
    ]);
  });

  it('above 总投资 after converting from 亿元', async () => {
    expect(await refused(withYtd({ XM2026004: '0.9' }, '本年累计完成投资（亿元）'))).toEqual([
      'row 5, column 本年累计完成投资（亿元）: 年度累计完成投资 9000 万元大于总投资 8600 万元',
    ]);
  });

  it('a header year that contradicts --year, together with the row problems', async () => {
    expect(await refused(withYtd({ XM2026001: '52000', XM2026002: '约500' }, '2026年累计完成投资'), { year: 2025 })).toEqual([
      'row 1, column 2026年累计完成投资: 表头注明为 2026 年，与 --year 2025 不一致；请去掉 --year 或改正表头',
      'row 3, column 2026年累计完成投资: 请填写确切金额，不要使用“约”“左右”“多”等估计说法',
    ]);
  });

  it('a year not yet begun, or months not yet reached', async () => {
    expect(await refused(withYtd({ XM2026001: '52000' }), { year: 2027 })).toEqual([
      `row 1, column ${COLUMN}: 年份 2027 晚于当前年份 2026，不能导入尚未开始年度的累计完成投资`,
    ]);
    expect(await refused(withYtd({ XM2026001: '52000' }, '1-12月完成投资'))).toEqual([
      'row 1, column 1-12月完成投资: 表头为 1-12 月，但 2026 年 12 月尚未到来；如为上一年度数据，请在表头注明年份或使用 --year',
    ]);
  });
});

describe('diffs and audit', () => {
  beforeEach(async () => {
    expectOk(await runImport(at('2026-11-01T00:00:00Z'), 'base.csv', gridToCsv(withYtd({ XM2026001: '50000', XM2026002: '15000' }))));
  });

  it('re-importing the same sheet, or one with the cells blank, changes nothing', async () => {
    const same = expectOk(await runImport(at(NOW), 'same.csv', gridToCsv(withYtd({ XM2026001: '50,000', XM2026002: '1.5亿' }))));
    expect(changeCount(same)).toBe(0);
    expect(same.unchanged).toBe(40);
    const blank = expectOk(await runImport(at(NOW), 'blank.csv', gridToCsv(withYtd({}))));
    expect(changeCount(blank)).toBe(0);
    const without = expectOk(await runImport(at(NOW), 'without.csv', gridToCsv(fixtureGrid())));
    expect(changeCount(without)).toBe(0);
    expect(await ytdOf('XM2026001')).toEqual({ ytd_investment: '50000.0000', ytd_year: 2026 });
    expect(await ytdOf('XM2026002')).toEqual({ ytd_investment: '15000.0000', ytd_year: 2026 });
  });

  it('a dry run shows the change and writes nothing; the import records it with from and to', async () => {
    const grid = withYtd({ XM2026001: '52000', XM2026002: '15000' });
    const before = await tableSnapshot(t.db);
    const dry = expectOk(await runImport(at(NOW), 'edit.csv', gridToCsv(grid), { dryRun: true }));
    expect(dry.updated).toEqual([{ code: 'XM2026001', name: '巡检司电厂2×300MW机组扩建工程', changes: [{ field: '年度累计完成投资', from: '50,000万元', to: '52,000万元' }] }]);
    expect(formatImportOutcome(dry).out).toEqual(expect.arrayContaining([
      '将新增 0 个，将更新 1 个，未变化 39 个，将停用 0 个',
      '  XM2026001 巡检司电厂2×300MW机组扩建工程',
      '    年度累计完成投资：50,000万元 → 52,000万元',
    ]));
    expect(await tableSnapshot(t.db)).toEqual(before);

    const s = expectOk(await runImport(at(NOW), 'edit.csv', gridToCsv(grid), { actor: '张科长' }));
    expect(s.updated.map((u) => u.code)).toEqual(['XM2026001']);
    expect(await changesOf('XM2026001', s.importId)).toEqual([{ ytd_investment: { from: '50000', to: '52000' } }]);
    expect(await t.db.selectFrom('projects').select(['ytd_investment', 'updated_by']).where('code', '=', 'XM2026001').executeTakeFirstOrThrow())
      .toEqual({ ytd_investment: '52000.0000', updated_by: '张科长' });
  });

  it('a new year\'s figure replaces last year\'s, and the year change is shown', async () => {
    await t.db.updateTable('projects').set({ ytd_year: 2025, ytd_investment: '48000' }).where('code', '=', 'XM2026001').execute();
    const s = expectOk(await runImport(at(NOW), 'new-year.csv', gridToCsv(withYtd({ XM2026001: '50000' }))));
    expect(s.updated).toEqual([{
      code: 'XM2026001', name: '巡检司电厂2×300MW机组扩建工程',
      changes: [{ field: '年度累计完成投资', from: '48,000万元', to: '50,000万元' }, { field: '累计完成投资所属年度', from: '2025年', to: '2026年' }],
    }]);
    expect(await changesOf('XM2026001', s.importId)).toEqual([{ ytd_investment: { from: '48000', to: '50000' }, ytd_year: { from: 2025, to: 2026 } }]);
  });

  it('an older year\'s sheet does not step a project back into that year', async () => {
    const s = expectOk(await runImport(at(NOW), 'old.csv', gridToCsv(withYtd({ XM2026001: '70000' })), { year: 2025 }));
    expect(changeCount(s)).toBe(0);
    expect(s.warnings).toEqual([`row 2, column ${COLUMN}: XM2026001 巡检司电厂2×300MW机组扩建工程：库中已是 2026 年的累计完成投资，未用清单中 2025 年的数据覆盖`]);
    expect(await ytdOf('XM2026001')).toEqual({ ytd_investment: '50000.0000', ytd_year: 2026 });
  });
});

describe('a year-to-date accumulated from reports is never overwritten', () => {
  async function report(code: string, kind: CycleKind, periodKey: string, ytd: string): Promise<void> {
    const p = await t.db.selectFrom('projects').select(['id', 'owner_id']).where('code', '=', code).executeTakeFirstOrThrow();
    const due = new Date('2026-11-25T10:00:00Z');
    const cycle = await t.db.insertInto('cycles')
      .values({ kind, period_key: periodKey, open_at: due, remind_at: due, due_at: due })
      .returning('id').executeTakeFirstOrThrow();
    await t.db.insertInto('reports').values({
      cycle_id: cycle.id, project_id: p.id, period_investment: '1000', ytd_investment: ytd, stage: '续建',
      started: true, completed: false, registered: false, submitted_by: p.owner_id ?? 0, submitted_at: due, via: 'card',
    }).execute();
    await t.db.updateTable('projects').set({ ytd_investment: ytd, ytd_year: Number(periodKey.slice(0, 4)) }).where('id', '=', p.id).execute();
  }

  beforeEach(async () => {
    expectOk(await runImport(at('2026-11-01T00:00:00Z'), 'base.csv', gridToCsv(withYtd({ XM2026001: '50000', XM2026002: '15000', XM2026003: '1800' }))));
  });

  it('projects with a report in a cycle of that year keep their figure and are listed; the rest are updated', async () => {
    await report('XM2026001', 'monthly', '2026-11', '55000');
    // 2026-W01 runs 2025-12-29 … 2026-01-04: by its ISO week-year it is a 2026 report.
    await report('XM2026002', 'weekly', '2026-W01', '15500');
    // Last December's report says nothing about this year.
    await report('XM2026003', 'monthly', '2025-12', '4000');
    await t.db.updateTable('projects').set({ ytd_investment: '1800', ytd_year: 2026 }).where('code', '=', 'XM2026003').execute();

    const grid = withYtd({ XM2026001: '52000', XM2026002: '16000', XM2026003: '1900' });
    const dry = expectOk(await runImport(at(NOW), 'later.csv', gridToCsv(grid), { dryRun: true }));
    const s = expectOk(await runImport(at(NOW), 'later.csv', gridToCsv(grid)));
    for (const outcome of [dry, s]) {
      expect(outcome.warnings).toEqual([
        `row 2, column ${COLUMN}: XM2026001 巡检司电厂2×300MW机组扩建工程：已有本年度填报数据，未用清单中的累计完成投资覆盖（清单 52,000万元，现为 55,000万元）`,
        `row 3, column ${COLUMN}: XM2026002 雷打滩水电站：已有本年度填报数据，未用清单中的累计完成投资覆盖（清单 16,000万元，现为 15,500万元）`,
      ]);
      expect(outcome.updated).toEqual([{ code: 'XM2026003', name: '脚落沼煤矿', changes: [{ field: '年度累计完成投资', from: '1,800万元', to: '1,900万元' }] }]);
    }
    expect(await ytdOf('XM2026001')).toEqual({ ytd_investment: '55000.0000', ytd_year: 2026 });
    expect(await ytdOf('XM2026002')).toEqual({ ytd_investment: '15500.0000', ytd_year: 2026 });
    expect(await ytdOf('XM2026003')).toEqual({ ytd_investment: '1900.0000', ytd_year: 2026 });
    expect(formatImportOutcome(s).out).toContain(`注意：row 2, column ${COLUMN}: XM2026001 巡检司电厂2×300MW机组扩建工程：已有本年度填报数据，未用清单中的累计完成投资覆盖（清单 52,000万元，现为 55,000万元）`);
  });

  it('a report in that year also blocks a sheet that would lower the figure back to its own', async () => {
    await report('XM2026001', 'monthly', '2026-11', '55000');
    const again = expectOk(await runImport(at(NOW), 'base-again.csv', gridToCsv(withYtd({ XM2026001: '50000', XM2026002: '15000', XM2026003: '1800' }))));
    expect(changeCount(again)).toBe(0);
    expect(again.warnings).toHaveLength(1);
    expect(await ytdOf('XM2026001')).toEqual({ ytd_investment: '55000.0000', ytd_year: 2026 });
  });
});

describe('the demo registry', () => {
  it('is the contacts fixture plus a 1-10月 column, every other column and row unchanged', () => {
    const demo = csvRecords(DEMO_CSV).map((r) => r.cells.map((c) => (c === null ? '' : String(c))));
    const contacts = csvRecords(CONTACTS_CSV).map((r) => r.cells.map((c) => (c === null ? '' : String(c))));
    expect(demo.map((r) => r.slice(0, -1))).toEqual(contacts);
    expect(demo[0]?.at(-1)).toBe(COLUMN);
  });

  it('imports as 2026 (the demo clock) with a believable spread against 序时进度 83.3%', async () => {
    const s = expectOk(await runImport(at('2026-11-19T02:00:00Z'), 'demo-projects.csv', DEMO_CSV));
    expect(s.ytd).toEqual({ year: 2026, source: 'default', column: COLUMN });
    const rows = await t.db.selectFrom('projects')
      .select(['code', 'stage', 'planned_start', 'total_investment', 'annual_plan', 'ytd_investment', 'ytd_year']).orderBy('code').execute();
    expect(rows).toHaveLength(40);
    const band = { behind: 0, onTrack: 0, ahead: 0, other: 0 };
    for (const r of rows) {
      expect(r.ytd_year).toBe(2026);
      const ytd = new Decimal(r.ytd_investment);
      expect(ytd.lte(r.total_investment)).toBe(true);
      if (r.stage === '前期' || (r.planned_start ?? '') > '2026-10-31' || new Decimal(r.annual_plan).isZero()) {
        expect([r.code, ytd.toNumber()]).toEqual([r.code, 0]);
        continue;
      }
      const ratio = ytd.div(r.annual_plan).toNumber();
      if (ratio >= 0.3 && ratio <= 0.5) band.behind++;
      else if (ratio >= 0.7 && ratio <= 0.95) band.onTrack++;
      else if (ratio >= 1 && ratio <= 1.1) band.ahead++;
      else band.other++;
    }
    expect(band.other).toBe(0);
    expect(band.onTrack).toBeGreaterThan(band.behind + band.ahead);
    expect(band.ahead).toBeGreaterThanOrEqual(2);
    expect(band.behind).toBeGreaterThanOrEqual(2);
  });
});
