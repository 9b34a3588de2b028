// `npm run demo` is what a newcomer runs first; it must keep working end to end.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import pg from 'pg';
import { adminDatabaseUrl, testRedisUrl } from '../helpers/services.js';
import { testDatabaseName } from '../helpers/test-db.js';

describe('npm run demo', () => {
  const database = testDatabaseName();
  afterAll(async () => {
    const c = new pg.Client({ connectionString: adminDatabaseUrl() });
    await c.connect();
    await c.query(`drop database if exists "${database}" with (force)`);
    await c.end();
  });

  it('runs the month end to end and prints the tables', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/demo/run-demo.ts'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DEMO_DATABASE: database, DEMO_ADMIN_DATABASE_URL: adminDatabaseUrl(), DEMO_REDIS_URL: testRedisUrl() },
      cwd: process.cwd(),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('已新增 40 个');
    expect(stdout).toMatch(/已发送填报卡片 39 张/);
    expect(stdout).toContain('请用阿拉伯数字填写');
    expect(stdout).toContain('已确认解决，问题闭环');
    expect(stdout).toContain('已补报');
    expect(stdout).toMatch(/合计\s+40\s+25\s+1\s+0\s+14/);
  }, 120_000);
});
