// The import against a real Postgres: same registry from every form of the sheet, idempotent
// re-imports, field-level audit of edits, retirement, dry runs, and refusals that change nothing.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import iconv from 'iconv-lite';
import { Decimal } from 'decimal.js';
import { canonical } from '../../src/domain/amount.js';
import { sql } from 'kysely';
import type { Db } from '../../src/db/database.js';
import { changeCount } from '../../src/registry/registry-import.js';
import { formatIssue } from '../../src/registry/sheet-issue.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db.js';
import {
  deps, editCell, expectOk, FIXTURE_CSV, fixtureGrid, fixtureXlsx, gridToCsv, gridToXlsx, MISTAKE_CASES, normalizedRegistry,
  rowOf, runImport, tableSnapshot, typedCell,
} from './registry-helpers.js';

const databases: TestDatabase[] = [];
async function freshDb(): Promise<Db> {
  const t = await createTestDatabase();
  databases.push(t);
  return t.db;
}
afterAll(async () => {
  await Promise.all(databases.map((t) => t.drop()));
});

async function peopleAndPlaces(db: Db): Promise<unknown> {
  const people = await db.selectFrom('people').select(['name', 'mobile', 'email', 'match_status']).orderBy('mobile').execute();
  const regions = await db.selectFrom('regions').select(['name', 'kind', 'sort_order']).orderBy('name').execute();
  const departments = await db.selectFrom('departments').select('name').orderBy('name').execute();
  return { people, regions, departments };
}

/**
 * The reference sheet as an office really keeps it: a title row, a two-row header with the
 * money under a merged "投资（亿元）" group, synonyms, 序号, a region merged down its
 * projects, dates typed every which way, phones with +86 and dashes, padded names, a
 * section row and a 合计 row.
 */
function messyOfficeXlsx(): Buffer {
  const [, ...rows] = fixtureGrid();
  const header1 = ['序号', '项目编码', '项目名称', '建设单位', '建设地点', '县（市、区）', '行业', '建设性质', '所属清单', '调度频次',
    '投资（亿元）', '投资（亿元）', '投资主体', '计划开工时间', '计划竣工时间', '负责人', '负责人联系电话', '包保市领导',
    '包保领导电话', '分管市领导', '分管副市长手机', '责任单位', '形象进度'];
  const header2 = [...header1];
  header2[10] = '总投资';
  header2[11] = '2026年计划投资';
  const width = header1.length;
  const dateForms = [
    (y: string, m: string, d: string) => `${y}/${Number(m)}/${Number(d)}`,
    (y: string, m: string, d: string) => `${y}年${Number(m)}月${Number(d)}日`,
    (y: string, m: string, d: string) => `${y}.${Number(m)}.${Number(d)}`,
    (y: string, m: string, d: string) => new Date(Number(y), Number(m) - 1, Number(d)),
  ];
  const date = (s: string, i: number) => {
    const [y = '', m = '', d = ''] = s.split('-');
    return (dateForms[i % dateForms.length])(y, m, d);
  };
  const name = (s: string, i: number) => (s.length === 2 && i % 2 === 0 ? `${s[0]}  ${s[1]}` : s);
  const phone = (s: string, i: number) => (i % 3 === 0 ? `+86 ${s.slice(0, 3)}-${s.slice(3, 7)}-${s.slice(7)}` : Number(s));
  const yi = (s: string) => new Decimal(s).div(10000).toNumber();
  const grid: (string | number | Date | null)[][] = [
    ['2026年天城市重点项目清单', ...Array<null>(width - 1).fill(null)],
    header1,
    header2,
    [null, null, '一、重点项目', ...Array<null>(width - 3).fill(null)],
  ];
  const merges = [{ s: { r: 0, c: 0 }, e: { r: 0, c: width - 1 } }, { s: { r: 1, c: 10 }, e: { r: 1, c: 11 } }];
  for (const c of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22]) merges.push({ s: { r: 1, c }, e: { r: 2, c } });
  let runStart = -1;
  rows.forEach((r, i) => {
    const [code, pname, entity, location, region, industry, stage, lists, freq, total, annual, investor, start, finish, owner, ownerM, leader, leaderM, vm, vmM, dept] = r;
    const rowIndex = grid.length;
    const prev = rows[i - 1]?.[4];
    const sameRegion = prev === region;
    if (!sameRegion) runStart = rowIndex;
    else merges.push({ s: { r: runStart, c: 5 }, e: { r: rowIndex, c: 5 } });
    grid.push([
      i + 1, code ?? '', pname ?? '', entity ?? '', location ?? '', sameRegion ? null : region ?? '', industry ?? '', stage ?? '', lists ?? '', freq ?? '',
      yi(total ?? '0'), yi(annual ?? '0'), investor ?? '', date(start ?? '', i), date(finish ?? '', i + 1),
      name(owner ?? '', i), phone(ownerM ?? '', i), name(leader ?? '', i), phone(leaderM ?? '', i + 1), vm ?? '', phone(vmM ?? '', i + 2), dept ?? '',
      '正在施工',
    ]);
  });
  grid.push([null, '合计', ...Array<null>(8).fill(null), 500, 100, ...Array<null>(width - 12).fill(null)]);
  // Region runs are merged over non-adjacent ranges only; collapse to the maximal run per start.
  const byStart = new Map<number, (typeof merges)[0]>();
  for (const m of merges) {
    if (m.s.c !== 5 || m.s.r < 4) continue;
    const cur = byStart.get(m.s.r);
    if (!cur || cur.e.r < m.e.r) byStart.set(m.s.r, m);
  }
  const finalMerges = [...merges.filter((m) => m.s.c !== 5 || m.s.r < 4), ...byStart.values()];
  return gridToXlsx(grid, { merges: finalMerges, extraSheets: ['填表说明'] });
}

