// The CLI commands end to end: arguments, exit codes and what is printed.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/platform/app-context.js';
import { LarkClient } from '../../src/platform/feishu/lark-client.js';
import { registryCommands } from '../../src/cli/registry.commands.js';
import type { ProjectListing } from '../../src/registry/project-list.js';
import type { PersonListing } from '../../src/registry/people-directory.js';
import { displayWidth } from '../../src/platform/text-table.js';
import { FakeFeishu } from '../../src/sandbox/fake-feishu.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db.js';
import { editCell, FIXTURE_PATH, fixtureGrid, gridToCsv, silentLogger } from './registry-helpers.js';

let t: TestDatabase;
let fake: FakeFeishu;
let ctx: AppContext;
let dir: string;

beforeAll(async () => {
  t = await createTestDatabase();
  fake = new FakeFeishu({ apps: { cli_test: 'secret' } });
  const url = await fake.start();
  fake.addUser({ name: '杜磊秀', mobile: '13900000001' });
  fake.addUser({ name: '周敏', mobile: '13800002002' });
  const lark = new LarkClient({ appId: 'cli_test', appSecret: 'secret', domain: url, logger: silentLogger });
  // The commands use only these parts of the application context.
  ctx = { db: t.db, lark, logger: silentLogger, now: () => new Date('2026-11-20T02:00:00Z'), config: { DISPATCH_TZ: 'Asia/Shanghai' } } as unknown as AppContext;
  dir = await mkdtemp(join(tmpdir(), 'registry-cli-'));
});

afterAll(async () => {
  await fake.stop();
  await t.drop();
  await rm(dir, { recursive: true, force: true });
});

async function cli(line: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const sorted = [...registryCommands].sort((a, b) => b.name.split(' ').length - a.name.split(' ').length);
  const command = sorted.find((c) => c.name.split(' ').every((w, i) => line[i] === w));
  if (!command) throw new Error(`no command for ${line.join(' ')}`);
  const code = await command.run(line.slice(command.name.split(' ').length), ctx, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n').split('\n'), err: err.join('\n').split('\n') };
}

async function tempCsv(name: string, grid: string[][]): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, gridToCsv(grid));
  return path;
}

/** Display columns at which each row's n-th cell starts or ends (cells are two or more spaces apart). */
function columnEdges(lines: string[], n: number, edge: 'start' | 'end'): Set<number> {
  return new Set(lines.map((line) => {
    const cell = [...line.matchAll(/\S+(?: \S+)*/g)][n];
    const at = (cell?.index ?? 0) + (edge === 'end' ? cell?.[0].length ?? 0 : 0);
    return displayWidth(line.slice(0, at));
  }));
}

