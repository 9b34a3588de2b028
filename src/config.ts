// The one place that reads process.env. Everything else receives a typed Config.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { cycleScheduleConfigSchema, cycleScheduleInputFromStrings, type CycleScheduleConfig } from './domain/cycle-schedule.js';
import { PRESETS, lightRulesSchema, type LightRules } from './domain/lights.js';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** A rate limit: a whole number of calls, at least 1, with its published value as the default. */
const rate = (published: number) => z.coerce.number().int().min(1).max(1_000_000).default(published);

export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LARK_APP_ID: z.string().min(1, 'required'),
  LARK_APP_SECRET: z.string().min(1, 'required'),
  // 'feishu' and 'lark' map to the SDK's domains; any http(s) URL (e.g. the sandbox) is used as-is.
  LARK_DOMAIN: z
    .string()
    .default('feishu')
    .refine((v) => v === 'feishu' || v === 'lark' || /^https?:\/\/[^/]+(:\d+)?$/.test(v), {
      message: "expected 'feishu', 'lark' or a URL like http://127.0.0.1:8081 (no trailing slash)",
    }),
  LARK_VERIFICATION_TOKEN: z.string().min(1, 'required'),
  // Optional on the Feishu console; when set, events arrive encrypted and signed with it.
  LARK_ENCRYPT_KEY: z.string().default(''),
  LARK_MODE: z.enum(['webhook', 'ws']).default('webhook'),
  DATABASE_URL: z
    .string()
    .min(1, 'required')
    .refine((v) => /^postgres(ql)?:\/\//.test(v), { message: 'expected a postgres:// URL' }),
  REDIS_URL: z
    .string()
    .min(1, 'required')
    .refine((v) => /^rediss?:\/\//.test(v), { message: 'expected a redis:// URL' }),
  // 0 picks a free port (tests, the demo).
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Address the HTTP server binds: loopback unless told (the Docker image sets 0.0.0.0). */
  HOST: z.string().min(1).default('127.0.0.1'),
  DISPATCH_TZ: z
    .string()
    .default('Asia/Shanghai')
    .refine(isValidTimeZone, { message: 'not a known IANA time zone' }),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // auto: readable lines on a terminal outside production, JSON otherwise (src/logger.ts).
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
  // Which roles run in this process: the HTTP intake, the job workers, the cron scheduler.
  RUN_HTTP: bool.default(true),
  RUN_WORKERS: bool.default(true),
  RUN_SCHEDULER: bool.default(true),
  QUEUE_PREFIX: z.string().default('dispatch'),
  // Owners with more projects than this get one consolidated card instead of one per project.
  CONSOLIDATE_ABOVE: z.coerce.number().int().min(1).max(50).default(5),
  WEEKLY_OPEN: z.string().default('1 09:00'),
  WEEKLY_REMIND: z.string().default('3 15:00'),
  WEEKLY_DUE: z.string().default('5 18:00'),
  MONTHLY_OPEN: z.string().default('20 09:00'),
  MONTHLY_REMIND: z.string().default('23 15:00'),
  MONTHLY_DUE: z.string().default('25 18:00'),
  // Warning lights: a named preset of published city rules (src/domain/lights.ts); each LIGHT_*
  // below, when set, overrides that threshold of the preset.
  LIGHT_PRESET: z.enum(['yinchuan', 'sanya']).default('yinchuan'),
  LIGHT_YELLOW_LAG_POINTS: z.coerce.number().min(0).optional(),
  LIGHT_RED_LAG_POINTS: z.coerce.number().min(0).optional(),
  LIGHT_YELLOW_CONSECUTIVE_MISSED: z.coerce.number().int().min(1).optional(),
  LIGHT_RED_CONSECUTIVE_MISSED: z.coerce.number().int().min(1).optional(),
  LIGHT_NOT_STARTED_YELLOW_MONTHS: z.coerce.number().int().min(0).optional(),
  LIGHT_NOT_STARTED_RED_MONTHS: z.coerce.number().int().min(0).optional(),
  LIGHT_UNREGISTERED_YELLOW_MONTHS: z.coerce.number().int().min(0).optional(),
  LIGHT_UNREGISTERED_RED_MONTHS: z.coerce.number().int().min(0).optional(),
  // Escalation ladder (src/domain/escalation-rules.ts).
  ESCALATION_PROBLEM_DAYS: z.coerce.number().int().min(1).default(14),
  ESCALATION_URGENT: bool.default(false),
  // A leader with at least this many escalations in one cycle and level gets one digest card.
  ESCALATION_DIGEST_FROM: z.coerce.number().int().min(2).max(20).default(2),
  // Fresh cards for open escalations and problems this many days after the last one (Feishu: 14).
  CARD_REFRESH_DAYS: z.coerce.number().int().min(1).max(13).default(12),
  // Outbound call rates. The defaults are Feishu's published limits (feishu-facts §1: 50/s and
  // 1000/min per API and app, 5/s per receiver, 5/s per card message); raise one only as far as
  // your own tenant's quota for that API allows, or Feishu answers 429 and the calls wait.
  SEND_RATE_PER_SECOND: rate(50),
  SEND_RATE_PER_MINUTE: rate(1000),
  SEND_RATE_PER_RECEIVER: rate(5),
  PATCH_RATE_PER_SECOND: rate(50),
  PATCH_RATE_PER_MINUTE: rate(1000),
  PATCH_RATE_PER_MESSAGE: rate(5),
  CARD_UPDATE_RATE_PER_SECOND: rate(50),
  CARD_UPDATE_RATE_PER_MINUTE: rate(1000),
  URGENT_RATE_PER_SECOND: rate(50),
  URGENT_RATE_PER_MINUTE: rate(1000),
  CONTACT_RATE_PER_SECOND: rate(50),
  CONTACT_RATE_PER_MINUTE: rate(1000),
  IMAGE_RATE_PER_SECOND: rate(50),
  IMAGE_RATE_PER_MINUTE: rate(1000),
  // Database connections per process. The default suits the machine (4 per core): enough to keep
  // Postgres busy while others wait on the network, few enough that a burst queues in the pool
  // (bounded by the intake limit below) rather than in Postgres.
  DB_POOL_MAX: z.coerce.number().int().min(1).max(500).default(Math.max(4, availableParallelism() * 4)),
  DB_POOL_IDLE_MS: z.coerce.number().int().min(1000).default(30_000),
  // How long a query may wait for a free connection before it fails (and its caller answers).
  DB_POOL_WAIT_MS: z.coerce.number().int().min(100).default(10_000),
  // Back-pressure: card callbacks worked on at once; one more waits for a slot at most
  // INTAKE_MAX_WAIT_MS, then is refused with 「系统繁忙，请稍后再试」 and nothing stored, so every
  // accepted one is answered with its real result inside Feishu's 3 s (README, Benchmarks).
  // 0 turns the limit off.
  INTAKE_MAX_IN_FLIGHT: z.coerce.number().int().min(0).default(Math.max(4, availableParallelism() * 4)),
  INTAKE_MAX_WAIT_MS: z.coerce.number().int().min(0).default(1000),
  // Outbound retries, in two layers. One Feishu call is tried up to LARK_RETRY_ATTEMPTS times,
  // waiting exponentially from LARK_RETRY_BASE_MS up to LARK_RETRY_MAX_MS (or as long as
  // x-ogw-ratelimit-reset says); a call with no answer after LARK_HTTP_TIMEOUT_MS has failed.
  // A job whose calls still fail runs again, JOB_ATTEMPTS runs in all, waiting exponentially
  // from JOB_BACKOFF_MS (the defaults: 1 s … 64 s, about two minutes). Then it is given up and,
  // for prompts and reminders, reported to the admins. Tests shorten them; production need not.
  LARK_HTTP_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  LARK_RETRY_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(6),
  LARK_RETRY_BASE_MS: z.coerce.number().int().min(1).max(60_000).default(250),
  LARK_RETRY_MAX_MS: z.coerce.number().int().min(1).max(600_000).default(8000),
  JOB_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  JOB_BACKOFF_MS: z.coerce.number().int().min(1).max(3_600_000).default(1000),
  // On stop, workers finish the jobs they hold for at most this long; then their connections are
  // cut and the jobs they held are run again by another worker (every job is idempotent), so a
  // deploy or a test never waits for ever on a job stuck behind an unreachable Redis.
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  // After a busy spell, once the event loop has been idle this long and the heap has grown, one
  // compacting GC gives the young generation and emptied old-space pages back to the system
  // (src/platform/idle-memory.ts; README, "RSS"). 0 turns it off.
  MEMORY_RELEASE_IDLE_MS: z.coerce.number().int().min(0).max(600_000).default(5000),
  // How far V8's old generation may grow past its live heap before the next full GC, per cent
  // (src/platform/idle-memory.ts, limitHeapGrowth; README, "RSS"). 0 leaves V8's own factor.
  HEAP_GROWING_PERCENT: z.coerce.number().int().min(0).max(400).default(25),
});

