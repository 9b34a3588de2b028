// Database and sandbox commands.
import { parseArgs } from 'node:util';
import type { CliCommand } from './command.js';
import { migrateCommand } from './migrate.command.js';
import { runSandbox } from '../sandbox/standalone.js';

export const dbCommands: CliCommand[] = [
  migrateCommand,
  {
    name: 'sandbox',
    summary: 'run the simulated Feishu tenant on its own (point LARK_DOMAIN at it)',
    usage: 'sandbox [--port 8081] [--seed people.csv|users.json]',
    needsContext: false,
    async run(args) {
      const { values } = parseArgs({ args, options: { port: { type: 'string', default: '8081' }, seed: { type: 'string' } } });
      const port = Number(values.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number, got ${values.port}`);
      const sandbox = await runSandbox({ port, seedFile: values.seed });
      // A foreground server: the command ends when the sandbox is stopped (Ctrl-C / SIGTERM).
      await sandbox.stopped;
      return 0;
    },
  },
];
