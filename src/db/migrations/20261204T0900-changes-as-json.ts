// project_changes is an append-only record of what each import or report changed, written in
// bulk (a sheet of new projects writes one row each, about 1 KB) and read back whole, never
// searched inside. jsonb made the server convert every row into its binary form on the way in,
// a third of the cost of writing a change row; json checks the text and keeps it as written.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table project_changes alter column changes type json using changes::json`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table project_changes alter column changes type jsonb using changes::jsonb`.execute(db);
}
