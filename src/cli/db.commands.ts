// Database and sandbox commands.
import { parseArgs } from 'node:util';
import type { CliCommand } from './command.js';
import { migrateDown, migrateToLatest } from '../db/migrate.js';
import { runSandbox } from '../sandbox/standalone.js';
import { parseSandboxArgs, SANDBOX_USAGE } from '../sandbox/standalone-args.js';

export const dbCommands: CliCommand[] = [
  {
    name: 'migrate',
    summary: 'apply pending migrations (--down reverts the last one)',
    usage: 'migrate [--down]',
    needsContext: true,
    async run(args, ctx, io) {
      const { values } = parseArgs({ args, options: { down: { type: 'boolean', default: false } } });
      const ran = values.down ? await migrateDown(ctx!.db) : await migrateToLatest(ctx!.db);
      io.out(ran.length ? ran.join('\n') : 'nothing to do: the database is up to date');
      return 0;
    },
  },
  {
    name: 'sandbox',
    summary: 'run the simulated Feishu tenant on its own (point LARK_DOMAIN at it)',
    usage: SANDBOX_USAGE,
    needsContext: false,
    async run(args) {
      const sandbox = await runSandbox(parseSandboxArgs(args));
      // A foreground server: the command ends when the sandbox is stopped (Ctrl-C / SIGTERM).
      await sandbox.stopped;
      return 0;
    },
  },
];