/** The cycle's settings, derived once from the environment at start-up and passed down typed. */
export type CycleSettings = {
  schedule: CycleScheduleConfig;
  /** The light rules: the configured preset with its LIGHT_* overrides. */
  thresholds: LightRules;
  tz: string;
  /** Owners with more projects than this get one consolidated card per cycle. */
  consolidateAbove: number;
};

export type Env = z.infer<typeof configSchema>;
const POINT_FORMAT = { weekly: "'<weekday 1-7> HH:MM'", monthly: "'<day 1-28> HH:MM'" } as const;

/** The schedule strings as the domain's config; each issue is named by the variable that caused it. */
function deriveSchedule(c: Env, ctx: z.RefinementCtx): CycleScheduleConfig | undefined {
  const parsed = cycleScheduleConfigSchema.safeParse(
    cycleScheduleInputFromStrings({
      weekly: { open: c.WEEKLY_OPEN, remind: c.WEEKLY_REMIND, due: c.WEEKLY_DUE },
      monthly: { open: c.MONTHLY_OPEN, remind: c.MONTHLY_REMIND, due: c.MONTHLY_DUE },
    }),
  );
  if (parsed.success) return parsed.data;
  // The order of the points is reported only for a cadence whose points each parsed.
  const badPoints = new Set(parsed.error.issues.filter((i) => i.path.length > 1).map((i) => i.path[0]));
  for (const issue of parsed.error.issues) {
    const [kind, point] = issue.path as ['weekly' | 'monthly', 'open' | 'remind' | 'due' | undefined];
    if (!point && badPoints.has(kind)) continue;
    const prefix = kind === 'weekly' ? 'WEEKLY' : 'MONTHLY';
    if (point) {
      const name = `${prefix}_${point.toUpperCase()}` as keyof Env;
      ctx.addIssue({ code: 'custom', path: [name], message: `${JSON.stringify(c[name])}: ${issue.message} (expected ${POINT_FORMAT[kind]})` });
    } else {
      const given = (['OPEN', 'REMIND', 'DUE'] as const).map((p) => `${prefix}_${p}=${JSON.stringify(c[`${prefix}_${p}` as const])}`).join(', ');
      ctx.addIssue({ code: 'custom', path: [`${prefix}_OPEN`], message: `${issue.message} (${given})` });
    }
  }
  return undefined;
}

