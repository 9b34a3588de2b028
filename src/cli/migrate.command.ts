// `migrate [--down] [--yes]`: needs only DATABASE_URL. Creates the database when the server has
// none of that name; going down drops tables and their rows, so it asks first (or takes --yes).
import { parseArgs } from 'node:util';
import { processEnv } from '../config.js';
import { createDb } from '../db/database.js';
import { ensureDatabaseExists, explainDatabaseError, redactUrl } from '../db/database-setup.js';
import { migrateDown, migrateToLatest, migrationState } from '../db/migrate.js';
import { parseCliConfig } from './cli-config.js';
import type { CliCommand, CliIo } from './command.js';

export const migrateCommand: CliCommand = {
  name: 'migrate',
  summary: 'apply pending migrations, creating the database if missing (--down reverts the last one, after asking)',
  usage: 'migrate [--down [--yes]]',
  needsContext: false,
  async run(args, _ctx, io) {
    const { values } = parseArgs({ args, options: { down: { type: 'boolean', default: false }, yes: { type: 'boolean', default: false } } });
    const config = parseCliConfig({ redis: false, feishu: false }, processEnv());
    return runMigrate(config.DATABASE_URL, { down: values.down, yes: values.yes }, io);
  },
};

export async function runMigrate(url: string, opts: { down: boolean; yes: boolean }, io: CliIo): Promise<number> {
  if (!opts.down && (await ensureDatabaseExists(url))) io.out(`created database ${redactUrl(url)}`);
  const db = createDb(url, { max: 2 });
  try {
    let before;
    try {
      before = await migrationState(db);
    } catch (e) {
      throw explainDatabaseError(e, url);
    }
    if (!opts.down) {
      const ran = await migrateToLatest(db);
      if (ran.length) ran.forEach((l) => io.out(l));
      else io.out(`nothing to do: all ${before.applied.length} migrations are applied`);
      return 0;
    }
    const last = before.applied.at(-1);
    if (!last) {
      io.out('nothing to revert: no migration is applied (the database has no schema of this application)');
      return 0;
    }
    const dropsAll = before.applied.length === 1;
    const warning = `This reverts migration ${last} on ${redactUrl(url)}; its tables and every row in them are dropped`
      + (dropsAll ? ' — this is the core schema: ALL projects, people, reports and problems are deleted.' : '.');
    if (!opts.yes) {
      if (!io.confirm) {
        io.err(`${warning}\nRefusing without confirmation: no terminal to ask. Re-run with --yes to go ahead.`);
        return 1;
      }
      if (!(await io.confirm(`${warning}\nType "yes" to continue: `))) {
        io.err('not reverted');
        return 1;
      }
    }
    (await migrateDown(db)).forEach((l) => io.out(l));
    const after = before.applied.length - 1;
    io.out(after === 0
      ? 'no migration is applied now; `migrate` applies them again (the data is gone)'
      : `${after} migration(s) still applied; ${before.pending.length + 1} pending (\`migrate\` re-applies them)`);
    return 0;
  } finally {
    await db.destroy();
  }
}