describe('the same sheet in every form gives the same registry', () => {
  let csvDb: Db;
  let reference: unknown[];

  beforeAll(async () => {
    csvDb = await freshDb();
    const s = expectOk(await runImport(deps(csvDb), 'projects-sample.csv', FIXTURE_CSV));
    expect(s.created).toHaveLength(40);
    expect(s.peopleCreated).toBe(51);
    expect(s.regionsCreated).toEqual(['天城县', '高新区', '东城区', '西山区', '南湖县']);
    expect(s.departmentsCreated).toHaveLength(9);
    reference = await normalizedRegistry(csvDb);
  });

  it('stores the reference sheet as written', async () => {
    expect(reference).toHaveLength(40);
    expect(reference[0]).toEqual({
      code: 'XM2026001', name: '巡检司电厂2×300MW机组扩建工程', legal_entity: '巡检司发电有限公司', location: '天城县某镇',
      region: '天城县', region_kind: '县', industry: '能源', stage: '续建', lists: ['在建项目'], dispatch_frequency: 'weekly',
      total_investment: '265561.0000', annual_plan: '60000.0000', investor_type: '民间投资', planned_start: '2024-02-15',
      planned_finish: '2029-12-31', active: true, owner: '杜磊秀', owner_mobile: '13900000001', leader: '周敏',
      leader_mobile: '13800002002', vice_mayor: '王建国', vice_mayor_mobile: '13800001001', department: '市发改委',
    });
    const regions = await csvDb.selectFrom('regions').select(['name', 'kind']).orderBy('sort_order').execute();
    expect(regions).toEqual([
      { name: '天城县', kind: '县' }, { name: '高新区', kind: '开发区' }, { name: '东城区', kind: '区' },
      { name: '西山区', kind: '区' }, { name: '南湖县', kind: '县' },
    ]);
  });

  it('an .xlsx saved from it (numbers, date cells) gives an identical registry', async () => {
    const db = await freshDb();
    const s = expectOk(await runImport(deps(db), 'projects-sample.xlsx', fixtureXlsx()));
    expect(s.sheetName).toBe('在建项目清单');
    expect(await normalizedRegistry(db)).toEqual(reference);
    expect(await peopleAndPlaces(db)).toEqual(await peopleAndPlaces(csvDb));
  });

  it('a GBK-encoded copy gives an identical registry', async () => {
    const db = await freshDb();
    const s = expectOk(await runImport(deps(db), 'projects-gbk.csv', iconv.encode(FIXTURE_CSV, 'gbk')));
    expect(s.encoding).toBe('gbk');
    expect(await normalizedRegistry(db)).toEqual(reference);
    expect(await peopleAndPlaces(db)).toEqual(await peopleAndPlaces(csvDb));
  });

  it('a UTF-8 copy with BOM and CRLF gives an identical registry', async () => {
    const db = await freshDb();
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(FIXTURE_CSV.replace(/\n/g, '\r\n'), 'utf8')]);
    expectOk(await runImport(deps(db), 'projects-bom.csv', bom));
    expect(await normalizedRegistry(db)).toEqual(reference);
  });

  it('the office\'s own messy layout gives an identical registry', async () => {
    const db = await freshDb();
    const s = expectOk(await runImport(deps(db), '在建项目清单.xlsx', messyOfficeXlsx(), { sheet: '在建项目清单' }));
    expect(s.warnings).toEqual([
      '以下列无法识别，已忽略：形象进度',
      'row 4, column 项目名称: “一、重点项目”不是项目行，已跳过',
      'row 45, column 项目名称: “合计”不是项目行，已跳过',
    ]);
    expect(await normalizedRegistry(db)).toEqual(reference);
    expect(await peopleAndPlaces(db)).toEqual(await peopleAndPlaces(csvDb));
  });

  it('importing again, in any form, changes nothing', async () => {
    const before = await csvDb.selectFrom('projects').select(['code', 'updated_at', 'updated_by']).orderBy('code').execute();
    const changesBefore = await csvDb.selectFrom('project_changes').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    const later = deps(csvDb, { now: () => new Date('2026-11-27T02:00:00Z') });
    for (const [name, bytes] of [
      ['projects-sample.csv', Buffer.from(FIXTURE_CSV)],
      ['projects-sample.xlsx', fixtureXlsx()],
      ['projects-gbk.csv', iconv.encode(FIXTURE_CSV, 'gbk')],
      ['在建项目清单.xlsx', messyOfficeXlsx()],
    ] as const) {
      const s = expectOk(await runImport(later, name, bytes, { actor: 'second', sheet: name.startsWith('在建') ? '在建项目清单' : undefined }));
      expect(changeCount(s)).toBe(0);
      expect(s.unchanged).toBe(40);
    }
    expect(await csvDb.selectFrom('projects').select(['code', 'updated_at', 'updated_by']).orderBy('code').execute()).toEqual(before);
    expect(await csvDb.selectFrom('project_changes').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).toEqual(changesBefore);
    const imports = await csvDb.selectFrom('imports').select(['actor', 'row_count', 'created_count', 'updated_count', 'unchanged_count', 'retired_count']).orderBy('id').execute();
    expect(imports[0]).toEqual({ actor: 'tester', row_count: 40, created_count: 40, updated_count: 0, unchanged_count: 0, retired_count: 0 });
    expect(imports.slice(1)).toEqual(Array(4).fill({ actor: 'second', row_count: 40, created_count: 0, updated_count: 0, unchanged_count: 40, retired_count: 0 }));
  });
});

