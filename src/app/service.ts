// The running service: HTTP intake (or long connection), job workers and the scheduler, each
// switchable by config so they can run as separate processes. Stop order: intake, scheduler, workers, pools.
import type { Config } from '../config.js';
import { createAppContext, type AppContext, type AppContextOverrides } from '../platform/app-context.js';
import { migrateToLatest } from '../db/migrate.js';
import { explainDatabaseError } from '../db/database-setup.js';
import { createEventDispatcher, startLongConnection } from '../platform/feishu/lark-intake.js';
import { HttpServer } from '../platform/http-server.js';
import { limitHeapGrowth, startIdleMemory } from '../platform/idle-memory.js';
import { createMetrics } from '../platform/metrics.js';
import { createIntakeHandlers } from './intake-handlers.js';
import { startAppWorkers } from './processors.js';
import { startScheduler } from './scheduler.js';

export type Service = { ctx: AppContext; port?: number; stop: () => Promise<void> };

export async function startService(config: Config, overrides: AppContextOverrides = {}): Promise<Service> {
  limitHeapGrowth(config.HEAP_GROWING_PERCENT);
  const ctx = createAppContext(config, overrides);
  const log = ctx.logger;
  const stops: (() => Promise<void> | void)[] = [];
  try {
    const applied = await migrateToLatest(ctx.db).catch((e: unknown) => {
      throw explainDatabaseError(e, config.DATABASE_URL);
    });
    if (applied.length) log.info({ applied }, 'migrations applied');

    const metrics = createMetrics();
    const dispatcher = createEventDispatcher({
      encryptKey: config.LARK_ENCRYPT_KEY,
      verificationToken: config.LARK_VERIFICATION_TOKEN,
      logger: log,
      handlers: createIntakeHandlers(ctx),
    });

    let port: number | undefined;
    if (config.RUN_HTTP) {
      // Health and metrics are served in both modes; /lark/events only matters for webhooks.
      const http = new HttpServer({ ...ctx, metrics, dispatcher, encryptKey: config.LARK_ENCRYPT_KEY, verificationToken: config.LARK_VERIFICATION_TOKEN });
      port = await http.start(config.PORT, config.HOST);
      stops.push(() => http.stop());
      log.info({ host: config.HOST, port, mode: config.LARK_MODE }, 'http server listening');
    }
    if (config.LARK_MODE === 'ws') {
      const ws = startLongConnection({ appId: config.LARK_APP_ID, appSecret: config.LARK_APP_SECRET, domain: config.LARK_DOMAIN, logger: log, dispatcher });
      stops.push(() => ws.close());
      log.info('long connection started');
    }
    if (config.RUN_SCHEDULER) {
      const scheduler = await startScheduler(ctx);
      stops.push(() => scheduler.stop());
    }
    if (config.RUN_WORKERS) startAppWorkers(ctx);
    if (config.MEMORY_RELEASE_IDLE_MS > 0) {
      const idle = startIdleMemory({ windowMs: config.MEMORY_RELEASE_IDLE_MS, logger: log });
      stops.push(() => idle.stop());
    }

    return {
      ctx,
      port,
      stop: async () => {
        const errors: unknown[] = [];
        for (const stop of stops.splice(0)) {
          try {
            await stop();
          } catch (e) {
            errors.push(e);
            log.error({ err: (e as Error).message }, 'error while stopping a part of the service');
          }
        }
        await ctx.close();
        log.info('service stopped');
        if (errors.length) throw errors[0];
      },
    };
  } catch (e) {
    for (const stop of stops.splice(0)) await stop();
    await ctx.close();
    throw e;
  }
}
