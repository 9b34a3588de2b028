// The whole bot for integration tests: a fresh database, the simulated Feishu tenant, the real
// service (HTTP intake, workers; scheduler off unless asked) pointed at both, and a driver that
// delivers events and card callbacks signed and encrypted as Feishu does.
//
//   const h = await startHarness();            // afterAll(() => h.stop())
//   const owner = h.fake.addUser({ name: '杜磊秀', mobile: '13900000001' });
//   await h.driver.cardAction({ operatorOpenId: owner, messageId, value, formValue });
//   h.ctx.db / h.ctx.queues / h.fake.messages()
import { FakeFeishu, FeishuDriver, type FakeFeishuOptions } from '../../src/sandbox/index.js';
import { parseConfig, type Config } from '../../src/config.js';
import { startService, type Service } from '../../src/app/service.js';
import { createLogger } from '../../src/logger.js';
import type { AppContext, AppContextOverrides } from '../../src/platform/app-context.js';
import { createTestDatabase, deleteRedisKeys, uniqueQueuePrefix, type TestDatabase } from './test-db.js';
import { testRedisUrl } from './services.js';

// Shaped like a real app id (cli_ + 16 hex): the SDK's WSClient refuses anything else.
export const HARNESS_APP = { appId: 'cli_a1b2c3d4e5f60718', appSecret: 'harness-secret', verificationToken: 'harness-token', encryptKey: 'harness-encrypt-key' };

export type Harness = {
  fake: FakeFeishu;
  driver: FeishuDriver;
  service: Service;
  ctx: AppContext;
  config: Config;
  database: TestDatabase;
  stop: () => Promise<void>;
};

export type HarnessOptions = {
  env?: Record<string, string>;
  fake?: Partial<FakeFeishuOptions>;
  /** Defaults: workers on, scheduler off (tests drive cycles explicitly). */
  workers?: boolean;
  scheduler?: boolean;
  /** Use a database another harness already made (two instances of one deployment). */
  database?: TestDatabase;
  /** Share a sandbox and queue prefix with another harness. */
  shareWith?: Harness;
} & AppContextOverrides;

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const database = opts.database ?? opts.shareWith?.database ?? (await createTestDatabase());
  const ownsDatabase = !opts.database && !opts.shareWith;
  const fake = opts.shareWith?.fake ?? new FakeFeishu({ apps: { [HARNESS_APP.appId]: HARNESS_APP.appSecret }, ...opts.fake });
  const ownsFake = !opts.shareWith;
  const fakeUrl = ownsFake ? await fake.start() : fake.url;
  const config = parseConfig({
    LARK_APP_ID: HARNESS_APP.appId,
    LARK_APP_SECRET: HARNESS_APP.appSecret,
    LARK_VERIFICATION_TOKEN: HARNESS_APP.verificationToken,
    LARK_ENCRYPT_KEY: HARNESS_APP.encryptKey,
    LARK_DOMAIN: fakeUrl,
    DATABASE_URL: database.url,
    REDIS_URL: testRedisUrl(),
    PORT: '0',
    LOG_LEVEL: 'silent',
    QUEUE_PREFIX: opts.shareWith?.config.QUEUE_PREFIX ?? uniqueQueuePrefix(),
    RUN_WORKERS: String(opts.workers ?? true),
    RUN_SCHEDULER: String(opts.scheduler ?? false),
    ...opts.env,
  });
  const service = await startService(config, {
    logger: opts.logger ?? createLogger('silent'),
    now: opts.now,
    larkLimits: opts.larkLimits,
    larkRetry: opts.larkRetry ?? { baseDelayMs: 20, maxDelayMs: 200 },
  });
  const driver = new FeishuDriver({
    targetUrl: `http://127.0.0.1:${service.port}/lark/events`,
    appId: HARNESS_APP.appId,
    verificationToken: HARNESS_APP.verificationToken,
    encryptKey: HARNESS_APP.encryptKey,
    fake,
  });
  return {
    fake,
    driver,
    service,
    ctx: service.ctx,
    config,
    database,
    stop: async () => {
      await service.stop();
      if (ownsFake) await fake.stop();
      if (!opts.shareWith) await deleteRedisKeys(config.QUEUE_PREFIX);
      if (ownsDatabase) await database.drop();
    },
  };
}
