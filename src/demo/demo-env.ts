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
import { ensureLocalServices } from '../devservices/local-services.js';
import { redactUrl } from '../db/database-setup.js';

/** Shaped like a real app id (cli_ + 16 hex): the SDK's long-connection client insists on it. */
export const DEMO_APP = { appId: 'cli_d15a7c4b0e2f9a31', appSecret: 'demo-secret', verificationToken: 'demo-token', encryptKey: 'demo-encrypt-key' };

export type DemoEnv = {
  fake: FakeFeishu;
  driver: FeishuDriver;
  service: Service;
  config: Config;
  databaseUrl: string;
  /** The sandbox tenant's address; its console is served at the root. */
  fakeUrl: string;
  /** Sets the service's clock to a local time in Asia/Shanghai, e.g. '2026-11-20 09:00'. */
  setTime: (local: string) => void;
  /** Waits until the job queues are empty (messages sent, notices delivered). */
  settle: () => Promise<void>;
  stop: () => Promise<void>;
};

export async function startDemoEnv(opts: { seedFile: string; leaveOut: string[]; extraUsers: { name: string; mobile: string }[] }): Promise<DemoEnv> {
  const services = await ensureLocalServices({
    DATABASE_URL: envValue('DEMO_ADMIN_DATABASE_URL') ?? envValue('DATABASE_URL'),
    REDIS_URL: envValue('DEMO_REDIS_URL') ?? envValue('REDIS_URL'),
  }, { postgresPort: portValue('DEMO_PG_PORT'), redisPort: portValue('DEMO_REDIS_PORT') });
  for (const s of services.started) console.log(`(started ${s} for the demo; it is removed at the end)`);
  const redisUrl = services.redisUrl;
  let databaseUrl: string;
  try {
    databaseUrl = await freshDatabase(services.postgresAdminUrl, envValue('DEMO_DATABASE') ?? 'dispatch_demo');
  } catch (e) {
    await services.stop();
    throw e;
  }

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
    fakeUrl,
    setTime: (local) => {
      now = DateTime.fromFormat(local, 'yyyy-MM-dd HH:mm', { zone: config.DISPATCH_TZ }).toJSDate();
    },
    settle,
    stop: async () => {
      await service.stop();
      await fake.stop();
      await deleteKeysByPrefix(config.REDIS_URL, config.QUEUE_PREFIX);
      await services.stop();
    },
  };
}

/** What the demo writes on the database it creates; only a database carrying it is ever dropped. */
export const DEMO_DATABASE_MARK = 'created by npm run demo (dispatch-bot); dropped and recreated by every run';

/**
 * Drops and recreates the demo database, so every run starts from nothing; it is kept afterwards
 * to look at. A database of that name the demo did not create (no mark) is refused, never dropped.
 */
export async function freshDatabase(adminUrl: string, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: adminUrl });
  try {
    await admin.connect();
  } catch (e) {
    throw new Error(`PostgreSQL is not reachable at ${redactUrl(adminUrl)} (${(e as Error).message}); the demo needs a local PostgreSQL, see README.`);
  }
  try {
    const existing = await admin.query<{ mark: string | null }>(
      `select shobj_description(oid, 'pg_database') as mark from pg_database where datname = $1`, [name]);
    if (existing.rows[0] && existing.rows[0].mark !== DEMO_DATABASE_MARK) {
      throw new Error(`A database "${name}" exists that the demo did not create, so the demo will not drop it. `
        + `Run the demo on another database with DEMO_DATABASE=<name>, or drop "${name}" yourself if it is not needed.`);
    }
    await admin.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`);
    await admin.query(`create database ${pg.escapeIdentifier(name)}`);
    await admin.query(`comment on database ${pg.escapeIdentifier(name)} is ${pg.escapeLiteral(DEMO_DATABASE_MARK)}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** DEMO_PG_PORT / DEMO_REDIS_PORT: the ports where the demo looks for running servers (default 5432 / 6379). */
function portValue(name: string): number | undefined {
  const v = envValue(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${name}=${v} is not a port number (1-65535)`);
  return n;
}
