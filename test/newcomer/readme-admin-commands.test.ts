// The read-only admin commands of both READMEs' "Admin commands" blocks, typed exactly as written,
// against a throwaway database and without any Feishu credentials: each answers (or, on an empty
// database, fails with a clear Chinese message) as the README promises ("each command asks only
// for the configuration it uses").
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { blockAfterHeading, writtenForms } from '../../scripts/readme-admin.js';
import { adminDatabaseUrl, testRedisUrl } from '../helpers/services.js';
import { deleteRedisKeys, testDatabaseName, uniqueQueuePrefix } from '../helpers/test-db.js';

const en = writtenForms(blockAfterHeading(readFileSync('README.md', 'utf8'), 'Admin commands'));
const zh = writtenForms(blockAfterHeading(readFileSync('README.zh-CN.md', 'utf8'), '管理命令'));

// In order: `migrate` first (it creates the database), then reads of the empty database.
const cases: { cmd: string; code: 0 | 1; out: RegExp; zh?: true }[] = [
  { cmd: 'npm run cli -- migrate', code: 0, out: /Up \d{8}T\d{4}-/ },
  { cmd: 'npm run cli -- league show --cycle 2026-11', code: 1, out: /找不到调度期次 2026-11/, zh: true },
  { cmd: 'npm run cli -- import examples/项目清单模板.xlsx --dry-run', code: 0, out: /【试运行】.*数据库未作任何修改/, zh: true },
  { cmd: 'npm run cli -- projects list --region 天城县', code: 0, out: /共 0 个项目/, zh: true },
  { cmd: 'npm run cli -- calendar list', code: 0, out: /没有本地放假日/ },
  { cmd: 'npm run cli -- cycle status', code: 1, out: /还没有开启过调度/ },
  { cmd: 'npm run cli -- escalations list', code: 0, out: /没有符合条件的升级事项/, zh: true },
  { cmd: 'npm run cli -- groups list', code: 0, out: /尚未绑定任何群/, zh: true },
];

const db = testDatabaseName();
const prefix = uniqueQueuePrefix();

function run(cmd: string): Promise<{ code: number | null; output: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: `${adminDatabaseUrl().replace(/\/[^/]*$/, '')}/${db}`, REDIS_URL: testRedisUrl(), QUEUE_PREFIX: prefix, LOG_LEVEL: 'silent' };
  for (const k of Object.keys(env)) if (k.startsWith('LARK_')) delete env[k];
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', cmd], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

afterAll(async () => {
  const c = new pg.Client({ connectionString: adminDatabaseUrl() });
  await c.connect();
  await c.query(`drop database if exists "${db}" with (force)`);
  await c.end();
  await deleteRedisKeys(prefix);
});

describe('the README admin commands, as written', () => {
  it('are written so in the READMEs', () => {
    expect(writtenForms('npm run cli -- a [--b [--c]] | d [--e "x y" | --f]  # note')).toEqual(
      new Set(['npm run cli -- a', 'npm run cli -- a --b', 'npm run cli -- a --b --c', 'npm run cli -- d', 'npm run cli -- d --e "x y"', 'npm run cli -- d --f']),
    );
    for (const c of cases) expect(en.has(c.cmd), `README.md: ${c.cmd}`).toBe(true);
    for (const c of cases.filter((x) => x.zh)) expect(zh.has(c.cmd), `README.zh-CN.md: ${c.cmd}`).toBe(true);
    expect(readFileSync('README.md', 'utf8')).toContain('`help` lists everything');
  });

  it('run without Feishu credentials on a throwaway database', async () => {
    const check = (c: { cmd: string; code: number; out: RegExp }, r: { code: number | null; output: string }) => {
      expect(r.output, c.cmd).not.toMatch(/LARK_APP_ID/);
      expect(r.output, c.cmd).toMatch(c.out);
      expect(r.code, `${c.cmd}\n${r.output}`).toBe(c.code);
    };
    const [first, ...reads] = [...cases, { cmd: 'npm run cli -- help', code: 0 as const, out: /league show --cycle 2026-11/ }];
    check(first, await run(first.cmd));
    // The reads do not depend on each other; two at a time keeps the test short on a 2-core machine.
    const results: { code: number | null; output: string }[] = [];
    for (let i = 0; i < reads.length; i += 2) results.push(...(await Promise.all(reads.slice(i, i + 2).map((c) => run(c.cmd)))));
    reads.forEach((c, i) => check(c, results[i]));
  }, 120_000);
});
