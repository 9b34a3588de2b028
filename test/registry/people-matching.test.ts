// Matching people to Feishu users through a real LarkClient pointed at the simulated tenant.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { LarkClient } from '../../src/platform/feishu/lark-client.js';
import type { Db } from '../../src/db/database.js';
import { formatImportOutcome } from '../../src/registry/import-report.js';
import { decideMatches, syncPeople } from '../../src/registry/people-matcher.js';
import { FakeFeishu } from '../../src/sandbox/fake-feishu.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db.js';
import { deps, expectOk, FIXTURE_CSV, fixtureGrid, gridToCsv, runImport, silentLogger } from './registry-helpers.js';

const BATCH_PATH = '/open-apis/contact/v3/users/batch_get_id';
const NOW = new Date('2026-11-20T02:00:00Z');

let t: TestDatabase;
let db: Db;
let fake: FakeFeishu;
let lark: LarkClient;

/** Everyone in the reference sheet, by mobile. */
function sheetPeople(): Map<string, string> {
  const grid = fixtureGrid();
  const out = new Map<string, string>();
  for (const row of grid.slice(1)) {
    for (const [n, m] of [[14, 15], [16, 17], [18, 19]] as const) out.set(row[m] ?? '', row[n] ?? '');
  }
  return out;
}

const NOT_IN_FEISHU = ['13900000003', '13900000012'];
const OUT_OF_SCOPE = '13800002008';
const RESIGNED = '13900000020';

beforeAll(async () => {
  t = await createTestDatabase();
  db = t.db;
  fake = new FakeFeishu({ apps: { cli_test: 'secret' } });
  const url = await fake.start();
  for (const [mobile, name] of sheetPeople()) {
    if (NOT_IN_FEISHU.includes(mobile)) continue;
    fake.addUser({ name, mobile, resigned: mobile === RESIGNED });
  }
  fake.leaveOut(OUT_OF_SCOPE);
  lark = new LarkClient({ appId: 'cli_test', appSecret: 'secret', domain: url, logger: silentLogger, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5 } });
});

afterAll(async () => {
  await fake.stop();
  await t.drop();
});

beforeEach(async () => {
  await sql`truncate person_grants, project_changes, projects, imports, departments, people, regions restart identity cascade`.execute(db);
  fake.reset();
});

const lookups = () => fake.requests().filter((r) => r.path === BATCH_PATH);

