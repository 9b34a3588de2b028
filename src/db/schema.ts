// Table interfaces: the contract between the SQL schema (migrations/) and the code.
// numeric columns arrive as strings (exact), date columns as 'YYYY-MM-DD' strings (see database.ts).
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type DateOnly = ColumnType<string, string, string>;
type Numeric = ColumnType<string, string | number, string | number>;

import type { Stage, CycleKind, ProblemCategory, ProblemStatus, ReportStatus } from '../domain/vocabulary.js';
export type { Stage, CycleKind, ProblemCategory, ProblemStatus, ReportStatus } from '../domain/vocabulary.js';
export { STAGES, PROBLEM_CATEGORIES } from '../domain/vocabulary.js';
export type ReceiveIdType = 'open_id' | 'user_id' | 'union_id' | 'email' | 'chat_id';

export interface RegionsTable {
  id: Generated<number>;
  name: string;
  kind: Generated<'县' | '市' | '区' | '开发区' | '其他'>;
  sort_order: Generated<number>;
  created_at: Generated<Date>;
}

export interface PeopleTable {
  id: Generated<number>;
  name: string;
  mobile: string | null;
  email: string | null;
  open_id: string | null;
  user_id: string | null;
  match_status: Generated<'unmatched' | 'matched' | 'not_found'>;
  matched_at: Timestamp | null;
  prompted_at: Timestamp | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface DepartmentsTable {
  id: Generated<number>;
  name: string;
  contact_person_id: number | null;
  created_at: Generated<Date>;
}

export interface ImportsTable {
  id: Generated<number>;
  file_name: string;
  file_sha256: string;
  sheet: string | null;
  actor: string;
  row_count: number;
  created_count: Generated<number>;
  updated_count: Generated<number>;
  unchanged_count: Generated<number>;
  retired_count: Generated<number>;
  created_at: Generated<Date>;
}

export interface ProjectsTable {
  id: Generated<number>;
  code: string;
  name: string;
  legal_entity: string | null;
  location: string | null;
  region_id: number;
  industry: string | null;
  stage: Stage;
  lists: ColumnType<string[], string[] | undefined, string[]>;
  dispatch_frequency: CycleKind;
  total_investment: Numeric;
  annual_plan: Numeric;
  investor_type: string | null;
  planned_start: DateOnly | null;
  planned_finish: DateOnly | null;
  owner_id: number | null;
  leader_id: number | null;
  vice_mayor_id: number | null;
  department_id: number | null;
  started: Generated<boolean>;
  completed: Generated<boolean>;
  registered: Generated<boolean>;
  started_on: DateOnly | null;
  completed_on: DateOnly | null;
  registered_on: DateOnly | null;
  ytd_year: number | null;
  ytd_investment: ColumnType<string, string | number | undefined, string | number>;
  active: Generated<boolean>;
  /** 开工以来累计完成投资, 万元; null when never known (migration 20261201T1000-league). */
  since_start_investment: ColumnType<string | null, string | number | null | undefined, string | number | null>;
  retired_at: Timestamp | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  updated_by: string | null;
}

export interface ProjectChangesTable {
  id: Generated<string>;
  project_id: number;
  import_id: number | null;
  changed_by: string;
  changes: ColumnType<Record<string, { from: unknown; to: unknown }>, string, string>;
  created_at: Generated<Date>;
}

export interface PersonGrantsTable {
  id: Generated<number>;
  person_id: number;
  role: 'admin' | 'delegate';
  project_id: number | null;
  granted_by: string;
  created_at: Generated<Date>;
}

export interface CalendarOverridesTable {
  day: DateOnly;
  kind: 'off' | 'work';
  note: string | null;
  created_by: string;
  created_at: Generated<Date>;
}

export interface CyclesTable {
  id: Generated<number>;
  kind: CycleKind;
  period_key: string;
  open_at: Timestamp;
  remind_at: Timestamp;
  due_at: Timestamp;
  state: Generated<'open' | 'closed'>;
  opened_at: Generated<Date>;
  reminded_at: Timestamp | null;
  final_reminded_at: Timestamp | null;
  closed_at: Timestamp | null;
  created_at: Generated<Date>;
}

export interface CycleProjectsTable {
  cycle_id: number;
  project_id: number;
  owner_id: number | null;
  region_id: number;
  status: Generated<ReportStatus>;
  reported_at: Timestamp | null;
}

interface ReportFields {
  cycle_id: number;
  project_id: number;
  period_investment: Numeric;
  ytd_investment: Numeric;
  stage: Stage;
  started: boolean;
  completed: boolean;
  registered: boolean;
  progress: Generated<string>;
  no_change: Generated<boolean>;
  late: Generated<boolean>;
  submitted_by: number;
  submitted_at: Timestamp;
  via: 'card' | 'chat' | 'cli' | 'import';
  source_message_id: string | null;
  source_event_id: string | null;
  created_at: Generated<Date>;
  /** 开工以来累计, carried by monthly reports; null when the project's figure is unknown. */
  since_start_investment?: ColumnType<string | null, string | number | null | undefined, string | number | null>;
}

export interface ReportsTable extends ReportFields {
  id: Generated<number>;
  revision: Generated<number>;
  updated_at: Generated<Date>;
}

export interface ReportRevisionsTable extends ReportFields {
  id: Generated<string>;
  report_id: number;
  revision: number;
  reason: string | null;
}

export interface ReportPhotosTable {
  id: Generated<number>;
  report_id: number;
  image_key: string;
  source_message_id: string;
  sent_by: number;
  created_at: Generated<Date>;
}

export interface ProblemsTable {
  id: Generated<number>;
  number: string;
  project_id: number;
  cycle_id: number | null;
  report_id: number | null;
  category: ProblemCategory;
  description: string;
  department_id: number | null;
  needs_city_coordination: Generated<boolean>;
  status: Generated<ProblemStatus>;
  raised_by: number;
  raised_at: Timestamp;
  accepted_at: Timestamp | null;
  resolved_at: Timestamp | null;
  resolution_note: string | null;
  confirmed_at: Timestamp | null;
  source_event_id: string | null;
  updated_at: Generated<Date>;
}

export interface ProblemEventsTable {
  id: Generated<string>;
  problem_id: number;
  action: 'raised' | 'accepted' | 'resolved' | 'confirmed' | 'reopened' | 'noted' | 'escalated';
  from_status: ProblemStatus | null;
  to_status: ProblemStatus;
  note: string | null;
  actor_id: number | null;
  source_event_id: string | null;
  created_at: Generated<Date>;
}

export interface EscalationsTable {
  id: Generated<number>;
  project_id: number;
  cycle_id: number;
  level: 1 | 2;
  reasons: string[];
  reason_text: string;
  target_person_id: number | null;
  problem_id: number | null;
  state: Generated<'open' | 'acknowledged' | 'supervising' | 'instructed' | 'resolved'>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  /** Structured causes (src/domain/escalation-rules.ts EscalationCause[]), migration 20261201T0900. */
  causes: ColumnType<unknown, string | undefined, string>;
  resolved_at: Timestamp | null;
  resolution: string | null;
}

export interface EscalationActionsTable {
  id: Generated<string>;
  escalation_id: number;
  actor_id: number;
  action: 'acknowledge' | 'supervise' | 'instruct';
  text: string | null;
  passed_down_at: Timestamp | null;
  source_event_id: string | null;
  created_at: Generated<Date>;
  deadline: DateOnly | null;
}

export interface OutboundMessagesTable {
  id: Generated<string>;
  uuid: string;
  kind: string;
  receive_id: string;
  receive_id_type: ReceiveIdType;
  person_id: number | null;
  project_id: number | null;
  cycle_id: number | null;
  message_id: string | null;
  state: Generated<'pending' | 'sent' | 'failed'>;
  attempts: Generated<number>;
  last_error: string | null;
  created_at: Generated<Date>;
  sent_at: Timestamp | null;
  updated_at: Generated<Date>;
}

export interface InboundEventsTable {
  dedupe_key: string;
  kind: string;
  received_at: Generated<Date>;
  payload: ColumnType<unknown, string | null, string | null>;
}

export interface ChatGroupsTable {
  chat_id: string;
  name: string;
  region_id: number | null;
  purpose: Generated<'dispatch' | 'region' | 'leaders'>;
  created_at: Generated<Date>;
  bound_by?: ColumnType<string | null, string | null | undefined, string | null>;
  bound_at?: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface LeagueSnapshotsTable {
  id: Generated<number>;
  cycle_id: number;
  scope: Generated<string>;
  computed_at: Generated<Date>;
  data: ColumnType<unknown, string, string>;
}

export interface LightExemptionsTable {
  id: Generated<number>;
  project_id: number;
  reason: string;
  until: DateOnly;
  created_by: string;
  created_at: Generated<Date>;
  removed_at: Timestamp | null;
  removed_by: string | null;
}

export interface ProjectLightsTable {
  project_id: number;
  cycle_id: number;
  preset: string;
  light: 'green' | 'yellow' | 'red' | 'none';
  reasons: string[];
  inputs: ColumnType<unknown, string, string>;
  judged_at: Timestamp;
}

export interface EscalationCardsTable {
  uuid: string;
  person_id: number;
  escalation_ids: number[];
  created_at: Timestamp;
}

export interface Database {
  regions: RegionsTable;
  people: PeopleTable;
  departments: DepartmentsTable;
  imports: ImportsTable;
  projects: ProjectsTable;
  project_changes: ProjectChangesTable;
  person_grants: PersonGrantsTable;
  calendar_overrides: CalendarOverridesTable;
  cycles: CyclesTable;
  cycle_projects: CycleProjectsTable;
  reports: ReportsTable;
  report_revisions: ReportRevisionsTable;
  report_photos: ReportPhotosTable;
  problems: ProblemsTable;
  problem_events: ProblemEventsTable;
  escalations: EscalationsTable;
  escalation_actions: EscalationActionsTable;
  outbound_messages: OutboundMessagesTable;
  inbound_events: InboundEventsTable;
  chat_groups: ChatGroupsTable;
  league_snapshots: LeagueSnapshotsTable;
  region_baselines: RegionBaselinesTable;
  region_league_exemptions: RegionLeagueExemptionsTable;
  light_exemptions: LightExemptionsTable;
  project_lights: ProjectLightsTable;
  escalation_cards: EscalationCardsTable;
  delivery_failures: DeliveryFailuresTable;
}

/** A prompt or reminder given up for good (migration 20261202T0900). */
export interface DeliveryFailuresTable {
  cycle_id: number;
  person_id: number;
  kind: 'prompt' | 'reminder' | 'final-reminder';
  reason: string;
  failed_at: Timestamp;
  notified_at: Timestamp | null;
}

export interface RegionBaselinesTable {
  region_id: number;
  year: number;
  through_month: number;
  amount: Numeric;
  updated_by: string;
  updated_at: Generated<Date>;
}

export interface RegionLeagueExemptionsTable {
  region_id: number;
  reason: string;
  created_by: string;
  created_at: Generated<Date>;
}

export type Project = Selectable<ProjectsTable>;
export type NewProject = Insertable<ProjectsTable>;
export type ProjectUpdate = Updateable<ProjectsTable>;
export type Person = Selectable<PeopleTable>;
export type Cycle = Selectable<CyclesTable>;
export type Report = Selectable<ReportsTable>;
export type Problem = Selectable<ProblemsTable>;
export type OutboundMessage = Selectable<OutboundMessagesTable>;