function deriveThresholds(c: Env, ctx: z.RefinementCtx): LightRules | undefined {
  const overrides = {
    yellowLag: c.LIGHT_YELLOW_LAG_POINTS,
    redLag: c.LIGHT_RED_LAG_POINTS,
    // One missed report is the early (yellow) warning, unless red already comes at one.
    yellowMissed: c.LIGHT_YELLOW_CONSECUTIVE_MISSED ?? (c.LIGHT_RED_CONSECUTIVE_MISSED === 1 ? 1 : undefined),
    redMissed: c.LIGHT_RED_CONSECUTIVE_MISSED,
    notStartedYellowMonths: c.LIGHT_NOT_STARTED_YELLOW_MONTHS,
    notStartedRedMonths: c.LIGHT_NOT_STARTED_RED_MONTHS,
    unregisteredYellowMonths: c.LIGHT_UNREGISTERED_YELLOW_MONTHS,
    unregisteredRedMonths: c.LIGHT_UNREGISTERED_RED_MONTHS,
  };
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const parsed = lightRulesSchema.safeParse({ ...PRESETS[c.LIGHT_PRESET], ...defined, preset: c.LIGHT_PRESET });
  if (parsed.success) return parsed.data;
  const culprit = (m: string): string =>
    m.includes('lag') ? 'LIGHT_YELLOW_LAG_POINTS' : m.includes('missed') ? 'LIGHT_YELLOW_CONSECUTIVE_MISSED' : m.includes('not-started') ? 'LIGHT_NOT_STARTED_YELLOW_MONTHS' : m.includes('not-registered') ? 'LIGHT_UNREGISTERED_YELLOW_MONTHS' : 'LIGHT_PRESET';
  for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', path: [culprit(issue.message)], message: `LIGHT_* settings: ${issue.message}` });
  return undefined;
}

