// Department contacts (责任单位联系人): the import's contact columns and the whole-sheet checks
// on them, Feishu matching of contacts, and the `departments` commands, against a real
// Postgres and the simulated Feishu tenant.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { AppContext } from '../../src/platform/app-context.js';
import { LarkClient } from '../../src/platform/feishu/lark-client.js';
import { registryCommands } from '../../src/cli/registry.commands.js';
import type { Db } from '../../src/db/database.js';
import type { ProblemStatus } from '../../src/db/schema.js';
import type { DepartmentListing } from '../../src/registry/department-contacts.js';
import { mapHeaders, matchHeader } from '../../src/registry/header-map.js';
import { formatImportOutcome } from '../../src/registry/import-report.js';
import type { PersonListing } from '../../src/registry/people-directory.js';
import { changeCount } from '../../src/registry/registry-import.js';
import { formatIssue } from '../../src/registry/sheet-issue.js';
import { readSheet, sourceFromBytes } from '../../src/registry/sheet-reader.js';
import { validateSheet } from '../../src/registry/sheet-validation.js';
import { FakeFeishu } from '../../src/sandbox/fake-feishu.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db.js';
import {
  contactsGrid, CONTACTS_CSV, deps, editCell, expectOk, FIXTURE_CSV, gridToCsv, runCommand, runImport, silentLogger, tableSnapshot,
} from './registry-helpers.js';

const NOW = new Date('2026-11-20T02:00:00Z');
const BATCH_PATH = '/open-apis/contact/v3/users/batch_get_id';
const NAME = '责任单位联系人';
const MOBILE = '责任单位联系人手机';

/** Department → contact as the fixture gives them, in the order departments first appear. */
const FIXTURE_CONTACTS = [
  ['市发改委', '林峰', '13800003001'], ['市水务局', '黄静', '13800003002'], ['市工信局', '高磊', '13800003003'],
  ['市教育局', '罗娟', '13800003004'], ['市交通运输局', '梁超', '13800003005'], ['市生态环境局', '宋洁', '13800003006'],
  ['市商务局', '韦刚', '13800003007'], ['市住建局', '邱敏', '13800003008'], ['市自然资源局', '贺建军', '13800003009'],
];
/** The one contact the Feishu tenant does not know. */
const NOT_IN_FEISHU = '13800003006';

/** Sets both contact cells on every row of a department. */
function setContact(grid: string[][], department: string, name: string, mobile: string): string[][] {
  const dept = grid[0]?.indexOf('责任单位') ?? -1;
  for (const row of grid.slice(1)) {
    if (row[dept] !== department) continue;
    editCell(grid, row[0] ?? '', NAME, name);
    editCell(grid, row[0] ?? '', MOBILE, mobile);
  }
  return grid;
}

function problems(grid: string[][]): string[] {
  const r = validateSheet(readSheet(sourceFromBytes('s.csv', Buffer.from(gridToCsv(grid), 'utf8'))));
  return r.ok ? [] : r.issues.map(formatIssue);
}

