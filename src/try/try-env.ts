// What `npm run try` stands up, also used by the browser tests: the simulated Feishu tenant with
// the sample city's people and its console, the real service (HTTP intake, workers, scheduler)
// against it, the sample registry imported, and this month's cycle open with dates around now,
// so whoever opens the console can file a report at once.
import { fileURLToPath } from 'node:url';
import { DateTime } from 'luxon';
import { parseConfig, type Config } from '../config.js';
import { createLogger } from '../logger.js';
import { attachConsole, FakeFeishu, FeishuDriver } from '../sandbox/index.js';
import { startService, type Service } from '../app/service.js';
import { startAppWorkers } from '../app/processors.js';
import { startScheduler } from '../app/scheduler.js';
import { deleteKeysByPrefix } from '../platform/jobs/redis-keys.js';
import { importRegistry } from '../registry/registry-import.js';
import { readSourceFile } from '../registry/sheet-reader.js';
import { grantRole } from '../registry/people-directory.js';
import { syncPeople } from '../registry/people-matcher.js';
import { openCycle } from '../cycle/cycle.service.js';
import { periodKeyFor } from '../domain/period.js';
import type { CycleRow } from '../cycle/cycle.repository.js';

/** Shaped like a real app id (cli_ + 16 hex): the SDK's long-connection client insists on it. */
export const TRY_APP = { appId: 'cli_7e57c0de5a4db0a1', appSecret: 'try-secret', verificationToken: 'try-token', encryptKey: 'try-encrypt-key' };
export const SAMPLE_SHEET = fileURLToPath(new URL('../demo/fixtures/demo-projects.csv', import.meta.url));
/** Someone to receive the system's notices, as a real office would have. */
export const TRY_ADMIN = { name: '林主任', mobile: '13800009999' };
/** How the cycle opened for trying sits around the clock: open already, due in a few days. */
const REMIND_AFTER_HOURS = 24;
const DUE_AFTER_HOURS = 72;

export type TryEnvOptions = {
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
  /** The sandbox's (and so the console's) port; 0 picks a free one. */
  port?: number;
  /** Deliver to the bot over the long connection instead of the webhook. */
  longConnection?: boolean;
  scheduler?: boolean;
  logLevel?: Config['LOG_LEVEL'];
  now?: () => Date;
};

export type TryEnv = {
  fake: FakeFeishu;
  driver: FeishuDriver;
  service: Service;
  config: Config;
  consoleUrl: string;
  cycle: CycleRow;
  projects: number;
  owners: number;
  stop: () => Promise<void>;
};

export async function startTryEnv(opts: TryEnvOptions): Promise<TryEnv> {
  const now = opts.now ?? (() => new Date());
  const fake = new FakeFeishu({ apps: { [TRY_APP.appId]: TRY_APP.appSecret }, now: () => now().getTime() });
  const stops: (() => Promise<void>)[] = [];
  const stop = async (): Promise<void> => {
    const errors: unknown[] = [];
    for (const s of stops.splice(0).reverse()) await s().catch((e: unknown) => errors.push(e));
    if (errors.length) throw errors[0];
  };
  try {
    const fakeUrl = await fake.start(opts.port ?? 0);
    stops.push(() => fake.stop());
    await fake.seedDirectoryFromFile(SAMPLE_SHEET);
    fake.addUser(TRY_ADMIN);

    const config = parseConfig({
      LARK_APP_ID: TRY_APP.appId,
      LARK_APP_SECRET: TRY_APP.appSecret,
      LARK_VERIFICATION_TOKEN: TRY_APP.verificationToken,
      LARK_ENCRYPT_KEY: TRY_APP.encryptKey,
      LARK_DOMAIN: fakeUrl,
      LARK_MODE: opts.longConnection ? 'ws' : 'webhook',
      DATABASE_URL: opts.databaseUrl,
      REDIS_URL: opts.redisUrl,
      PORT: '0',
      LOG_LEVEL: opts.logLevel ?? 'warn',
      QUEUE_PREFIX: opts.queuePrefix,
      // Started below, once the cycle's dates are set: a prompt must not go out with the
      // period's nominal due date.
      RUN_WORKERS: 'false',
      RUN_SCHEDULER: 'false',
    });
    stops.push(() => deleteKeysByPrefix(config.REDIS_URL, config.QUEUE_PREFIX));
    const service = await startService(config, { logger: createLogger(config.LOG_LEVEL), now });
    stops.push(() => service.stop());
    const { ctx } = service;
    const deps = { db: ctx.db, lark: ctx.lark, logger: ctx.logger, now: ctx.now };

    const outcome = await importRegistry(deps, { file: await readSourceFile(SAMPLE_SHEET), actor: '试用（npm run try）' });
    if (!outcome.ok) throw new Error('the sample registry did not import');
    await grantRole(deps, { ...TRY_ADMIN, role: 'admin', actor: '试用' });
    await syncPeople(deps);

    const opened = await openCycle(ctx, 'monthly', periodKeyFor('monthly', now(), config.DISPATCH_TZ));
    // The period's configured dates may lie behind today (after the 25th) or ahead of it: put
    // this cycle around the clock so it is open, not past due, whatever the day.
    const at = DateTime.fromJSDate(now());
    const cycle = await ctx.db
      .updateTable('cycles')
      .set({ open_at: at.minus({ minutes: 1 }).toJSDate(), remind_at: at.plus({ hours: REMIND_AFTER_HOURS }).toJSDate(), due_at: at.plus({ hours: DUE_AFTER_HOURS }).toJSDate(), state: 'open' })
      .where('id', '=', opened.cycle.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    startAppWorkers(ctx);
    if (opts.scheduler) {
      const scheduler = await startScheduler(ctx);
      stops.push(() => scheduler.stop());
    }

    const driver = new FeishuDriver({
      targetUrl: `http://127.0.0.1:${service.port}/lark/events`,
      appId: TRY_APP.appId,
      verificationToken: TRY_APP.verificationToken,
      encryptKey: TRY_APP.encryptKey,
      fake,
    });
    driver.viaWebSocket = opts.longConnection === true;
    if (opts.longConnection) await connected(fake);
    attachConsole(fake, { driver });
    return { fake, driver, service, config, consoleUrl: `${fakeUrl}/`, cycle, projects: opened.projects, owners: opened.owners, stop };
  } catch (e) {
    await stop().catch(() => undefined);
    throw e;
  }
}

/** The service's long connection is up, so the first thing a person does is not lost. */
async function connected(fake: FakeFeishu, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (fake.webSocketClients(TRY_APP.appId) === 0) {
    if (Date.now() > deadline) throw new Error('the service did not open its long connection to the sandbox');
    await new Promise((r) => setTimeout(r, 100));
  }
}
