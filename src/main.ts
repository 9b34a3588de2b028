// `npm start`: configuration, then the service; SIGTERM/SIGINT stop it in order.
import { ConfigError, loadConfig } from './config.js';

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
