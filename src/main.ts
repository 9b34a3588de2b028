// `npm start`: configuration, then the service; SIGTERM/SIGINT stop it in order.
import { ConfigError, loadConfig } from './config.js';

/** Exit code for an unrecoverable fault after start (EX_SOFTWARE). 2: bad configuration; 1: failed to start. */
const EXIT_FAULT = 70;

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`dispatch-bot cannot start.\n${e.message}\nSee README.md, section "Configuration".\n`);
      process.exit(2);
    }
    throw e;
  }
  // Imported only once the configuration is known good, so a bad environment never gets further.
  const { startService } = await import('./app/service.js');
  const service = await startService(config);
  // What nothing handled (a bug, a broken invariant) leaves the process in an unknown state:
  // log it as JSON, stop what can be stopped within a few seconds, and exit non-zero so the
  // supervisor (Compose's restart: unless-stopped, systemd, Kubernetes) starts a clean one.
  const fatal = (kind: string) => (e: unknown) => {
    service.ctx.logger.fatal({ kind, err: e instanceof Error ? e.message : String(e), stack: e instanceof Error ? e.stack : undefined }, 'unrecoverable fault; exiting for a restart');
    setTimeout(() => process.exit(EXIT_FAULT), 5000).unref();
    void service.stop().finally(() => process.exit(EXIT_FAULT));
  };
  process.on('uncaughtException', fatal('uncaughtException'));
  process.on('unhandledRejection', fatal('unhandledRejection'));
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    service.ctx.logger.info({ signal }, 'stopping');
    service.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        service.ctx.logger.error({ err: (e as Error).message }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((e: unknown) => {
  process.stderr.write(`dispatch-bot failed to start: ${(e as Error).message}\n`);
  process.exit(1);
});
