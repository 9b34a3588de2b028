// Builds the long-lived parts of the service from one Config: logger, database, Redis,
// the Feishu client and the queues. Every entry point (service, worker, CLI, demo) goes through here.
import { Redis } from 'ioredis';
import type { Config } from '../config.js';
import { createServiceLogger, type Logger } from '../logger.js';
import { createDb, type Db } from '../db/database.js';
import { LarkClient, larkLimitsFrom, setLarkHttpTimeout, type LarkLimits } from './feishu/lark-client.js';
import { RedisSendPacer } from './feishu/send-pacer.js';
import { QueueRegistry } from './jobs/queue-registry.js';
import { throttledErrorLog } from './jobs/connection-errors.js';

export type AppContext = {
  config: Config;
  logger: Logger;
  db: Db;
  redis: Redis;
  lark: LarkClient;
  queues: QueueRegistry;
  /** The clock. Tests and the demo replace it to run a cycle on any date. */
  now: () => Date;
  close: () => Promise<void>;
};

/** What a card-callback handler may use: no sending (that happens in jobs after the answer). */
export type CallbackDeps = Pick<AppContext, 'db' | 'queues' | 'logger' | 'config' | 'now'>;

export type AppContextOverrides = {
  logger?: Logger;
  now?: () => Date;
  larkLimits?: Partial<LarkLimits>;
  larkRetry?: ConstructorParameters<typeof LarkClient>[0]['retry'];
  /** A Feishu client to use instead of one built from the config (the CLI's commands that need none). */
  lark?: LarkClient;
};

export function createAppContext(config: Config, overrides: AppContextOverrides = {}): AppContext {
  const logger = overrides.logger ?? createServiceLogger(config);
  const db = createDb(config.DATABASE_URL, {
    max: config.DB_POOL_MAX,
    idleMs: config.DB_POOL_IDLE_MS,
    waitMs: config.DB_POOL_WAIT_MS,
    onIdleError: (e) => logger.warn({ err: e.message }, 'idle database connection lost'),
    onClientError: (e) => logger.warn({ err: e.message }, 'database connection lost during work; that work fails and is answered as not saved'),
  });
  // BullMQ needs maxRetriesPerRequest: null on connections its workers block on.
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null, lazyConnect: false });
  redis.on('error', throttledErrorLog(logger, 'redis connection'));
  // The pacer's own connection fails a command after 3 s instead of queueing it for ever, so a
  // Redis outage turns into a retried Feishu call (and a clear error) rather than a hung import.
  const pacerRedis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1, commandTimeout: 3000 });
  pacerRedis.on('error', throttledErrorLog(logger, 'redis (pacer) connection'));
  // Process-wide, as the SDK's HTTP client is; every context of a process reads the same config.
  setLarkHttpTimeout(config.LARK_HTTP_TIMEOUT_MS);
  const lark = overrides.lark ?? new LarkClient({
    appId: config.LARK_APP_ID,
    appSecret: config.LARK_APP_SECRET,
    domain: config.LARK_DOMAIN,
    logger,
    pacer: new RedisSendPacer(pacerRedis, `${config.QUEUE_PREFIX}:pace`),
    limits: { ...larkLimitsFrom(config), ...overrides.larkLimits },
    retry: { maxAttempts: config.LARK_RETRY_ATTEMPTS, baseDelayMs: config.LARK_RETRY_BASE_MS, maxDelayMs: config.LARK_RETRY_MAX_MS, ...overrides.larkRetry },
  });
  const queues = new QueueRegistry(redis, config.QUEUE_PREFIX, logger, { attempts: config.JOB_ATTEMPTS, backoffMs: config.JOB_BACKOFF_MS }, config.SHUTDOWN_GRACE_MS);
  return {
    config,
    logger,
    db,
    redis,
    lark,
    queues,
    now: overrides.now ?? (() => new Date()),
    // Every part is closed even when an earlier one fails, so nothing is left holding a connection.
    close: async () => {
      const errors: unknown[] = [];
      for (const step of [() => queues.close(), () => db.destroy(), async () => redis.disconnect(), async () => pacerRedis.disconnect()]) {
        await step().catch((e: unknown) => errors.push(e));
      }
      if (errors.length) throw errors[0];
    },
  };
}