// The SDK's WSClient silently refuses app ids not shaped like Feishu's (cli_ + 16 hex digits).
// The schedule and light settings are parsed here, once, so a bad value stops start-up by name.
const configWithModeChecks = configSchema.transform((c, ctx) => {
  if (c.LARK_MODE === 'ws' && !/^cli_[0-9a-fA-F]{16}$/.test(c.LARK_APP_ID)) {
    ctx.addIssue({ code: 'custom', path: ['LARK_APP_ID'], message: 'long-connection mode needs a real app id (cli_ followed by 16 hex digits)' });
  }
  const cycle = deriveCycleSettings(c, ctx);
  if (!cycle) return z.NEVER;
  return { ...c, cycle };
});

/** The schedule and light settings from the environment, each problem named by its variable; the CLI's schemas use it too. */
export function deriveCycleSettings(c: Env, ctx: z.RefinementCtx): CycleSettings | undefined {
  const schedule = deriveSchedule(c, ctx);
  const thresholds = deriveThresholds(c, ctx);
  if (!schedule || !thresholds) return undefined;
  return { schedule, thresholds, tz: c.DISPATCH_TZ, consolidateAbove: c.CONSOLIDATE_ABOVE };
}

export type Config = z.output<typeof configWithModeChecks>;

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Parses an environment; throws ConfigError listing every bad or missing variable at once. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  // Empty strings count as unset, the way a blank line in a .env file is meant.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = configWithModeChecks.safeParse(cleaned);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join('.');
    const missing = cleaned[name] === undefined;
    return missing ? `${name}: missing (${issue.message})` : `${name}: ${issue.message}`;
  });
  throw new ConfigError(problems);
}

let loaded: Config | undefined;

/** Loads the process configuration once; a `.env` file in the working directory fills in unset variables. */
export function loadConfig(opts: { envFile?: string } = {}): Config {
  if (loaded) return loaded;
  const file = opts.envFile ?? '.env';
  if (existsSync(file)) process.loadEnvFile(file);
  loaded = parseConfig(process.env);
  return loaded;
}

/** Raw access for the few tools that must look before a Config exists (e.g. `cli sandbox`). */
export function envValue(name: string): string | undefined {
  return process.env[name];
}

/**
 * The process environment with a `.env` file in the working directory filled in, for entry points
 * that validate only the part of the configuration they use (the CLI, see src/cli/cli-config.ts).
 */
export function processEnv(opts: { envFile?: string } = {}): Record<string, string | undefined> {
  const file = opts.envFile ?? '.env';
  if (existsSync(file)) process.loadEnvFile(file);
  return process.env;
}