describe('a sheet with mistakes is refused and changes nothing', () => {
  let db: Db;
  beforeAll(async () => {
    db = await freshDb();
    expectOk(await runImport(deps(db), 'base.csv', FIXTURE_CSV));
  });

  it.each(MISTAKE_CASES)('%s', async (_name, edit, want) => {
    const before = await tableSnapshot(db);
    const grid = fixtureGrid();
    edit(grid);
    // Also change a valid cell elsewhere: that must not be written either.
    editCell(grid, 'XM2026040', '项目名称', '天城工业园区基础设施配套（二期）');
    const outcome = await runImport(deps(db), 'bad.csv', gridToCsv(grid));
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.issues.map(formatIssue)).toEqual(want);
    expect(await tableSnapshot(db)).toEqual(before);
  });

  it('all mistakes at once: one line each, nothing written', async () => {
    const before = await tableSnapshot(db);
    const grid = fixtureGrid();
    for (const [, edit] of MISTAKE_CASES) edit(grid);
    const outcome = await runImport(deps(db), 'bad.xlsx', gridToXlsx(grid.map((r, i) => (i === 0 ? r : r.map(typedCell)))));
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.issues.map(formatIssue)).toEqual(MISTAKE_CASES.flatMap(([, , w]) => w).sort((a, b) => rowOf(a) - rowOf(b)));
    expect(await tableSnapshot(db)).toEqual(before);
  });

  it('a rule that fails only against stored values is refused too', async () => {
    const before = await tableSnapshot(db);
    // No annual-plan column: the stored plan (18000) stays, and a total below it is refused.
    const csv = '项目编号,项目名称,所属地区,项目阶段,总投资（万元）\nXM2026002,雷打滩水电站,天城县,续建,"15,000"\n';
    const outcome = await runImport(deps(db), 'partial.csv', csv);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.issues.map(formatIssue)).toEqual(['row 2, column 年度计划投资: 年度计划投资 18000 万元大于总投资 15000 万元（含库中已有数据）']);
    expect(await tableSnapshot(db)).toEqual(before);
  });
});

