// Database and sandbox commands.
import type { CliCommand } from './command.js';
import { migrateCommand } from './migrate.command.js';
import { runSandbox } from '../sandbox/standalone.js';
import { parseSandboxArgs, SANDBOX_USAGE } from '../sandbox/standalone-args.js';

export const dbCommands: CliCommand[] = [
  migrateCommand,
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
