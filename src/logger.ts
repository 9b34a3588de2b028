// Structured JSON logs (or, for a person at a terminal, pino-pretty's readable lines). The request, event or job id travels in AsyncLocalStorage so
// every line written while handling it carries the id without threading loggers around.
import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type Logger, type LevelWithSilent } from 'pino';
import pretty from 'pino-pretty';

export type LogContext = { requestId?: string; eventId?: string; jobId?: string; job?: string };

const context = new AsyncLocalStorage<LogContext>();

/** Runs fn with ids that every log line inside it will carry. */
export function withLogContext<T>(ctx: LogContext, fn: () => T): T {
  const merged = { ...context.getStore(), ...ctx };
  return context.run(merged, fn);
}

/** The ids of the work running now (what withLogContext set), e.g. to attribute database work to a callback. */
export function currentLogContext(): LogContext | undefined {
  return context.getStore();
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

export type LogFormat = 'json' | 'pretty';

/**
 * `LOG_FORMAT=json|pretty` decides; `auto` (the default) is readable lines on a terminal outside
 * production and JSON everywhere else, so log collectors always get JSON.
 */
export function resolveLogFormat(setting: 'json' | 'pretty' | 'auto', nodeEnv: string, isTty: boolean): LogFormat {
  if (setting !== 'auto') return setting;
  return isTty && nodeEnv !== 'production' ? 'pretty' : 'json';
}

export function createLogger(
  level: LevelWithSilent = 'info',
  opts: { stderr?: boolean; stream?: pino.DestinationStream; format?: LogFormat } = {},
): Logger {
  const fd = opts.stderr ? 2 : 1;
  const stream = opts.format === 'pretty'
    ? pretty({
      destination: opts.stream ?? fd,
      sync: true,
      colorize: opts.stream ? false : Boolean((fd === 2 ? process.stderr : process.stdout).isTTY),
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,service',
    })
    : opts.stream ?? (opts.stderr ? pino.destination(2) : undefined);
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
    stream,
  );
}

/** The CLI's logger: warnings and worse on stderr (stdout is the command's output), readable on a terminal. */
export function createCliLogger(c: LogSettings): Logger {
  const format = resolveLogFormat(c.LOG_FORMAT, c.NODE_ENV, Boolean(process.stderr.isTTY));
  return createLogger(c.LOG_LEVEL === 'info' ? 'warn' : c.LOG_LEVEL, { stderr: true, format });
}

/** The service's logger: stdout, in the format the configuration (or the terminal) asks for. */
export function createServiceLogger(c: LogSettings): Logger {
  return createLogger(c.LOG_LEVEL, { format: resolveLogFormat(c.LOG_FORMAT, c.NODE_ENV, Boolean(process.stdout.isTTY)) });
}

type LogSettings = { LOG_LEVEL: LevelWithSilent; LOG_FORMAT: 'json' | 'pretty' | 'auto'; NODE_ENV: string };

export type { Logger };
