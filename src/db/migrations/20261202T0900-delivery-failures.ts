// Prompts and reminders given up for good (refused by Feishu, out of attempts, or a job BullMQ
// failed after it stalled too often), one row per owner, cycle and kind: what `cycle status`
// lists as not delivered and why, and what the admins' one notice per burst of failures lists.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table delivery_failures (
      cycle_id integer not null references cycles(id),
      person_id integer not null references people(id),
      kind text not null check (kind in ('prompt', 'reminder', 'final-reminder')),
      reason text not null,
      failed_at timestamptz not null,
      notified_at timestamptz,
      primary key (cycle_id, person_id, kind)
    );
    create index delivery_failures_unnotified_idx on delivery_failures (cycle_id) where notified_at is null;
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists delivery_failures`.execute(db);
}
