// Core schema. Frozen once landed: later changes are new migrations.
// Money is numeric(18,4) in 万元 (4 decimals = 1 yuan); times are timestamptz; plain days are date.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table regions (
      id serial primary key,
      name text not null unique check (length(trim(name)) > 0),
      kind text not null default '其他' check (kind in ('县', '市', '区', '开发区', '其他')),
      sort_order integer not null default 0,
      created_at timestamptz not null default now()
    );

    create table people (
      id serial primary key,
      name text not null check (length(trim(name)) > 0),
      mobile text unique check (mobile ~ '^(\\+\\d{1,4})?\\d{5,15}$'),
      email text unique,
      open_id text unique,
      user_id text,
      match_status text not null default 'unmatched'
        check (match_status in ('unmatched', 'matched', 'not_found')),
      matched_at timestamptz,
      prompted_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check (mobile is not null or email is not null or open_id is not null)
    );

    create table departments (
      id serial primary key,
      name text not null unique check (length(trim(name)) > 0),
      contact_person_id integer references people(id) on delete set null,
      created_at timestamptz not null default now()
    );

    create table imports (
      id serial primary key,
      file_name text not null,
      file_sha256 text not null,
      sheet text,
      actor text not null,
      row_count integer not null,
      created_count integer not null default 0,
      updated_count integer not null default 0,
      unchanged_count integer not null default 0,
      retired_count integer not null default 0,
      created_at timestamptz not null default now()
    );

    create table projects (
      id serial primary key,
      code text not null unique check (length(trim(code)) > 0),
      name text not null check (length(trim(name)) > 0),
      legal_entity text,
      location text,
      region_id integer not null references regions(id),
      industry text,
      stage text not null check (stage in ('谋划', '前期', '新开工', '续建', '竣工', '投产')),
      lists text[] not null default '{}',
      dispatch_frequency text not null check (dispatch_frequency in ('weekly', 'monthly')),
      total_investment numeric(18, 4) not null check (total_investment >= 0),
      annual_plan numeric(18, 4) not null default 0 check (annual_plan >= 0),
      investor_type text,
      planned_start date,
      planned_finish date,
      owner_id integer references people(id),
      leader_id integer references people(id),
      vice_mayor_id integer references people(id),
      department_id integer references departments(id),
      started boolean not null default false,
      completed boolean not null default false,
      registered boolean not null default false,
      started_on date,
      completed_on date,
      registered_on date,
      ytd_year integer,
      ytd_investment numeric(18, 4) not null default 0 check (ytd_investment >= 0),
      active boolean not null default true,
      retired_at timestamptz,
      last_import_id integer references imports(id),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      updated_by text,
      check (annual_plan <= total_investment),
      check (planned_finish is null or planned_start is null or planned_finish >= planned_start)
    );
    create index projects_owner_idx on projects (owner_id);
    create index projects_region_idx on projects (region_id);

    -- Field-level audit of registry changes: who changed what, when, and from which source.
    create table project_changes (
      id bigserial primary key,
      project_id integer not null references projects(id) on delete cascade,
      import_id integer references imports(id),
      changed_by text not null,
      changes jsonb not null,
      created_at timestamptz not null default now()
    );
    create index project_changes_project_idx on project_changes (project_id, created_at);

    -- Admins (project_id null) and delegates (联络员) who file for a project's owner.
    create table person_grants (
      id serial primary key,
      person_id integer not null references people(id) on delete cascade,
      role text not null check (role in ('admin', 'delegate')),
      project_id integer references projects(id) on delete cascade,
      granted_by text not null,
      created_at timestamptz not null default now(),
      check ((role = 'admin') = (project_id is null))
    );
    create unique index person_grants_unique on person_grants (person_id, role, coalesce(project_id, 0));

    -- Local days off (or extra workdays) an admin adds on top of the national calendar.
    create table calendar_overrides (
      day date primary key,
      kind text not null check (kind in ('off', 'work')),
      note text,
      created_by text not null,
      created_at timestamptz not null default now()
    );

    create table cycles (
      id serial primary key,
      kind text not null check (kind in ('weekly', 'monthly')),
      period_key text not null,
      open_at timestamptz not null,
      remind_at timestamptz not null,
      due_at timestamptz not null,
      state text not null default 'open' check (state in ('open', 'closed')),
      opened_at timestamptz not null default now(),
      reminded_at timestamptz,
      final_reminded_at timestamptz,
      closed_at timestamptz,
      created_at timestamptz not null default now(),
      unique (kind, period_key),
      check (open_at <= remind_at and remind_at <= due_at)
    );

    -- Which projects a cycle covers, frozen when it opens, and each one's reporting outcome.
    create table cycle_projects (
      cycle_id integer not null references cycles(id) on delete cascade,
      project_id integer not null references projects(id),
      owner_id integer references people(id),
      region_id integer not null references regions(id),
      status text not null default 'pending' check (status in ('pending', 'reported', 'late', 'missed')),
      reported_at timestamptz,
      primary key (cycle_id, project_id)
    );
    create index cycle_projects_owner_idx on cycle_projects (owner_id, cycle_id);

    -- The current answer per (project, cycle); every version, this one included, is in report_revisions.
    create table reports (
      id serial primary key,
      cycle_id integer not null references cycles(id),
      project_id integer not null references projects(id),
      revision integer not null default 1 check (revision >= 1),
      period_investment numeric(18, 4) not null check (period_investment >= 0),
      ytd_investment numeric(18, 4) not null check (ytd_investment >= 0),
      stage text not null check (stage in ('谋划', '前期', '新开工', '续建', '竣工', '投产')),
      started boolean not null,
      completed boolean not null,
      registered boolean not null,
      progress text not null default '',
      no_change boolean not null default false,
      late boolean not null default false,
      submitted_by integer not null references people(id),
      submitted_at timestamptz not null,
      via text not null check (via in ('card', 'chat', 'cli', 'import')),
      source_message_id text,
      source_event_id text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (cycle_id, project_id)
    );

    create table report_revisions (
      id bigserial primary key,
      report_id integer not null references reports(id) on delete cascade,
      cycle_id integer not null references cycles(id),
      project_id integer not null references projects(id),
      revision integer not null check (revision >= 1),
      period_investment numeric(18, 4) not null check (period_investment >= 0),
      ytd_investment numeric(18, 4) not null check (ytd_investment >= 0),
      stage text not null,
      started boolean not null,
      completed boolean not null,
      registered boolean not null,
      progress text not null default '',
      no_change boolean not null default false,
      late boolean not null default false,
      reason text,
      submitted_by integer not null references people(id),
      submitted_at timestamptz not null,
      via text not null,
      source_message_id text,
      source_event_id text unique,
      created_at timestamptz not null default now(),
      unique (report_id, revision)
    );

    create table report_photos (
      id serial primary key,
      report_id integer not null references reports(id) on delete cascade,
      image_key text not null,
      source_message_id text not null,
      sent_by integer not null references people(id),
      created_at timestamptz not null default now(),
      unique (report_id, image_key)
    );

    create sequence problem_number_seq;
    create table problems (
      id serial primary key,
      number text not null unique,
      project_id integer not null references projects(id),
      cycle_id integer references cycles(id),
      report_id integer references reports(id),
      category text not null
        check (category in ('前期手续', '用地', '资金', '征地拆迁', '施工组织', '要素保障', '审批', '其他')),
      description text not null check (length(trim(description)) > 0),
      department_id integer references departments(id),
      needs_city_coordination boolean not null default false,
      status text not null default 'open'
        check (status in ('open', 'in_coordination', 'resolved', 'confirmed', 'reopened')),
      raised_by integer not null references people(id),
      raised_at timestamptz not null,
      accepted_at timestamptz,
      resolved_at timestamptz,
      resolution_note text,
      confirmed_at timestamptz,
      source_event_id text unique,
      updated_at timestamptz not null default now()
    );
    create index problems_project_idx on problems (project_id, status);

    create table problem_events (
      id bigserial primary key,
      problem_id integer not null references problems(id) on delete cascade,
      action text not null check (action in ('raised', 'accepted', 'resolved', 'confirmed', 'reopened', 'noted', 'escalated')),
      from_status text,
      to_status text not null,
      note text,
      actor_id integer references people(id),
      source_event_id text unique,
      created_at timestamptz not null default now()
    );

    create table escalations (
      id serial primary key,
      project_id integer not null references projects(id),
      cycle_id integer not null references cycles(id),
      level smallint not null check (level in (1, 2)),
      reasons text[] not null check (cardinality(reasons) > 0),
      reason_text text not null,
      target_person_id integer references people(id),
      problem_id integer references problems(id),
      state text not null default 'open'
        check (state in ('open', 'acknowledged', 'supervising', 'instructed', 'resolved')),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (project_id, level, cycle_id)
    );

    create table escalation_actions (
      id bigserial primary key,
      escalation_id integer not null references escalations(id) on delete cascade,
      actor_id integer not null references people(id),
      action text not null check (action in ('acknowledge', 'supervise', 'instruct')),
      text text,
      passed_down_at timestamptz,
      source_event_id text unique,
      created_at timestamptz not null default now(),
      check (action <> 'instruct' or length(trim(coalesce(text, ''))) > 0)
    );

    -- Every outbound Feishu message, keyed by the uuid Feishu de-duplicates on.
    create table outbound_messages (
      id bigserial primary key,
      uuid text not null unique check (length(uuid) <= 50),
      kind text not null,
      receive_id text not null,
      receive_id_type text not null check (receive_id_type in ('open_id', 'user_id', 'union_id', 'email', 'chat_id')),
      person_id integer references people(id),
      project_id integer references projects(id),
      cycle_id integer references cycles(id),
      message_id text unique,
      state text not null default 'pending' check (state in ('pending', 'sent', 'failed')),
      attempts integer not null default 0,
      last_error text,
      created_at timestamptz not null default now(),
      sent_at timestamptz,
      updated_at timestamptz not null default now()
    );
    create index outbound_messages_cycle_idx on outbound_messages (cycle_id, kind);

    -- Inbound de-duplication: Feishu delivers at least once (event_id, or message_id for chat).
    create table inbound_events (
      dedupe_key text primary key,
      kind text not null,
      received_at timestamptz not null default now(),
      payload jsonb
    );

    create table chat_groups (
      chat_id text primary key,
      name text not null,
      region_id integer references regions(id),
      purpose text not null default 'dispatch' check (purpose in ('dispatch', 'region', 'leaders')),
      created_at timestamptz not null default now()
    );

    create table league_snapshots (
      id serial primary key,
      cycle_id integer not null references cycles(id),
      scope text not null default 'city',
      computed_at timestamptz not null default now(),
      data jsonb not null,
      unique (cycle_id, scope)
    );
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    drop table if exists league_snapshots, chat_groups, inbound_events, outbound_messages,
      escalation_actions, escalations, problem_events, problems, report_photos, report_revisions,
      reports, cycle_projects, cycles, calendar_overrides, person_grants, project_changes, projects,
      imports, departments, people, regions cascade;
    drop sequence if exists problem_number_seq;
  `.execute(db);
}
