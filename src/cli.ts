// `npm run cli -- <command> [args]`: the admin's tool. Each area keeps its commands in src/cli/*.commands.ts.
import { createInterface } from 'node:readline/promises';
import { ConfigError, processEnv } from './config.js';
import { feishuNotConfigured, parseCliConfig } from './cli/cli-config.js';
import { createAppContext, type AppContext } from './platform/app-context.js';
import { createCliLogger } from './logger.js';
import { isAppError } from './errors.js';
import type { CliCommand, CliIo } from './cli/command.js';
import { dbCommands } from './cli/db.commands.js';
import { registryCommands } from './cli/registry.commands.js';
import { problemCommands } from './cli/problems.commands.js';
import { cycleCommands } from './cli/cycle.commands.js';
import { leagueCommands } from './cli/league.commands.js';
import { escalationCommands } from './cli/escalation.commands.js';

export const commands: CliCommand[] = [...dbCommands, ...registryCommands, ...cycleCommands, ...problemCommands, ...escalationCommands, ...leagueCommands];

function usage(io: CliIo): void {
  io.out('用法 / usage: npm run cli -- <command> [options]\n');
  for (const c of commands) io.out(`  ${c.usage}\n      ${c.summary}`);
}

/** Finds the longest command name that prefixes argv (e.g. 'people sync' before 'people'). */
export function findCommand(argv: string[]): { command: CliCommand; rest: string[] } | undefined {
  const sorted = [...commands].sort((a, b) => b.name.split(' ').length - a.name.split(' ').length);
  for (const command of sorted) {
    const words = command.name.split(' ');
    if (words.every((w, i) => argv[i] === w)) return { command, rest: argv.slice(words.length) };
  }
  return undefined;
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  if (argv.length === 0 || argv[0] === 'help' || argv[0] === '--help') {
    usage(io);
    return argv.length === 0 ? 1 : 0;
  }
  const found = findCommand(argv);
  if (!found) {
    io.err(`unknown command: ${argv.join(' ')}`);
    usage(io);
    return 1;
  }
  let ctx: AppContext | undefined;
  try {
    if (found.command.needsContext) {
      const needs = { redis: true, feishu: true, ...found.command.needs?.(found.rest) };
      const config = parseCliConfig(needs, processEnv());
      ctx = createAppContext(config, {
        logger: createCliLogger(config),
        lark: needs.feishu ? undefined : feishuNotConfigured(found.command.name),
      });
    }
    return await found.command.run(found.rest, ctx, io);
  } catch (e) {
    if (e instanceof ConfigError) io.err(e.message);
    else if (isAppError(e)) io.err(`${e.userMessage} (${e.code}: ${e.message})`);
    else io.err((e as Error).message);
    return 1;
  } finally {
    await ctx?.close();
  }
}

async function askYes(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^(yes|y|是)$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

const isMain = import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/cli.ts') || process.argv[1]?.endsWith('/cli.js');
if (isMain) {
  const io: CliIo = {
    out: (l) => process.stdout.write(`${l}\n`),
    err: (l) => process.stderr.write(`${l}\n`),
    confirm: process.stdin.isTTY ? askYes : undefined,
  };
  runCli(process.argv.slice(2), io).then(
    (code) => process.exit(code),
    (e: unknown) => {
      io.err((e as Error).message);
      process.exit(1);
    },
  );
}
