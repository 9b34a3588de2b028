// The close reads a cycle's lights and escalations by cycle: the league's stored lights, the
// previous close's lights, the newest light of projects with open cases, the cycle's cases for
// the leaders' cards. Both tables' keys lead with project_id, so each of those reads scanned the
// whole table, which grows by a cycle's worth at every close.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index project_lights_cycle_idx on project_lights (cycle_id)`.execute(db);
  await sql`create index escalations_cycle_idx on escalations (cycle_id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists escalations_cycle_idx`.execute(db);
  await sql`drop index if exists project_lights_cycle_idx`.execute(db);
}
