// League tables (擂台), group posts and the figures they need: the cumulative since a project
// started (开工以来累计完成投资), seeded by the sheet and carried by monthly reports; each
// region's last-year same-period figure for year-on-year growth; regions exempted from the
// ranking; and which card a group got for a cycle (posts are idempotent by these rows).
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table projects add column since_start_investment numeric(18, 4) check (since_start_investment >= 0);
    alter table reports add column since_start_investment numeric(18, 4) check (since_start_investment >= 0);
    alter table report_revisions add column since_start_investment numeric(18, 4);

    -- 上年同期: a region's completed investment in the same months of the year before.
    create table region_baselines (
      region_id integer not null references regions(id) on delete cascade,
      year integer not null check (year between 2000 and 2100),
      through_month integer not null check (through_month between 1 and 12),
      amount numeric(18, 4) not null check (amount >= 0),
      updated_by text not null,
      updated_at timestamptz not null default now(),
      primary key (region_id, year, through_month)
    );

    -- A region shown in the table but not ranked (开发区 without a plan target, 不可抗力 …).
    create table region_league_exemptions (
      region_id integer primary key references regions(id) on delete cascade,
      reason text not null check (length(trim(reason)) > 0),
      created_by text not null,
      created_at timestamptz not null default now()
    );

    alter table chat_groups add column bound_by text;
    alter table chat_groups add column bound_at timestamptz;
    create unique index chat_groups_dispatch_unique on chat_groups ((purpose)) where purpose = 'dispatch';
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    drop index if exists chat_groups_dispatch_unique;
    alter table chat_groups drop column if exists bound_at, drop column if exists bound_by;
    drop table if exists region_league_exemptions, region_baselines;
    alter table report_revisions drop column if exists since_start_investment;
    alter table reports drop column if exists since_start_investment;
    alter table projects drop column if exists since_start_investment;
  `.execute(db);
}
