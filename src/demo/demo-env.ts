// Everything the demo stands on: a fresh local database, the simulated Feishu tenant seeded with
// the registry sheet's people, the real service pointed at both, a driver playing Feishu's side,
// and a clock the story moves forward (cycles run on their real dates without waiting for them).
import pg from 'pg';
import { DateTime } from 'luxon';
import { envValue, parseConfig, type Config } from '../config.js';
import { createLogger } from '../logger.js';
import { FakeFeishu, FeishuDriver } from '../sandbox/index.js';
import { startService, type Service } from '../app/service.js';
import { QUEUE_NAMES } from '../platform/jobs/catalogue.js';
import { deleteKeysByPrefix } from '../platform/jobs/redis-keys.js';

/** Shaped like a real app id (cli_ + 16 hex): the SDK's long-connection client insists on it. */
export const DEMO_APP = { appId: 'cli_d15a7c4b0e2f9a31', appSecret: 'demo-secret', verificationToken: 'demo-token', encryptKey: 'demo-encrypt-key' };

export type DemoEnv = {
  fake: FakeFeishu;
  driver: FeishuDriver;
  service: Service;
  config: Config;
  databaseUrl: string;
  /** Sets the service's clock to a local time in Asia/Shanghai, e.g. '2026-11-20 09:00'. */
  setTime: (local: string) => void;
  /** Waits until the job queues are empty (messages sent, notices delivered). */
  settle: () => Promise<void>;
  stop: () => Promise<void>;
};

export async function startDemoEnv(opts: { seedFile: string; leaveOut: string[]; extraUsers: { name: string; mobile: string }[] }): Promise<DemoEnv> {
  const adminUrl = envValue('DEMO_ADMIN_DATABASE_URL') ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const redisUrl = envValue('DEMO_REDIS_URL') ?? 'redis://127.0.0.1:6379';
  const databaseUrl = await freshDatabase(adminUrl, envValue('DEMO_DATABASE') ?? 'dispatch_demo');

  const fake = new FakeFeishu({ apps: { [DEMO_APP.appId]: DEMO_APP.appSecret }, unmatchedMobiles: opts.leaveOut });
  const fakeUrl = await fake.start();
  await fake.seedDirectoryFromFile(opts.seedFile);
  for (const u of opts.extraUsers) fake.addUser(u);

  let now = new Date();
  const config = parseConfig({
    LARK_APP_ID: DEMO_APP.appId,
    LARK_APP_SECRET: DEMO_APP.appSecret,
    LARK_VERIFICATION_TOKEN: DEMO_APP.verificationToken,
    LARK_ENCRYPT_KEY: DEMO_APP.encryptKey,
    LARK_DOMAIN: fakeUrl,
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    PORT: '0',
    LOG_LEVEL: envValue('LOG_LEVEL') ?? 'silent',
    QUEUE_PREFIX: `demo-${process.pid}`,
    RUN_SCHEDULER: 'false',
  });
  const service = await startService(config, { logger: createLogger(config.LOG_LEVEL), now: () => now });
  const driver = new FeishuDriver({
    targetUrl: `http://127.0.0.1:${service.port}/lark/events`,
    appId: DEMO_APP.appId,
    verificationToken: DEMO_APP.verificationToken,
    encryptKey: DEMO_APP.encryptKey,
    fake,
  });

  const settle = async (): Promise<void> => {
    // Idle twice in a row: a finished job may just have enqueued another.
    for (let idle = 0; idle < 2; ) {
      await new Promise((r) => setTimeout(r, 150));
      let pending = 0;
      for (const q of QUEUE_NAMES) {
        const c = await service.ctx.queues.queue(q).getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
        pending += Object.values(c).reduce((a, b) => a + b, 0);
      }
      idle = pending === 0 ? idle + 1 : 0;
    }
  };

  return {
    fake,
    driver,
    service,
    config,
    databaseUrl,
    setTime: (local) => {
      now = DateTime.fromFormat(local, 'yyyy-MM-dd HH:mm', { zone: config.DISPATCH_TZ }).toJSDate();
    },
    settle,
    stop: async () => {
      await service.stop();
      await fake.stop();
      await deleteKeysByPrefix(config.REDIS_URL, config.QUEUE_PREFIX);
    },
  };
}

/** Drops and recreates the demo database, so every run starts from nothing; it is kept afterwards to look at. */
async function freshDatabase(adminUrl: string, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: adminUrl });
  try {
    await admin.connect();
  } catch (e) {
    throw new Error(`PostgreSQL is not reachable at ${adminUrl} (${(e as Error).message}); the demo needs a local PostgreSQL, see README.`);
  }
  try {
    await admin.query(`drop database if exists "${name}" with (force)`);
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