describe('contact columns in the sheet', () => {
  it.each([
    ['责任单位联系人', 'contactName'], ['单位联系人', 'contactName'], ['责任单位联络员', 'contactName'], ['责任单位联系人姓名', 'contactName'],
    ['责任单位联系人手机', 'contactMobile'], ['单位联系人电话', 'contactMobile'], ['责任单位联络员联系电话', 'contactMobile'],
    ['责任单位联系人联系电话', 'contactMobile'], ['责任单位联系电话', 'contactMobile'], ['责任单位联系人邮箱', 'contactEmail'],
    // The project's own contact keeps its words.
    ['联系人', 'ownerName'], ['联系人电话', 'ownerMobile'],
  ])('%j → %s', (header, key) => {
    expect(matchHeader(header)).toEqual({ kind: 'field', key, unit: null });
  });

  it('reads the fixture: every department has its contact, each a person', () => {
    const r = validateSheet(readSheet(sourceFromBytes('c.csv', Buffer.from(CONTACTS_CSV, 'utf8'))));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.warnings).toEqual([]);
    expect(r.people).toHaveLength(60);
    expect(r.contacts?.map((c) => [c.department, c.contact.name, c.contact.mobile])).toEqual(FIXTURE_CONTACTS);
    expect(r.contacts?.[8]).toEqual({ department: '市自然资源局', contact: { name: '贺建军', mobile: '13800003009', email: null }, row: 41 });
    expect(r.projects[0]?.departmentContact).toEqual({ name: '林峰', mobile: '13800003001', email: null });
  });

  it('refuses a contact without a phone, a phone without a name, and a contact without a 责任单位', () => {
    const grid = contactsGrid();
    editCell(grid, 'XM2026040', MOBILE, '');
    editCell(grid, 'XM2026009', NAME, '');
    editCell(grid, 'XM2026008', '责任单位', '');
    editCell(grid, 'XM2026013', MOBILE, '1380000300');
    // Row 14's phone is unreadable, so row 20 is where 韦刚 is first given.
    editCell(grid, 'XM2026020', NAME, '韦钢');
    expect(problems(grid)).toEqual([
      'row 9, column 责任单位: 填写了责任单位联系人“黄静”，但责任单位为空',
      'row 10, column 责任单位联系人: 责任单位联系人姓名为空，但责任单位联系人手机填写了 13800003001',
      'row 14, column 责任单位联系人手机: 手机号“1380000300”格式不正确，应为11位手机号，如 13800000000',
      'row 21, column 责任单位联系人: 手机号 13800003007 在第 20 行是“韦刚”，这里是“韦钢”；同一号码只能对应一个人',
      'row 41, column 责任单位联系人手机: 责任单位联系人“贺建军”没有填写手机号；责任单位联系人凭手机号关联飞书账号接收问题，请填写11位手机号',
    ]);
  });

  it('refuses two different contacts for one department on both rows', () => {
    const grid = editCell(editCell(contactsGrid(), 'XM2026024', NAME, '蒋丽'), 'XM2026024', MOBILE, '13800003010');
    expect(problems(grid)).toEqual([
      'row 6, column 责任单位联系人: 责任单位“市教育局”的联系人不一致：这里是 罗娟 13800003004，第 25 行是 蒋丽 13800003010；同一责任单位只能有一个联系人',
      'row 25, column 责任单位联系人: 责任单位“市教育局”的联系人不一致：这里是 蒋丽 13800003010，第 6 行是 罗娟 13800003004；同一责任单位只能有一个联系人',
    ]);
  });

  it('refuses contact columns that cannot be used: name without phone column, phone without name column, no 责任单位 column', () => {
    const header = contactsGrid()[0] ?? [];
    const issues = (cols: string[]) => {
      const r = mapHeaders([{ rowNumber: 1, cells: cols }]);
      return r.ok ? [] : r.issues.map(formatIssue);
    };
    expect(issues(header.filter((h) => h !== MOBILE))).toEqual([
      'row 1, column 责任单位联系人手机: 缺少“责任单位联系人手机”列（表中有“责任单位联系人”列）；责任单位联系人凭手机号关联飞书账号接收问题，不能只填姓名',
    ]);
    expect(issues(header.filter((h) => h !== NAME))).toEqual(['row 1, column 责任单位联系人: 缺少“责任单位联系人”姓名列（表中有“责任单位联系人手机”列）']);
    expect(issues(header.filter((h) => h !== '责任单位'))).toEqual(['row 1, column 责任单位: 缺少“责任单位”列：表中有“责任单位联系人”列，但没有它所属的责任单位']);
  });
});

let t: TestDatabase;
let db: Db;
let fake: FakeFeishu;
let lark: LarkClient;

beforeAll(async () => {
  t = await createTestDatabase();
  db = t.db;
  fake = new FakeFeishu({ apps: { cli_test: 'secret' } });
  const url = await fake.start();
  const seen = new Set<string>();
  for (const row of contactsGrid().slice(1)) {
    for (const [n, m] of [[14, 15], [16, 17], [18, 19], [21, 22]] as const) {
      const mobile = row[m] ?? '';
      if (seen.has(mobile) || mobile === NOT_IN_FEISHU) continue;
      seen.add(mobile);
      fake.addUser({ name: row[n] ?? '', mobile });
    }
  }
  lark = new LarkClient({ appId: 'cli_test', appSecret: 'secret', domain: url, logger: silentLogger, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5 } });
});

