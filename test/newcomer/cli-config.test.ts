// A command asks only for the configuration it uses (issue 14): listing projects, a dry-run
// import, the calendar and `migrate` run with no Feishu credentials; sending commands still demand them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.js';
import { parseCliConfig } from '../../src/cli/cli-config.js';
import { runCli } from '../../src/cli.js';
import { createTestDatabase, deleteRedisKeys, uniqueQueuePrefix, type TestDatabase } from '../helpers/test-db.js';
import { testRedisUrl } from '../helpers/services.js';

const problems = (f: () => unknown): string[] => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  return [];
};

describe('per-command configuration', () => {
  it('demands Feishu credentials only from commands that talk to Feishu', () => {
    const db = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/x' };
    expect(problems(() => parseCliConfig({ redis: false, feishu: false }, db))).toEqual([]);
    expect(problems(() => parseCliConfig({ redis: true, feishu: false }, db))).toEqual([expect.stringMatching(/^REDIS_URL: missing/)]);
    expect(problems(() => parseCliConfig({ redis: true, feishu: true }, { ...db, REDIS_URL: 'redis://h:6379' })).map((p) => p.split(':')[0]))
      .toEqual(['LARK_APP_ID', 'LARK_APP_SECRET', 'LARK_VERIFICATION_TOKEN']);
    // A part a command does not use is still checked when it is given.
    expect(problems(() => parseCliConfig({ redis: false, feishu: false }, { ...db, LARK_DOMAIN: 'http://x/' }))).toEqual([
      expect.stringMatching(/^LARK_DOMAIN: expected 'feishu', 'lark' or a URL/),
    ]);
    expect(problems(() => parseCliConfig({ redis: false, feishu: false }, {}))).toEqual([expect.stringMatching(/^DATABASE_URL: missing/)]);
  });
});

describe('CLI without Feishu credentials', () => {
  let t: TestDatabase;
  const prefix = uniqueQueuePrefix();
  const saved = { ...process.env };
  const run = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out, err };
  };

  beforeAll(async () => {
    t = await createTestDatabase();
    for (const k of Object.keys(process.env)) if (k.startsWith('LARK_')) delete process.env[k];
    Object.assign(process.env, { DATABASE_URL: t.url, REDIS_URL: testRedisUrl(), QUEUE_PREFIX: prefix, LOG_LEVEL: 'error' });
  });
  afterAll(async () => {
    process.env = saved;
    await t.drop();
    await deleteRedisKeys(prefix);
  });

  it('lists projects, works the calendar and dry-runs an import', async () => {
    expect(await run('projects', 'list')).toMatchObject({ code: 0, err: [] });
    expect(await run('calendar', 'add-off', '2026-12-01', '--note', '县庆')).toMatchObject({ code: 0, out: ['已将 2026-12-01 设为本地放假日（县庆）'] });
    expect(await run('calendar', 'list')).toMatchObject({ code: 0 });
    expect(await run('cycle', 'status')).toMatchObject({ code: 1, err: [expect.stringMatching(/^还没有开启过调度/)] });
    const dry = await run('import', 'test/fixtures/registry/projects-sample.csv', '--dry-run');
    expect(dry.err.join('\n')).not.toMatch(/LARK_/);
    expect(dry.code).toBe(0);
  });

  it('still demands the credentials of commands that send', async () => {
    const sync = await run('people', 'sync');
    expect(sync.code).toBe(1);
    expect(sync.err.join('\n')).toMatch(/LARK_APP_ID: missing[\s\S]*LARK_APP_SECRET: missing[\s\S]*LARK_VERIFICATION_TOKEN: missing/);
    const inline = await run('cycle', 'open', '--kind', 'monthly', '--inline');
    expect(inline.err.join('\n')).toMatch(/LARK_APP_ID: missing/);
  });
});
