// Lights kept per project and cycle (with the inputs they were judged from, so a later rule
// change does not rewrite the past), exemptions from judging, and what the escalation ladder
// needs beyond the core tables: structured causes, resolution, a 督办 deadline.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table light_exemptions (
      id serial primary key,
      project_id integer not null references projects(id),
      reason text not null check (length(trim(reason)) > 0),
      until date not null,
      created_by text not null,
      created_at timestamptz not null default now(),
      removed_at timestamptz,
      removed_by text
    );
    create index light_exemptions_project_idx on light_exemptions (project_id) where removed_at is null;

    create table project_lights (
      project_id integer not null references projects(id),
      cycle_id integer not null references cycles(id),
      preset text not null,
      light text not null check (light in ('green', 'yellow', 'red', 'none')),
      reasons text[] not null,
      inputs jsonb not null,
      judged_at timestamptz not null,
      primary key (project_id, cycle_id)
    );

    alter table escalations
      add column causes jsonb not null default '[]',
      add column resolved_at timestamptz,
      add column resolution text;
    create index escalations_open_idx on escalations (project_id) where state <> 'resolved';
    create index escalations_target_idx on escalations (target_person_id, state);

    -- Which escalations each leader card shows (a digest shows several), so an action or a
    -- resolution can update every card that shows it. uuid: outbound_messages.uuid.
    create table escalation_cards (
      uuid text primary key,
      person_id integer not null references people(id),
      escalation_ids integer[] not null,
      created_at timestamptz not null default now()
    );
    create index escalation_cards_ids_idx on escalation_cards using gin (escalation_ids);

    alter table escalation_actions add column deadline date;
    alter table escalation_actions add constraint escalation_actions_supervise_deadline check (action <> 'supervise' or deadline is not null);
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    alter table escalation_actions drop constraint if exists escalation_actions_supervise_deadline;
    alter table escalation_actions drop column if exists deadline;
    drop index if exists escalations_target_idx;
    drop index if exists escalations_open_idx;
    alter table escalations drop column if exists resolution, drop column if exists resolved_at, drop column if exists causes;
    drop table if exists escalation_cards;
    drop table if exists project_lights;
    drop table if exists light_exemptions;
  `.execute(db);
}