afterAll(async () => {
  await fake.stop();
  await t.drop();
});

async function reset(): Promise<void> {
  await sql`truncate problems, person_grants, project_changes, projects, imports, departments, people, regions restart identity cascade`.execute(db);
  fake.reset();
}

/** [department, contact name, contact mobile] in creation order. */
async function storedContacts(): Promise<(string | null)[][]> {
  const rows = await db.selectFrom('departments as d').leftJoin('people as p', 'p.id', 'd.contact_person_id')
    .select(['d.name', 'p.name as contact', 'p.mobile']).orderBy('d.id').execute();
  return rows.map((r) => [r.name, r.contact, r.mobile]);
}

const contactOf = async (department: string) => (await storedContacts()).find((c) => c[0] === department);

describe('importing department contacts', () => {
  const at = (extra: Parameters<typeof deps>[1] = {}) => deps(db, { now: () => NOW, ...extra });

  beforeEach(reset);

  it('sets each department\'s contact, reports it with who and when, and matches contacts to Feishu', async () => {
    const s = expectOk(await runImport(at({ lark }), 'projects-with-contacts.csv', CONTACTS_CSV, { actor: '项目中心' }));
    expect(s.peopleCreated).toBe(60);
    expect(s.warnings).toEqual([]);
    expect(s.contactsChanged).toHaveLength(9);
    expect(s.contactsChanged[8]).toEqual({
      department: '市自然资源局', from: null, to: { name: '贺建军', mobile: '13800003009' }, changedBy: '项目中心', changedAt: NOW,
    });
    expect(await storedContacts()).toEqual(FIXTURE_CONTACTS);

    expect(s.matching).toMatchObject({ status: 'done', attempted: 60, matched: 59 });
    if (s.matching.status !== 'done') return;
    expect(s.matching.unmatched).toEqual([
      { id: expect.any(Number), name: '宋洁', mobile: NOT_IN_FEISHU, email: null, status: 'not_found', projects: [], departments: ['市生态环境局'] },
    ]);
    const lin = await db.selectFrom('people').select(['open_id', 'match_status']).where('mobile', '=', '13800003001').executeTakeFirstOrThrow();
    expect(lin).toEqual({ open_id: fake.findUser({ mobile: '13800003001' })?.open_id, match_status: 'matched' });

    const { out } = formatImportOutcome(s);
    expect(out).toContain('新增地区 5 个（天城县、高新区、东城区、西山区、南湖县），新增责任单位 9 个，新增人员 60 人，责任单位联系人变更 9 个');
    const from = out.indexOf('已设置责任单位联系人（操作人 项目中心）：');
    expect(out.slice(from, from + 10)).toEqual([
      '已设置责任单位联系人（操作人 项目中心）：',
      ...FIXTURE_CONTACTS.map(([d, n, m]) => `  责任单位联系人：${d} → ${n} ${m}`),
    ]);
    expect(out).toContain('飞书用户匹配：查询 60 人，匹配成功 59 人，未匹配 1 人');
    expect(out).toContain('  宋洁 13800003006 — 市生态环境局（责任单位联系人）');
  });

  it('importing the same file again changes nothing; a sheet without the contact columns keeps the contacts', async () => {
    expectOk(await runImport(at(), 'projects-with-contacts.csv', CONTACTS_CSV));
    for (const [name, csv] of [['projects-with-contacts.csv', CONTACTS_CSV], ['projects-sample.csv', FIXTURE_CSV]] as const) {
      const s = expectOk(await runImport(at(), name, csv));
      expect(changeCount(s)).toBe(0);
      expect(s.contactsChanged).toEqual([]);
      expect(s.warnings).toEqual([]);
      expect(formatImportOutcome(s).out).toContain('没有任何变化（0 处变更）');
      expect(await storedContacts()).toEqual(FIXTURE_CONTACTS);
    }
  });

  it('a changed contact: the dry run shows it and writes nothing; the import then replaces it', async () => {
    expectOk(await runImport(at(), 'projects-with-contacts.csv', CONTACTS_CSV));
    const before = await tableSnapshot(db);
    const csv = gridToCsv(setContact(contactsGrid(), '市教育局', '蒋丽', '13800003010'));

    const dry = expectOk(await runImport(at(), 'edit.csv', csv, { dryRun: true, actor: '张科长' }));
    expect(dry.contactsChanged).toEqual([{
      department: '市教育局', from: { name: '罗娟', mobile: '13800003004' }, to: { name: '蒋丽', mobile: '13800003010' }, changedBy: '张科长', changedAt: NOW,
    }]);
    expect(formatImportOutcome(dry).out).toEqual(expect.arrayContaining([
      '将设置责任单位联系人（操作人 张科长）：',
      '  责任单位联系人：市教育局 → 蒋丽 13800003010（原为 罗娟 13800003004）',
      '【试运行】以上为将要发生的变化，数据库未作任何修改',
    ]));
    expect(await tableSnapshot(db)).toEqual(before);

    const s = expectOk(await runImport(at(), 'edit.csv', csv, { actor: '张科长' }));
    expect({ people: s.peopleCreated, projects: s.updated.length, contacts: s.contactsChanged.length, all: changeCount(s) })
      .toEqual({ people: 1, projects: 0, contacts: 1, all: 2 });
    expect(await contactOf('市教育局')).toEqual(['市教育局', '蒋丽', '13800003010']);
    expect(changeCount(expectOk(await runImport(at(), 'edit.csv', csv)))).toBe(0);
  });

  it('blank contact cells leave a department\'s contact as it is; a department left without one is warned about', async () => {
    expectOk(await runImport(at(), 'projects-with-contacts.csv', CONTACTS_CSV));
    // Contact on the first row of 市教育局 only, none at all for 市自然资源局.
    const grid = setContact(editCell(editCell(contactsGrid(), 'XM2026024', NAME, ''), 'XM2026024', MOBILE, ''), '市自然资源局', '', '');
    const kept = expectOk(await runImport(at(), 'partial.csv', gridToCsv(grid)));
    expect(changeCount(kept)).toBe(0);
    expect(kept.warnings).toEqual([]);
    expect(await storedContacts()).toEqual(FIXTURE_CONTACTS);

    await reset();
    const fresh = expectOk(await runImport(at(), 'partial.csv', gridToCsv(grid)));
    expect(fresh.contactsChanged).toHaveLength(8);
    expect(fresh.warnings).toEqual(['责任单位“市自然资源局”没有联系人，其问题将转给管理员处理；可在“责任单位联系人”列填写，或运行 departments contact 设置']);
    expect(await contactOf('市自然资源局')).toEqual(['市自然资源局', null, null]);
  });

  it('conflicting contacts for one department are refused naming both rows, and nothing is stored', async () => {
    expectOk(await runImport(at(), 'projects-with-contacts.csv', CONTACTS_CSV));
    const before = await tableSnapshot(db);
    const grid = editCell(editCell(contactsGrid(), 'XM2026024', NAME, '蒋丽'), 'XM2026024', MOBILE, '13800003010');
    // A valid edit elsewhere must not be written either.
    setContact(grid, '市水务局', '黄晶', '13800003012');
    const outcome = await runImport(at({ lark }), 'conflict.csv', gridToCsv(grid));
    expect(outcome.ok).toBe(false);
    expect(formatImportOutcome(outcome).err).toEqual([
      'conflict.csv 有 2 处问题，未导入任何数据，请修改后重新导入：',
      'row 6, column 责任单位联系人: 责任单位“市教育局”的联系人不一致：这里是 罗娟 13800003004，第 25 行是 蒋丽 13800003010；同一责任单位只能有一个联系人',
      'row 25, column 责任单位联系人: 责任单位“市教育局”的联系人不一致：这里是 蒋丽 13800003010，第 6 行是 罗娟 13800003004；同一责任单位只能有一个联系人',
    ]);
    expect(await tableSnapshot(db)).toEqual(before);
    expect(fake.requests().filter((r) => r.path === BATCH_PATH)).toEqual([]);
  });
});

