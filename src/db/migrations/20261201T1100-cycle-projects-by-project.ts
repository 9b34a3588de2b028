// A project's history across cycles (its missed streak for the lights, its past outcomes) is looked
// up by project; the primary key leads with cycle_id, so without this every lookup scanned the
// whole of cycle_projects and grew with each cycle opened. `include (status)` answers the streak
// from the index alone.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index cycle_projects_project_idx on cycle_projects (project_id, cycle_id) include (status)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists cycle_projects_project_idx`.execute(db);
}