describe('registry commands', () => {
  it('are the six the issue names, plus the two for department contacts', () => {
    expect(registryCommands.map((c) => c.name)).toEqual([
      'import', 'people sync', 'people grant', 'people revoke', 'people list', 'projects list', 'departments list', 'departments contact',
    ]);
    expect(registryCommands.every((c) => c.needsContext)).toBe(true);
  });

  it('import: refuses a bad sheet with one line per problem and exit 1', async () => {
    const path = await tempCsv('bad.csv', editCell(editCell(fixtureGrid(), 'XM2026002', '项目名称', ''), 'XM2026003', '项目阶段', '施工'));
    const r = await cli(['import', path]);
    expect(r.code).toBe(1);
    expect(r.err).toEqual([
      'bad.csv 有 2 处问题，未导入任何数据，请修改后重新导入：',
      'row 3, column 项目名称: 项目名称不能为空',
      'row 4, column 项目阶段: 项目阶段“施工”无效，应为 谋划、前期、新开工、续建、竣工、投产 之一',
    ]);
    expect(await t.db.selectFrom('projects').select('id').execute()).toEqual([]);
  });

  it('import: usage errors exit 2, unreadable files exit 1', async () => {
    expect((await cli(['import'])).code).toBe(2);
    expect((await cli(['import', FIXTURE_PATH, '--bogus'])).code).toBe(2);
    const missing = await cli(['import', join(dir, 'nope.xlsx')]);
    expect(missing.code).toBe(1);
    expect(missing.err[0]).toContain('文件不存在');
    const sheetOnCsv = await cli(['import', FIXTURE_PATH, '--sheet', '清单']);
    expect(sheetOnCsv).toMatchObject({ code: 1, err: ['CSV 文件没有工作表，请不要使用 --sheet'] });
  });

  it('import: creates the registry, matches people and lists those not found', async () => {
    const r = await cli(['import', FIXTURE_PATH, '--actor', '项目中心']);
    expect(r.code).toBe(0);
    expect(r.out[0]).toBe('读取 projects-sample.csv，UTF-8 编码：40 个项目');
    expect(r.out).toContain('已新增 40 个，已更新 0 个，未变化 0 个，已停用 0 个');
    expect(r.out).toContain('飞书用户匹配：查询 51 人，匹配成功 2 人，未匹配 49 人');
    expect(r.out).toContain('  赵辉敏 13900000002 — XM2026002 雷打滩水电站（项目负责人）');
    const imp = await t.db.selectFrom('imports').select(['actor', 'created_count']).executeTakeFirstOrThrow();
    expect(imp).toEqual({ actor: '项目中心', created_count: 40 });
  });

  it('import --dry-run: prints the changes and writes nothing', async () => {
    const path = await tempCsv('edit.csv', editCell(fixtureGrid(), 'XM2026010', '年度计划投资(万元)', '1000'));
    const r = await cli(['import', path, '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.out).toEqual(expect.arrayContaining([
      '【试运行】读取 edit.csv，UTF-8 编码：40 个项目',
      '将新增 0 个，将更新 1 个，未变化 39 个，将停用 0 个',
      '  XM2026010 竹浆纸一体化项目',
      '    年度计划投资：0万元 → 1,000万元',
      '【试运行】以上为将要发生的变化，数据库未作任何修改',
    ]));
    const p = await t.db.selectFrom('projects').select('annual_plan').where('code', '=', 'XM2026010').executeTakeFirstOrThrow();
    expect(p.annual_plan).toBe('0.0000');
  });

  it('import again: 0 changes', async () => {
    const r = await cli(['import', FIXTURE_PATH, '--no-match']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('没有任何变化（0 处变更）');
    expect(r.out).toContain('飞书用户匹配：已按要求跳过飞书用户匹配，稍后可运行 people sync');
  });

  it('import --year: the year of the year-to-date column; a malformed or contradicting year is refused', async () => {
    const [head = [], ...rows] = fixtureGrid();
    const ytd: Record<string, string> = { XM2026001: '52836', XM2026012: '27600', XM2026010: '0' };
    const grid = [[...head, '年度累计完成投资(万元)'], ...rows.map((r) => [...r, ytd[r[0] ?? ''] ?? ''])];
    const path = await tempCsv('ytd.csv', grid);
    expect((await cli(['import', path, '--year', '26'])).err).toEqual(['参数错误：--year 应为四位年份，如 2026（收到“26”）', expect.stringContaining('--year YYYY')]);
    const named = await tempCsv('named.csv', [[...head, '2025年累计完成投资(万元)'], ...grid.slice(1)]);
    const conflict = await cli(['import', named, '--year', '2026', '--no-match']);
    expect(conflict.code).toBe(1);
    expect(conflict.err).toEqual(['named.csv 有 1 处问题，未导入任何数据，请修改后重新导入：', 'row 1, column 2025年累计完成投资(万元): 表头注明为 2025 年，与 --year 2026 不一致；请去掉 --year 或改正表头']);

    const r = await cli(['import', path, '--year', '2026', '--no-match']);
    expect(r.code).toBe(0);
    expect(r.out).toEqual(expect.arrayContaining([
      '已新增 0 个，已更新 3 个，未变化 37 个，已停用 0 个',
      '年度累计完成投资（列“年度累计完成投资(万元)”）计入 2026 年（按 --year 指定）',
      '    年度累计完成投资：0万元 → 52,836万元',
      '    累计完成投资所属年度：（空） → 2026年',
    ]));
  });

  it('projects list: an aligned table, filters, and JSON', async () => {
    const r = await cli(['projects', 'list']);
    expect(r.code).toBe(0);
    expect(r.out.at(-1)).toBe('共 40 个项目');
    const table = r.out.slice(0, -1).filter((_, i) => i !== 1);
    // Text columns line up on the left, the money columns on the right, CJK counted double.
    for (const col of [0, 1, 2, 3, 4, 9, 10]) expect(columnEdges(table, col, 'start').size).toBe(1);
    for (const col of [5, 6, 7, 8]) expect(columnEdges(table, col, 'end').size).toBe(1);
    expect(r.out[0]).toMatch(/^项目编号\s+项目名称\s+所属地区\s+阶段\s+频次\s+总投资\(万元\)\s+年度计划\(万元\)\s+2026年累计\(万元\)\s+占年度计划\s+项目负责人\s+飞书匹配$/);
    expect(r.out.find((l) => l.startsWith('XM2026001'))).toMatch(/巡检司电厂2×300MW机组扩建工程\s+天城县\s+续建\s+每周\s+265,561\s+60,000\s+52,836\s+88\.1%\s+杜磊秀\s+已匹配$/);
    // Plan 0: no percentage; no figure known: a dash, not a 0 nobody gave.
    expect(r.out.find((l) => l.startsWith('XM2026010'))).toMatch(/350,000\s+0\s+0\s+—\s+崔军/);
    expect(r.out.find((l) => l.startsWith('XM2026002'))).toMatch(/60,372\s+18,000\s+—\s+—\s+赵辉敏/);

    const weekly = await cli(['projects', 'list', '--list', '已开工未入统项目清单']);
    expect(weekly.out.filter((l) => l.startsWith('XM')).map((l) => l.slice(0, 9))).toEqual(['XM2026014', 'XM2026018', 'XM2026036']);
    const region = await cli(['projects', 'list', '--region', '南湖县', '--stage', '前期']);
    expect(region.out.filter((l) => l.startsWith('XM')).map((l) => l.slice(0, 9))).toEqual(['XM2026024', 'XM2026025']);

    const json = await cli(['projects', 'list', '--json', '--region', '高新区']);
    const rows = JSON.parse(json.out.join('\n')) as ProjectListing[];
    expect(rows).toHaveLength(7);
    expect(rows[0]).toMatchObject({
      code: 'XM2026012', region: '高新区', totalInvestment: '80000', annualPlan: '30000', ytdYear: 2026, ytdInvestment: '27600', ytdPercentOfPlan: '92.0',
      frequency: 'monthly', owner: { name: '夏兰敏', mobile: '13900000012', matchStatus: 'not_found' },
    });
    expect(rows.find((p) => p.code === 'XM2026013')).toMatchObject({ ytdYear: null, ytdInvestment: null, ytdPercentOfPlan: null });

    expect((await cli(['projects', 'list', '--stage', '施工'])).code).toBe(2);
    expect((await cli(['projects', 'list', '--inactive'])).out).toContain('共 0 个项目');
  });

  it('people grant / revoke / list', async () => {
    const noProject = await cli(['people', 'grant', '13900000002', 'delegate']);
    expect(noProject).toMatchObject({ code: 1, err: ['联络员（delegate）需要用 --project 指定项目编号'] });
    const unknown = await cli(['people', 'grant', '13700000000', 'admin']);
    expect(unknown).toMatchObject({ code: 1, err: ['找不到手机号为 13700000000 的人员；如需新增，请用 --name 提供姓名'] });
    expect((await cli(['people', 'grant', '13900000002', 'delegate', '--project', 'XM9999'])).err).toEqual(['找不到项目编号为 XM9999 的项目']);
    expect((await cli(['people', 'grant', '0871-65123456', 'admin'])).code).toBe(1);

    const admin = await cli(['people', 'grant', '+86 137-0000-0000', 'admin', '--name', '李 四', '--actor', '王主任']);
    expect(admin).toMatchObject({ code: 0, out: ['已新增人员（手机号 13700000000），待运行 people sync 匹配飞书账号', '已授予 13700000000 管理员权限'] });
    const delegate = await cli(['people', 'grant', '13900000002', 'delegate', '--project', 'XM2026001', '--actor', '王主任']);
    expect(delegate.out).toEqual(['已授予 13900000002 项目 XM2026001 的联络员权限']);
    expect((await cli(['people', 'grant', '13900000002', 'delegate', '--project', 'XM2026001'])).out).toEqual(['13900000002 已经是项目 XM2026001 的联络员，未作修改']);
    const grants = await t.db.selectFrom('person_grants').select(['role', 'granted_by']).orderBy('id').execute();
    expect(grants).toEqual([{ role: 'admin', granted_by: '王主任' }, { role: 'delegate', granted_by: '王主任' }]);

    const list = await cli(['people', 'list']);
    expect(list.out.at(-1)).toBe('共 52 人');
    expect(list.out.find((l) => l.startsWith('赵辉敏'))).toMatch(/13900000002\s+未找到\s+项目负责人×1、联络员\(XM2026001\)$/);
    expect(list.out.find((l) => l.startsWith('周敏'))).toMatch(/13800002002\s+已匹配\s+包保领导×5$/);
    const json = JSON.parse((await cli(['people', 'list', '--unmatched', '--json'])).out.join('\n')) as PersonListing[];
    expect(json).toHaveLength(50);
    expect(json.find((p) => p.mobile === '13700000000')).toMatchObject({ name: '李四', matchStatus: 'unmatched', grants: [{ role: 'admin', projectCode: null }] });

    expect((await cli(['people', 'revoke', '13900000002', 'delegate', '--project', 'XM2026001'])).code).toBe(0);
    expect(await cli(['people', 'revoke', '13900000002', 'delegate', '--project', 'XM2026001'])).toMatchObject({ code: 1, err: ['13900000002 没有该权限，未作修改'] });
    expect((await cli(['people', 'revoke', '13700000000', 'admin'])).out).toEqual(['已撤销 13700000000 的管理员权限']);
    expect(await t.db.selectFrom('person_grants').select('id').execute()).toEqual([]);
  });

  it('people sync: matches whoever Feishu knows now, lists the rest', async () => {
    fake.addUser({ name: '赵辉敏', mobile: '13900000002' });
    const r = await cli(['people', 'sync']);
    expect(r.code).toBe(0);
    expect(r.out[0]).toBe('飞书用户匹配：查询 50 人，匹配成功 1 人，未匹配 49 人');
    const z = await t.db.selectFrom('people').select('match_status').where('mobile', '=', '13900000002').executeTakeFirstOrThrow();
    expect(z.match_status).toBe('matched');

    const fault = fake.injectFault({ match: { path: '/open-apis/contact/v3/users/batch_get_id' }, kind: 'code', code: 99991672, status: 400 });
    const down = await cli(['people', 'sync']);
    expect(down.code).toBe(1);
    expect(down.err[0]).toMatch(/^飞书用户匹配失败：/);
    fake.removeFault(fault);
  });
});