describe('matching after an import', () => {
  it('matches by mobile in batches of at most 50, lists who was not found, and imports their projects anyway', async () => {
    const s = expectOk(await runImport(deps(db, { lark, now: () => NOW }), 'projects.csv', FIXTURE_CSV));
    expect(s.created).toHaveLength(40);
    expect(s.matching.status).toBe('done');
    if (s.matching.status !== 'done') return;
    expect(s.matching.attempted).toBe(51);
    expect(s.matching.matched).toBe(47);
    expect(s.matching.unmatched.map((p) => [p.name, p.mobile, p.projects.map((x) => `${x.code}/${x.role}`)])).toEqual([
      ['孙飞丽', '13900000003', ['XM2026003/owner']],
      ['何平', '13800002008', ['XM2026007/leader', 'XM2026015/leader', 'XM2026023/leader', 'XM2026031/leader', 'XM2026039/leader']],
      ['夏兰敏', '13900000012', ['XM2026012/owner']],
      ['付秀英', '13900000020', ['XM2026020/owner']],
    ]);

    // 51 people took exactly two calls: 50 + 1 mobiles.
    expect(lookups()).toHaveLength(2);
    expect(lookups().every((r) => r.status === 200 && r.code === 0)).toBe(true);
    expect(lookups().map((r) => (r.body?.mobiles as string[]).length)).toEqual([50, 1]);

    const du = await db.selectFrom('people').select(['open_id', 'match_status', 'matched_at']).where('mobile', '=', '13900000001').executeTakeFirstOrThrow();
    expect(du).toEqual({ open_id: fake.findUser({ mobile: '13900000001' })?.open_id, match_status: 'matched', matched_at: NOW });
    const he = await db.selectFrom('people').select(['open_id', 'match_status', 'matched_at']).where('mobile', '=', OUT_OF_SCOPE).executeTakeFirstOrThrow();
    expect(he).toEqual({ open_id: null, match_status: 'not_found', matched_at: null });
    expect(await db.selectFrom('projects').select('code').where('active', '=', true).execute()).toHaveLength(40);

    const { out } = formatImportOutcome(s);
    expect(out).toContain('飞书用户匹配：查询 51 人，匹配成功 47 人，未匹配 4 人');
    expect(out).toContain('  何平 13800002008 — XM2026007 虹溪排洪隧洞工程（包保领导）；XM2026015 中煤远大绿色建材（包保领导）；XM2026023 中农联农产品交易中心（包保领导）；XM2026031 北过境公路（包保领导）；XM2026039 南湖冷链物流中心（包保领导）');
    expect(out).toContain('  孙飞丽 13900000003 — XM2026003 脚落沼煤矿（项目负责人）');
  });

  it('looks up only people not matched yet on a re-import', async () => {
    expectOk(await runImport(deps(db, { lark }), 'projects.csv', FIXTURE_CSV));
    fake.reset();
    const again = expectOk(await runImport(deps(db, { lark }), 'projects.csv', FIXTURE_CSV));
    expect(again.matching).toMatchObject({ status: 'done', attempted: 4, matched: 0 });
    expect(lookups()).toHaveLength(1);
  });

  it('splits a large sheet into full batches of 50', async () => {
    const grid = fixtureGrid();
    const header = grid[0];
    const template = grid[1];
    const rows = Array.from({ length: 130 }, (_, i) => {
      const r = [...template];
      r[0] = `BIG${String(i).padStart(3, '0')}`;
      r[14] = `负责人${i}`;
      r[15] = `137${String(i).padStart(8, '0')}`;
      return r;
    });
    const s = expectOk(await runImport(deps(db, { lark }), 'big.csv', gridToCsv([header, ...rows])));
    // 130 owners + one leader + one vice-mayor = 132 people: 50 + 50 + 32.
    expect(s.matching).toMatchObject({ status: 'done', attempted: 132, matched: 2 });
    expect(lookups()).toHaveLength(3);
    expect(lookups().every((r) => r.status === 200)).toBe(true);
  });

  it('a Feishu outage loses nothing: the import commits, says so, and people sync matches later', async () => {
    const fault = fake.injectFault({ match: { path: BATCH_PATH }, kind: 'status', status: 503 });
    const s = expectOk(await runImport(deps(db, { lark }), 'projects.csv', FIXTURE_CSV));
    expect(s.matching.status).toBe('failed');
    expect(await db.selectFrom('projects').select('code').execute()).toHaveLength(40);
    expect(await db.selectFrom('people').select('id').where('match_status', '=', 'unmatched').execute()).toHaveLength(51);
    const { out } = formatImportOutcome(s);
    expect(out.some((l) => l.startsWith('飞书用户匹配失败：'))).toBe(true);
    expect(out).toContain('项目和人员已导入，未受影响；请稍后运行 npm run cli -- people sync 重新匹配');

    fake.removeFault(fault);
    const synced = await syncPeople({ db, lark, logger: silentLogger, now: () => NOW });
    expect(synced).toMatchObject({ status: 'done', attempted: 51, matched: 47 });
    const retry = await syncPeople({ db, lark, logger: silentLogger, now: () => NOW });
    expect(retry).toMatchObject({ status: 'done', attempted: 4, matched: 0 });
  });

  it('without a Feishu client the import skips matching with a note', async () => {
    const s = expectOk(await runImport(deps(db), 'projects.csv', FIXTURE_CSV));
    expect(s.matching).toEqual({ status: 'skipped', reason: '未配置飞书客户端，跳过飞书用户匹配；项目已导入，稍后可运行 people sync' });
    const noMatch = expectOk(await runImport(deps(db, { lark }), 'projects.csv', FIXTURE_CSV, { match: false }));
    expect(noMatch.matching.status).toBe('skipped');
    expect(lookups()).toHaveLength(0);
    expect(await syncPeople({ db, logger: silentLogger, now: () => NOW })).toEqual({ status: 'skipped', reason: '没有飞书客户端，无法匹配' });
  });

  it('falls back to the e-mail column when the mobile is not found', async () => {
    fake.addUser({ name: '孙飞丽', mobile: '13700000003', email: 'sunfeili@tiancheng.gov.cn' });
    const grid = fixtureGrid();
    (grid[0]).push('负责人邮箱');
    grid.slice(1).forEach((r) => r.push(r[0] === 'XM2026003' ? 'SunFeiLi@tiancheng.gov.cn' : ''));
    const s = expectOk(await runImport(deps(db, { lark }), 'mail.csv', gridToCsv(grid)));
    expect(s.matching).toMatchObject({ status: 'done', matched: 48 });
    const sun = await db.selectFrom('people').select(['email', 'open_id', 'match_status']).where('mobile', '=', '13900000003').executeTakeFirstOrThrow();
    expect(sun).toEqual({ email: 'sunfeili@tiancheng.gov.cn', open_id: fake.findUser({ mobile: '13700000003' })?.open_id, match_status: 'matched' });
    // One call for the 51 mobiles' first 50, one for the 51st, one for the e-mail of those not found by mobile.
    expect(lookups()).toHaveLength(3);
  });
});

describe('decideMatches', () => {
  it('prefers the mobile, falls back to e-mail, and never gives one Feishu user to two people', () => {
    const decisions = decideMatches(
      [
        { id: 1, name: 'a', mobile: '13900000001', email: null },
        { id: 2, name: 'b', mobile: '13900000002', email: 'b@x.cn' },
        { id: 3, name: 'c', mobile: '13900000003', email: 'a@x.cn' },
        { id: 4, name: 'd', mobile: '13900000004', email: null },
        { id: 5, name: 'e', mobile: '13900000005', email: null },
      ],
      {
        byMobile: new Map([['13900000001', 'ou_a'], ['13900000005', 'ou_e']]),
        byEmail: new Map([['b@x.cn', 'ou_b'], ['a@x.cn', 'ou_a']]),
      },
      new Map([['ou_e', 99]]),
    );
    expect(decisions).toEqual([
      { personId: 1, status: 'matched', openId: 'ou_a', via: 'mobile' },
      { personId: 2, status: 'matched', openId: 'ou_b', via: 'email' },
      { personId: 3, status: 'conflict', openId: 'ou_a', heldBy: 1 },
      { personId: 4, status: 'not_found' },
      { personId: 5, status: 'conflict', openId: 'ou_e', heldBy: 99 },
    ]);
  });
});