describe('departments commands', () => {
  let ctx: AppContext;
  const cli = (line: string[], c: AppContext = ctx) => runCommand(registryCommands, c, line);

  async function raiseProblems(department: string, statuses: ProblemStatus[]): Promise<void> {
    const project = await db.selectFrom('projects as p').innerJoin('departments as d', 'd.id', 'p.department_id')
      .select(['p.id', 'p.department_id', 'p.owner_id']).where('d.name', '=', department).orderBy('p.id').executeTakeFirstOrThrow();
    const { n } = await db.selectFrom('problems').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    await db.insertInto('problems').values(statuses.map((status, i) => ({
      number: `WT2026-${String(Number(n) + i + 1).padStart(4, '0')}`, project_id: project.id, category: '用地' as const,
      description: '用地指标未落实', department_id: project.department_id, status, raised_by: project.owner_id ?? 0, raised_at: NOW,
    }))).execute();
  }

  beforeAll(async () => {
    await reset();
    ctx = { db, lark, logger: silentLogger, now: () => NOW } as unknown as AppContext;
    expectOk(await runImport(deps(db, { lark, now: () => NOW }), 'projects-with-contacts.csv', CONTACTS_CSV));
    await raiseProblems('市水务局', ['open', 'in_coordination', 'reopened', 'resolved', 'confirmed']);
    await raiseProblems('市工信局', ['open']);
    fake.reset();
  });

  it('departments list: contact, Feishu state, active projects and problems on the desk, as a table and as JSON', async () => {
    const r = await cli(['departments', 'list']);
    expect(r.code).toBe(0);
    expect(r.out[0]).toMatch(/^责任单位\s+联系人\s+手机\s+飞书匹配\s+在用项目\s+待办问题$/);
    expect(r.out.find((l) => l.startsWith('市水务局'))).toMatch(/^市水务局\s+黄静\s+13800003002\s+已匹配\s+4\s+3$/);
    expect(r.out.find((l) => l.startsWith('市工信局'))).toMatch(/^市工信局\s+高磊\s+13800003003\s+已匹配\s+9\s+1$/);
    expect(r.out.find((l) => l.startsWith('市生态环境局'))).toMatch(/宋洁\s+13800003006\s+未找到\s+2\s+0$/);
    expect(r.out.at(-1)).toBe('共 9 个责任单位');

    const json = JSON.parse((await cli(['departments', 'list', '--json'])).out.join('\n')) as DepartmentListing[];
    expect(json.map((d) => d.name)).toEqual(FIXTURE_CONTACTS.map(([d]) => d));
    expect(json[1]).toEqual({
      name: '市水务局', contact: { name: '黄静', mobile: '13800003002', email: null, matchStatus: 'matched' }, activeProjects: 4, openProblems: 3,
    });
  });

  it('departments contact: sets an existing person, says who did it, and needs no Feishu lookup for a matched person', async () => {
    const r = await cli(['departments', 'contact', '市自然资源局', '13800003001', '--actor', '王主任']);
    expect(r).toEqual({
      code: 0,
      out: ['已设置责任单位联系人：市自然资源局 → 林峰 13800003001（原为 贺建军 13800003009）', '操作人：王主任', '飞书账号：已匹配'],
      err: [''],
    });
    expect(await contactOf('市自然资源局')).toEqual(['市自然资源局', '林峰', '13800003001']);
    // Spaces and full-width forms in the typed name fold to the stored one.
    const again = await cli(['departments', 'contact', '市 自然资源局', '13800003001']);
    expect(again.out).toEqual(['市自然资源局 的联系人已经是 林峰 13800003001，未作修改', '飞书账号：已匹配']);
    expect(fake.requests().filter((x) => x.path === BATCH_PATH)).toEqual([]);
  });

  it('departments contact --name: creates the person and matches them in Feishu, or says they are not found', async () => {
    fake.addUser({ name: '蒋丽', mobile: '13800003010' });
    const r = await cli(['departments', 'contact', '市教育局', '138-0000-3010', '--name', '蒋 丽', '--actor', '王主任']);
    expect(r.code).toBe(0);
    expect(r.out).toEqual([
      '已新增人员 蒋丽（手机号 13800003010）',
      '已设置责任单位联系人：市教育局 → 蒋丽 13800003010（原为 罗娟 13800003004）',
      '操作人：王主任',
      '飞书账号：匹配成功',
    ]);
    const jiang = await db.selectFrom('people').select(['name', 'open_id', 'match_status']).where('mobile', '=', '13800003010').executeTakeFirstOrThrow();
    expect(jiang).toEqual({ name: '蒋丽', open_id: fake.findUser({ mobile: '13800003010' })?.open_id, match_status: 'matched' });

    const unknown = await cli(['departments', 'contact', '市商务局', '13800003011', '--name', '钟伟']);
    expect(unknown.code).toBe(0);
    expect(unknown.out.at(-1)).toBe('飞书账号：飞书通讯录中没有找到手机号 13800003011；在找到之前该单位的问题转给管理员处理，请确认手机号或为其开通飞书后运行 npm run cli -- people sync');
    expect(await contactOf('市商务局')).toEqual(['市商务局', '钟伟', '13800003011']);
  });

  it('departments contact without a Feishu client sets the contact and skips matching quietly', async () => {
    const offline = { db, logger: silentLogger, now: () => NOW } as unknown as AppContext;
    const r = await cli(['departments', 'contact', '市住建局', '13800003013', '--name', '方舟', '--actor', '王主任'], offline);
    expect(r.out).toEqual(['已新增人员 方舟（手机号 13800003013）', '已设置责任单位联系人：市住建局 → 方舟 13800003013（原为 邱敏 13800003008）', '操作人：王主任']);
    const fang = await db.selectFrom('people').select('match_status').where('mobile', '=', '13800003013').executeTakeFirstOrThrow();
    expect(fang.match_status).toBe('unmatched');
  });

  it('refuses an unknown department (suggesting close names), an unknown mobile without --name, and a disagreeing name', async () => {
    const before = await storedContacts();
    expect(await cli(['departments', 'contact', '自然资源局', '13800003001'])).toEqual({
      code: 1, out: [''], err: ['找不到责任单位“自然资源局”，是否指：市自然资源局？'],
    });
    expect((await cli(['departments', 'contact', '市水利局', '13800003001'])).err).toEqual(['找不到责任单位“市水利局”；可运行 npm run cli -- departments list 查看全部责任单位']);
    expect(await cli(['departments', 'contact', '市水务局', '13700000000'])).toMatchObject({
      code: 1, err: ['找不到手机号为 13700000000 的人员；如需新增，请用 --name 提供姓名'],
    });
    expect(await cli(['departments', 'contact', '市水务局', '13800003001', '--name', '李四'])).toMatchObject({
      code: 1, err: ['手机号 13800003001 已登记为“林峰”，与 --name 给出的“李四”不一致；如确为此人，请去掉 --name 再试'],
    });
    expect((await cli(['departments', 'contact', '市水务局', '0871-65123456'])).code).toBe(1);
    expect(await storedContacts()).toEqual(before);
    expect(await db.selectFrom('people').select('id').where('mobile', '=', '13700000000').execute()).toEqual([]);

    const usage = await cli(['departments', 'contact', '市水务局']);
    expect(usage.code).toBe(2);
    expect(usage.err[1]).toBe('用法：npm run cli -- departments contact <部门名称> <mobile> [--name 姓名] [--actor NAME]');
    expect((await cli(['departments', 'contact', '市水务局', '13800003001', '--bogus'])).code).toBe(2);
    expect((await cli(['departments', 'list', '市水务局'])).code).toBe(2);
  });

  it('people list names each person\'s departments; departments list counts those without a contact', async () => {
    const people = JSON.parse((await cli(['people', 'list', '--json'])).out.join('\n')) as PersonListing[];
    expect(people.find((p) => p.mobile === '13800003001')?.contactFor).toEqual(['市发改委', '市自然资源局']);
    expect((await cli(['people', 'list'])).out.find((l) => l.startsWith('黄静'))).toMatch(/13800003002\s+已匹配\s+责任单位联系人\(市水务局\)$/);

    await db.insertInto('departments').values({ name: '市林业局' }).execute();
    const r = await cli(['departments', 'list']);
    expect(r.out.find((l) => l.startsWith('市林业局'))).toMatch(/^市林业局\s+—\s+—\s+无联系人\s+0\s+0$/);
    expect(r.out.at(-1)).toBe('共 10 个责任单位，其中 1 个没有联系人（其问题转给管理员处理）');
  });
});
