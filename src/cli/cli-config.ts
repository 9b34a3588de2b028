// Each CLI command validates only the configuration it uses: `migrate` needs a database, listing
// projects needs the database and Redis, only commands that talk to Feishu need the app's
// credentials. The schemas are composed from the service's own (src/config.ts), so a variable is
// checked the same way whichever entry point reads it.
import { z } from 'zod';
import type { LarkClient } from '../platform/feishu/lark-client.js';
import { ConfigError, configSchema, deriveCycleSettings, type Config, type Env } from '../config.js';

/** What a command (with the arguments it was given) talks to. The database is always needed. */
export type CommandNeeds = { redis: boolean; feishu: boolean };

const FEISHU_KEYS = ['LARK_APP_ID', 'LARK_APP_SECRET', 'LARK_VERIFICATION_TOKEN'] as const;
const REDIS_KEYS = ['REDIS_URL'] as const;

export function cliConfigSchema(needs: CommandNeeds) {
  const shape = { ...configSchema.shape } as Record<string, z.ZodType>;
  // Unused parts stay optional: they are still checked when given, never demanded.
  const relax = (keys: readonly string[]) => {
    for (const k of keys) shape[k] = (shape[k]).optional();
  };
  if (!needs.feishu) relax(FEISHU_KEYS);
  if (!needs.redis) relax(REDIS_KEYS);
  // The same derived settings as the service's configuration (schedule, lights), so a command reads config.cycle alike.
  return z.object(shape).transform((c, ctx) => {
    const cycle = deriveCycleSettings(c as Env, ctx);
    return cycle ? { ...c, cycle } : z.NEVER;
  });
}

/**
 * A Config for a command. Parts the command does not use and the environment does not give are
 * left empty; the CLI hands such a command no Feishu client (see cli.ts), so nothing can use them.
 */
export function parseCliConfig(needs: CommandNeeds, env: Record<string, string | undefined>): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = cliConfigSchema(needs).safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => {
      const name = issue.path.join('.');
      return cleaned[name] === undefined ? `${name}: missing (${issue.message})` : `${name}: ${issue.message}`;
    }));
  }
  const data = result.data as Partial<Config>;
  return {
    ...data,
    LARK_APP_ID: data.LARK_APP_ID ?? '',
    LARK_APP_SECRET: data.LARK_APP_SECRET ?? '',
    LARK_VERIFICATION_TOKEN: data.LARK_VERIFICATION_TOKEN ?? '',
    REDIS_URL: data.REDIS_URL ?? '',
  } as Config;
}

/**
 * The Feishu client of a command that was started without Feishu credentials. Reaching for it is a
 * bug in that command's `needs`, so it fails loudly instead of calling Feishu with empty credentials.
 */
export function feishuNotConfigured(commandName: string): LarkClient {
  return new Proxy({} as LarkClient, {
    get(_target, prop) {
      if (prop === 'then') return undefined;
      throw new Error(`command "${commandName}" was started without Feishu credentials but tried to use Feishu (${String(prop)})`);
    },
  });
}
