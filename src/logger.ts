// Structured JSON logs. The request, event or job id travels in AsyncLocalStorage so
// every line written while handling it carries the id without threading loggers around.
import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type LogContext = { requestId?: string; eventId?: string; jobId?: string; job?: string };

const context = new AsyncLocalStorage<LogContext>();

/** Runs fn with ids that every log line inside it will carry. */
export function withLogContext<T>(ctx: LogContext, fn: () => T): T {
  const merged = { ...context.getStore(), ...ctx };
  return context.run(merged, fn);
}

// Secrets must never reach a log line, whatever object a caller hands to the logger.
const REDACT = [
  'appSecret', 'app_secret', 'encryptKey', 'encrypt_key', 'verificationToken', 'token',
  'tenant_access_token', 'authorization', 'Authorization', 'password',
  '*.appSecret', '*.app_secret', '*.encryptKey', '*.encrypt_key', '*.verificationToken', '*.token',
  '*.tenant_access_token', '*.authorization', '*.Authorization', '*.password',
  'headers.authorization', 'config.DATABASE_URL', 'config.REDIS_URL', 'config.LARK_APP_SECRET', 'config.LARK_ENCRYPT_KEY', 'config.LARK_VERIFICATION_TOKEN',
  'LARK_APP_SECRET', 'LARK_ENCRYPT_KEY', 'LARK_VERIFICATION_TOKEN', 'DATABASE_URL', 'REDIS_URL',
];

export function createLogger(level: LevelWithSilent = 'info', opts: { stderr?: boolean; stream?: pino.DestinationStream } = {}): Logger {
  return pino(
    {
      level,
      base: { service: 'dispatch-bot' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT, censor: '[redacted]' },
      mixin: () => ({ ...context.getStore() }),
      formatters: { level: (label) => ({ level: label }) },
    },
    // CLI output owns stdout; its logs go to stderr.
    opts.stream ?? (opts.stderr ? pino.destination(2) : undefined),
  );
}

export type { Logger };