describe('edits, people and retirement', () => {
  let db: Db;
  const base = () => fixtureGrid();
  const at = (iso: string) => deps(db, { now: () => new Date(iso) });

  beforeAll(async () => {
    db = await freshDb();
  });
  beforeEach(async () => {
    await sql`truncate person_grants, project_changes, projects, imports, departments, people, regions restart identity cascade`.execute(db);
    expectOk(await runImport(at('2026-11-01T00:00:00Z'), 'base.csv', gridToCsv(base())));
  });

  async function changesOf(code: string) {
    return db.selectFrom('project_changes as c').innerJoin('projects as p', 'p.id', 'c.project_id')
      .select(['c.changes', 'c.changed_by', 'c.import_id', 'c.created_at']).where('p.code', '=', code).orderBy('c.id').execute();
  }

  it('a new project\'s change row holds every field the sheet gave it, from nothing, people and places with their names', async () => {
    const [first] = await changesOf('XM2026001');
    expect(first?.changes).toMatchInlineSnapshot(`
      {
        "annual_plan": {
          "from": null,
          "to": "60000",
        },
        "department_id": {
          "from": null,
          "to": {
            "id": 1,
            "name": "市发改委",
          },
        },
        "dispatch_frequency": {
          "from": null,
          "to": "weekly",
        },
        "industry": {
          "from": null,
          "to": "能源",
        },
        "investor_type": {
          "from": null,
          "to": "民间投资",
        },
        "leader_id": {
          "from": null,
          "to": {
            "id": 2,
            "mobile": "13800002002",
            "name": "周敏",
          },
        },
        "legal_entity": {
          "from": null,
          "to": "巡检司发电有限公司",
        },
        "lists": {
          "from": null,
          "to": [
            "在建项目",
          ],
        },
        "location": {
          "from": null,
          "to": "天城县某镇",
        },
        "name": {
          "from": null,
          "to": "巡检司电厂2×300MW机组扩建工程",
        },
        "owner_id": {
          "from": null,
          "to": {
            "id": 1,
            "mobile": "13900000001",
            "name": "杜磊秀",
          },
        },
        "planned_finish": {
          "from": null,
          "to": "2029-12-31",
        },
        "planned_start": {
          "from": null,
          "to": "2024-02-15",
        },
        "region_id": {
          "from": null,
          "to": {
            "id": 1,
            "name": "天城县",
          },
        },
        "stage": {
          "from": null,
          "to": "续建",
        },
        "total_investment": {
          "from": null,
          "to": "265561",
        },
        "vice_mayor_id": {
          "from": null,
          "to": {
            "id": 3,
            "mobile": "13800001001",
            "name": "王建国",
          },
        },
      }
    `);
    // Every project of the first import: one row, the stored values in canonical form, empty fields left out.
    const projects = await db.selectFrom('projects').selectAll().orderBy('code').execute();
    const names = async (table: 'regions' | 'departments') => new Map((await db.selectFrom(table).select(['id', 'name']).execute()).map((r) => [r.id, r.name]));
    const [regions, departments] = [await names('regions'), await names('departments')];
    const people = new Map((await db.selectFrom('people').select(['id', 'name', 'mobile']).execute()).map((p) => [p.id, p]));
    const person = (id: number | null) => (id === null ? undefined : { from: null, to: { id, name: people.get(id)?.name, mobile: people.get(id)?.mobile } });
    const money = (v: string) => ({ from: null, to: canonical(v) });
    for (const p of projects) {
      const rows = await changesOf(p.code);
      expect(rows).toHaveLength(1);
      const expected = Object.fromEntries(Object.entries({
        name: { from: null, to: p.name },
        legal_entity: p.legal_entity === null ? undefined : { from: null, to: p.legal_entity },
        location: p.location === null ? undefined : { from: null, to: p.location },
        region_id: { from: null, to: { id: p.region_id, name: regions.get(p.region_id) } },
        industry: p.industry === null ? undefined : { from: null, to: p.industry },
        stage: { from: null, to: p.stage },
        lists: p.lists.length === 0 ? undefined : { from: null, to: p.lists },
        dispatch_frequency: { from: null, to: p.dispatch_frequency },
        total_investment: money(p.total_investment),
        annual_plan: money(p.annual_plan),
        ytd_investment: p.ytd_year === null ? undefined : money(p.ytd_investment),
        ytd_year: p.ytd_year === null ? undefined : { from: null, to: p.ytd_year },
        investor_type: p.investor_type === null ? undefined : { from: null, to: p.investor_type },
        planned_start: p.planned_start === null ? undefined : { from: null, to: p.planned_start },
        planned_finish: p.planned_finish === null ? undefined : { from: null, to: p.planned_finish },
        owner_id: person(p.owner_id),
        leader_id: person(p.leader_id),
        vice_mayor_id: person(p.vice_mayor_id),
        department_id: p.department_id === null ? undefined : { from: null, to: { id: p.department_id, name: departments.get(p.department_id) } },
      }).filter(([, v]) => v !== undefined));
      expect(rows[0]?.changes, p.code).toEqual(expected);
      expect(rows[0]).toMatchObject({ changed_by: 'tester', import_id: 1 });
    }
  });

  it('one edited cell: one project updated, one change row with that field, who and when recorded', async () => {
    const grid = editCell(base(), 'XM2026003', '总投资(万元)', '4,500');
    const s = expectOk(await runImport(at('2026-11-20T02:00:00Z'), 'edit.csv', gridToCsv(grid), { actor: '张科长' }));
    expect({ created: s.created.length, updated: s.updated, unchanged: s.unchanged, retired: s.retired.length }).toEqual({
      created: 0,
      updated: [{ code: 'XM2026003', name: '脚落沼煤矿', changes: [{ field: '总投资', from: '4,309万元', to: '4,500万元' }] }],
      unchanged: 39,
      retired: 0,
    });
    const rows = await db.selectFrom('project_changes').selectAll().where('import_id', '=', s.importId).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.changes).toEqual({ total_investment: { from: '4309', to: '4500' } });
    expect(rows[0]?.changed_by).toBe('张科长');
    const p = await db.selectFrom('projects').selectAll().where('code', '=', 'XM2026003').executeTakeFirstOrThrow();
    expect(p).toMatchObject({ total_investment: '4500.0000', updated_by: '张科长' });
    expect(p.updated_at.toISOString()).toBe('2026-11-20T02:00:00.000Z');
    const untouched = await db.selectFrom('projects').select('updated_at').where('code', '<>', 'XM2026003').execute();
    expect(new Set(untouched.map((u) => u.updated_at.toISOString()))).toEqual(new Set(['2026-11-01T00:00:00.000Z']));
    const imp = await db.selectFrom('imports').selectAll().where('id', '=', s.importId).executeTakeFirstOrThrow();
    expect(imp).toMatchObject({ actor: '张科长', file_name: 'edit.csv', row_count: 40, created_count: 0, updated_count: 1, unchanged_count: 39, retired_count: 0 });
    expect(imp.file_sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a new owner: the person is created and the change names both people', async () => {
    const grid = editCell(editCell(base(), 'XM2026009', '项目负责人', '韩梅'), 'XM2026009', '负责人手机', '139-0000-0999');
    const s = expectOk(await runImport(at('2026-11-20T02:00:00Z'), 'owner.csv', gridToCsv(grid)));
    expect(s.peopleCreated).toBe(1);
    expect(s.updated[0]?.changes).toEqual([{ field: '项目负责人', from: '夏霞（13900000009）', to: '韩梅（13900000999）' }]);
    const [, change] = await changesOf('XM2026009');
    const { owner_id } = change?.changes ?? {};
    expect(owner_id).toEqual({
      from: { id: expect.any(Number), name: '夏霞', mobile: '13900000009' },
      to: { id: expect.any(Number), name: '韩梅', mobile: '13900000999' },
    });
  });

  it('a renamed person is a people change, not a project change', async () => {
    const csv = gridToCsv(base()).replace(/吴海涛/g, '吴海');
    const s = expectOk(await runImport(at('2026-11-20T02:00:00Z'), 'rename.csv', csv));
    expect(s.updated).toEqual([]);
    expect(s.peopleUpdated).toEqual([{ mobile: '13800002003', changes: [{ field: '姓名', from: '吴海涛', to: '吴海' }] }]);
    expect(changeCount(s)).toBe(1);
    const p = await db.selectFrom('people').select(['name', 'updated_at']).where('mobile', '=', '13800002003').executeTakeFirstOrThrow();
    expect(p).toEqual({ name: '吴海', updated_at: new Date('2026-11-20T02:00:00Z') });
  });

  it('a blank frequency follows the lists; a list change then changes the frequency', async () => {
    const grid = editCell(editCell(base(), 'XM2026013', '调度频次', ''), 'XM2026013', '所属清单', '明年拟开工项目清单、已开工未入统项目清单');
    const s = expectOk(await runImport(at('2026-11-20T02:00:00Z'), 'lists.csv', gridToCsv(grid)));
    expect(s.updated[0]?.changes).toEqual([
      { field: '所属清单', from: '明年拟开工项目', to: '明年拟开工项目、已开工未入统项目' },
      { field: '调度频次', from: '每月', to: '每周' },
    ]);
  });

  it('projects missing from the sheet stay active unless --retire-missing; back on the list, they are active again', async () => {
    const shorter = base().filter((r) => r[0] !== 'XM2026039' && r[0] !== 'XM2026040');
    const kept = expectOk(await runImport(at('2026-11-20T02:00:00Z'), 'short.csv', gridToCsv(shorter)));
    expect(kept.retired).toEqual([]);
    expect(changeCount(kept)).toBe(0);
    expect(await db.selectFrom('projects').select('code').where('active', '=', false).execute()).toEqual([]);

    const s = expectOk(await runImport(at('2026-11-21T02:00:00Z'), 'short.csv', gridToCsv(shorter), { retireMissing: true }));
    expect(s.retired).toEqual([{ code: 'XM2026039', name: '南湖冷链物流中心' }, { code: 'XM2026040', name: '天城工业园区基础设施配套' }]);
    const retired = await db.selectFrom('projects').select(['code', 'active', 'retired_at']).where('active', '=', false).orderBy('code').execute();
    expect(retired).toEqual([
      { code: 'XM2026039', active: false, retired_at: new Date('2026-11-21T02:00:00Z') },
      { code: 'XM2026040', active: false, retired_at: new Date('2026-11-21T02:00:00Z') },
    ]);
    expect((await changesOf('XM2026040')).at(-1)?.changes).toEqual({ active: { from: true, to: false } });
    expect(await db.selectFrom('projects').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).toEqual({ n: '40' });

    const again = expectOk(await runImport(at('2026-11-22T02:00:00Z'), 'full.csv', gridToCsv(base()), { retireMissing: true }));
    expect(again.updated.map((u) => [u.code, u.changes])).toEqual([
      ['XM2026039', [{ field: '状态', from: '已停用', to: '在用' }]],
      ['XM2026040', [{ field: '状态', from: '已停用', to: '在用' }]],
    ]);
    expect(await db.selectFrom('projects').select(['active', 'retired_at']).where('code', '=', 'XM2026040').executeTakeFirstOrThrow()).toEqual({ active: true, retired_at: null });
  });

  it('a dry run reports what would change and writes nothing', async () => {
    const before = await tableSnapshot(db);
    const grid = editCell(base().filter((r) => r[0] !== 'XM2026040'), 'XM2026001', '项目阶段', '竣工');
    grid.push(['XM2026041', '新建物流园', '某公司', '北湖县某镇', '北湖县', '服务业', '前期', '重大谋划项目', '', '1000', '0', '民间投资', '', '', '', '', '', '', '', '', '']);
    const s = expectOk(await runImport(at('2026-11-20T02:00:00Z'), 'dry.csv', gridToCsv(grid), { dryRun: true, retireMissing: true }));
    expect(s.dryRun).toBe(true);
    expect(s.importId).toBeNull();
    expect(s.created).toEqual([{ code: 'XM2026041', name: '新建物流园' }]);
    expect(s.updated).toEqual([{ code: 'XM2026001', name: '巡检司电厂2×300MW机组扩建工程', changes: [{ field: '项目阶段', from: '续建', to: '竣工' }] }]);
    expect(s.retired).toEqual([{ code: 'XM2026040', name: '天城工业园区基础设施配套' }]);
    expect(s.regionsCreated).toEqual(['北湖县']);
    expect(s.matching).toEqual({ status: 'skipped', reason: '试运行，未匹配飞书用户' });
    expect(await tableSnapshot(db)).toEqual(before);
  });

  it('a person given without a phone keeps the current one of that name, and is warned about', async () => {
    const grid = editCell(base(), 'XM2026005', '负责人手机', '');
    const s = expectOk(await runImport(at('2026-11-20T02:00:00Z'), 'nophone.csv', gridToCsv(grid)));
    expect(changeCount(s)).toBe(0);
    expect(s.warnings).toEqual(['row 6, column 负责人手机: 项目负责人“孟丽”没有手机号，无法关联飞书用户，该项目的项目负责人暂不设置']);
    const other = expectOk(await runImport(at('2026-11-20T02:00:00Z'), 'nophone2.csv', gridToCsv(editCell(grid, 'XM2026005', '项目负责人', '孟力'))));
    expect(other.updated[0]?.changes).toEqual([{ field: '项目负责人', from: '孟丽（13900000005）', to: '（空）' }]);
  });
});
