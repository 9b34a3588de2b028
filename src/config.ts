// The one place that reads process.env. Everything else receives a typed Config.
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { cycleScheduleConfigSchema, cycleScheduleInputFromStrings, type CycleScheduleConfig } from './domain/cycle-schedule.js';
import { DEFAULT_LIGHT_THRESHOLDS, lightThresholdsSchema, type LightThresholds } from './domain/schedule-lag.js';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

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
  DISPATCH_TZ: z
    .string()
    .default('Asia/Shanghai')
    .refine(isValidTimeZone, { message: 'not a known IANA time zone' }),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
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
  LIGHT_YELLOW_LAG_POINTS: z.coerce.number().min(0).default(5),
  LIGHT_RED_LAG_POINTS: z.coerce.number().min(0).default(15),
  LIGHT_RED_CONSECUTIVE_MISSED: z.coerce.number().int().min(1).default(2),
  // Outbound send rates kept just under Feishu's published limits (50/s per app, 5/s per user).
  SEND_RATE_PER_SECOND: z.coerce.number().int().min(1).max(50).default(50),
  SEND_RATE_PER_RECEIVER: z.coerce.number().int().min(1).max(5).default(5),
});

/** The cycle's settings, derived once from the environment at start-up and passed down typed. */
export type CycleSettings = {
  schedule: CycleScheduleConfig;
  thresholds: LightThresholds;
  tz: string;
  /** Owners with more projects than this get one consolidated card per cycle. */
  consolidateAbove: number;
};

type Env = z.infer<typeof configSchema>;
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

function deriveThresholds(c: Env, ctx: z.RefinementCtx): LightThresholds | undefined {
  const parsed = lightThresholdsSchema.safeParse({
    ...DEFAULT_LIGHT_THRESHOLDS,
    yellowLagPoints: c.LIGHT_YELLOW_LAG_POINTS,
    redLagPoints: c.LIGHT_RED_LAG_POINTS,
    redConsecutiveMissed: c.LIGHT_RED_CONSECUTIVE_MISSED,
    // One missed report is the early (yellow) warning, unless red already comes at one.
    yellowConsecutiveMissed: Math.min(DEFAULT_LIGHT_THRESHOLDS.yellowConsecutiveMissed, c.LIGHT_RED_CONSECUTIVE_MISSED),
  });
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', path: ['LIGHT_YELLOW_LAG_POINTS'], message: `LIGHT_* settings: ${issue.message}` });
  return undefined;
}

// The SDK's WSClient silently refuses app ids not shaped like Feishu's (cli_ + 16 hex digits).
// The schedule and light settings are parsed here, once, so a bad value stops start-up by name.
const configWithModeChecks = configSchema.transform((c, ctx) => {
  if (c.LARK_MODE === 'ws' && !/^cli_[0-9a-fA-F]{16}$/.test(c.LARK_APP_ID)) {
    ctx.addIssue({ code: 'custom', path: ['LARK_APP_ID'], message: 'long-connection mode needs a real app id (cli_ followed by 16 hex digits)' });
  }
  const schedule = deriveSchedule(c, ctx);
  const thresholds = deriveThresholds(c, ctx);
  if (!schedule || !thresholds) return z.NEVER;
  const cycle: CycleSettings = { schedule, thresholds, tz: c.DISPATCH_TZ, consolidateAbove: c.CONSOLIDATE_ABOVE };
  return { ...c, cycle };
});

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
