// `npm run demo` is what a newcomer runs first; it must keep working end to end.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { adminDatabaseUrl, testRedisUrl } from '../helpers/services.js';
import { testDatabaseName } from '../helpers/test-db.js';
import { machineEnv } from '../helpers/child-env.js';

describe('npm run demo', () => {
  const database = testDatabaseName();
  const dirs: string[] = [];
  afterAll(async () => {
    const c = new pg.Client({ connectionString: adminDatabaseUrl() });
    await c.connect();
    await c.query(`drop database if exists "${database}" with (force)`);
    await c.end();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  const demo = async (...args: string[]) => {
    const outDir = await mkdtemp(join(tmpdir(), 'demo-output-'));
    dirs.push(outDir);
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/demo/run-demo.ts', '--out', outDir, ...args], {
      env: { ...machineEnv(), DEMO_DATABASE: database, DEMO_ADMIN_DATABASE_URL: adminDatabaseUrl(), DEMO_REDIS_URL: testRedisUrl() },
      cwd: process.cwd(),
    });
    const run = { child, outDir, stdout: '', stderr: '', exit: undefined as unknown as Promise<number | null> };
    child.stdout.on('data', (d: Buffer) => (run.stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (run.stderr += d.toString()));
    run.exit = new Promise<number | null>((resolve) => child.on('exit', resolve));
    return run;
  };

  it('plays the month end to end: weekly and monthly cycles, escalation to a 分管副市长, the league table, the meeting papers', async () => {
    const run = await demo();
    const code = await run.exit;
    const { stdout } = run;
    expect(run.stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('已新增 40 个');
    expect(stdout).toContain('已将本群绑定为调度群');
    expect(stdout).toMatch(/2026-W45：7 个周调度项目.*周五截止缺报 2 个/);
    expect(stdout).toMatch(/↑ 包保领导\S+：/);
    expect(stdout).toContain('点「已阅」→ 已标记为已阅');
    expect(stdout).toContain('→ 已督办，已通知项目负责人和责任单位');
    expect(stdout).toContain('→ 批示已转项目负责人和责任单位');
    expect(stdout).toMatch(/已发送填报卡片 39 张/);
    expect(stdout).toContain('请用阿拉伯数字填写');
    expect(stdout).toContain('已确认解决，问题闭环');
    expect(stdout).toContain('已补报');
    expect(stdout).toMatch(/合计\s+40\s+25\s+1\s+0\s+14/);
    // The league table, as posted to the dispatch group with its chart.
    expect(stdout).toContain('11月擂台已发到市调度群（含图表）');
    expect(stdout).toContain('2026年11月重点项目月通报·擂台');
    expect(stdout).toMatch(/名次\s+地区\s+变化\s+完成率\s+较序时进度\s+按时报送/);
    expect(stdout).toMatch(/红榜：.+；黑榜：/);
    // An escalation that reached a 分管副市长, with the 批示 they gave on its card.
    expect(stdout).toMatch(/升级到分管副市长的事项 [1-9]\d* 件/);
    expect(stdout).toMatch(/↑↑ 分管副市长\S+：.*已报包保领导的事项至今未解决；.*批示 · \S+「请所在县区本周内约谈项目单位，按周报送」/);
    for (const name of ['调度表.xlsx', '11月通报.docx']) {
      expect(stdout).toContain(`已写入 ${join(run.outDir, name)}`);
      expect((await stat(join(run.outDir, name))).size).toBeGreaterThan(1000);
    }
  }, 120_000);

  it('--open leaves the console running on the result until Ctrl-C, then cleans up', async () => {
    const run = await demo('--open');
    let child: ChildProcess | undefined = run.child;
    try {
      const started = Date.now();
      let url: string | undefined;
      while (!url && Date.now() - started < 110_000) {
        url = /控制台：(http:\/\/\S+\/)/.exec(run.stdout)?.[1];
        if (!url) await Promise.race([run.exit, new Promise((r) => setTimeout(r, 200))]);
        if (run.child.exitCode !== null) break;
      }
      expect(url, run.stdout + run.stderr).toBeDefined();
      const page = await fetch(url!);
      expect(page.status).toBe(200);
      // The console shows the month's result and is connected to the bot, so a person can act on it.
      const users = (await (await fetch(new URL('console/api/users', url))).json()) as { connected: boolean; users: unknown[] };
      expect(users.connected).toBe(true);
      expect(JSON.stringify(users.users)).toContain('王建国');
      run.child.kill('SIGINT');
      expect(await run.exit).toBe(0);
      child = undefined;
      expect(run.stdout).toContain('正在停止');
      expect(run.stderr).toBe('');
      await expect(fetch(url!)).rejects.toThrow();
    } finally {
      child?.kill('SIGKILL');
    }
  }, 180_000);
});
