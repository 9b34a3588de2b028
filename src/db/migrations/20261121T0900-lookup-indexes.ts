// Lookups by project (a project's history, its latest report) and the inbound-event pruning scan.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create index reports_project_idx on reports (project_id, cycle_id);
    create index report_revisions_project_idx on report_revisions (project_id, cycle_id);
    create index inbound_events_received_idx on inbound_events (received_at);
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    drop index if exists inbound_events_received_idx;
    drop index if exists report_revisions_project_idx;
    drop index if exists reports_project_idx;
  `.execute(db);
}
