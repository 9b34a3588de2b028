// Imports an office's project sheet into the registry: read → validate everything (pure) →
// one transaction (places, people, projects, audit rows; any problem rolls all of it back; the
// first import into an empty registry checks its foreign keys at the end, bulk-load.store.ts)
// → match people (department contacts too) to Feishu after the commit. A dry run takes the very same path and rolls
// back at the end, so what it prints is exactly what a real import would do.
import type { Logger } from 'pino';
import type { Transaction } from 'kysely';
import type { LarkClient } from '../platform/feishu/lark-client.js';
import type { Db } from '../db/database.js';
import type { CycleKind, Database } from '../db/schema.js';
import { FIELD_LABELS, labeller, type DisplayChange } from './change-labels.js';
import { applyDepartmentContacts, type DepartmentContactChange } from './department-contacts.js';
import { PERSON_ROLES, type FieldKey } from './header-map.js';
import { matchPeople, type MatchOutcome } from './people-matcher.js';
import { diffRegistry, type IncomingProject, type RegistryField } from './registry-diff.js';
import * as store from './registry-store.js';
import { BULK_LOAD_ROWS, suspendForeignKeys } from './bulk-load.store.js';
import { personKeyResolver } from './sheet-consistency.js';
import { sortIssues, type SheetIssue } from './sheet-issue.js';
import { nameOnlyResolver, ROLE_COLUMN, upsertSheetPeople } from './sheet-people.store.js';
import { readSheet, type SourceFile } from './sheet-reader.js';
import { validateSheet, type CheckedSheet, type SheetYtd } from './sheet-validation.js';
import { ytdToApply } from './ytd-apply.js';
import { applySinceStart } from './since-start.js';

export type RegistryDeps = {
  db: Db; lark?: LarkClient; logger: Logger; now: () => Date;
  /** The dispatch office's zone (DISPATCH_TZ), where "the current year" is decided. Default Asia/Shanghai. */
  tz?: string;
};

export type ImportOptions = {
  file: SourceFile;
  sheet?: string;
  dryRun?: boolean;
  retireMissing?: boolean;
  actor: string;
  /** false leaves Feishu matching to a later `people sync`. Default true. */
  match?: boolean;
  /** The year of the year-to-date column when its header names none; default the current year. */
  year?: number;
};

export type ProjectRef = { code: string; name: string };

export type ImportSummary = {
  ok: true;
  dryRun: boolean;
  importId: number | null;
  fileName: string;
  sheetName: string | null;
  encoding: 'utf8' | 'gbk' | null;
  rowCount: number;
  created: ProjectRef[];
  updated: (ProjectRef & { changes: DisplayChange[] })[];
  unchanged: number;
  retired: ProjectRef[];
  regionsCreated: string[];
  departmentsCreated: string[];
  peopleCreated: number;
  peopleUpdated: { mobile: string | null; changes: DisplayChange[] }[];
  /** Departments whose contact this import set or replaced, with who and when (departments keep no history). */
  contactsChanged: DepartmentContactChange[];
  /** The year-to-date column and the year its figures were taken for; null when the sheet has none. */
  ytd: SheetYtd | null;
  warnings: string[];
  matching: MatchOutcome;
};

export type ImportFailure = { ok: false; fileName: string; sheetName: string | null; issues: SheetIssue[]; warnings: string[] };
export type ImportOutcome = ImportSummary | ImportFailure;

/** Everything the import changed (or, in a dry run, would change). */
export function changeCount(s: ImportSummary): number {
  return s.created.length + s.updated.length + s.retired.length + s.peopleCreated + s.peopleUpdated.length
    + s.regionsCreated.length + s.departmentsCreated.length + s.contactsChanged.length;
}

const FIELD_COLUMN: Partial<Record<RegistryField, FieldKey>> = {
  annual_plan: 'annualPlan', total_investment: 'totalInvestment', planned_finish: 'plannedFinish', planned_start: 'plannedStart',
};

/** Carries a result out of the transaction while rolling it back. */
class Rollback<T> extends Error {
  constructor(readonly payload: T) {
    super('rollback');
  }
}

export async function importRegistry(deps: RegistryDeps, opts: ImportOptions): Promise<ImportOutcome> {
  const sheet = readSheet(opts.file, { sheet: opts.sheet });
  const checked = validateSheet(sheet, { year: opts.year, now: deps.now(), tz: deps.tz });
  const base = { fileName: opts.file.fileName, sheetName: sheet.sheetName };
  if (!checked.ok) return { ok: false, ...base, issues: checked.issues, warnings: checked.warnings };

  let summary: ImportSummary;
  let sheetPersonIds: number[];
  try {
    [summary, sheetPersonIds] = await deps.db.transaction().execute(async (trx) => {
      const result = await writeRegistry(trx, deps, opts, checked, sheet.sheetName);
      if (!result.ok) throw new Rollback<ImportOutcome>({ ok: false, ...base, issues: result.issues, warnings: checked.warnings });
      const s: ImportSummary = {
        ...result.summary, ...base, encoding: sheet.encoding, rowCount: checked.projects.length, warnings: [...checked.warnings, ...result.warnings],
        matching: { status: 'skipped', reason: '试运行，未匹配飞书用户' },
      };
      if (opts.dryRun) throw new Rollback<ImportOutcome>({ ...s, importId: null });
      return [s, result.personIds] as const;
    });
  } catch (e) {
    if (e instanceof Rollback) return e.payload as ImportOutcome;
    throw e;
  }
  deps.logger.info({ importId: summary.importId, file: summary.fileName, created: summary.created.length, updated: summary.updated.length, retired: summary.retired.length }, 'registry imported');
  for (const c of summary.contactsChanged) {
    deps.logger.info({ importId: summary.importId, department: c.department, from: c.from?.mobile ?? null, to: c.to.mobile, actor: c.changedBy }, 'department contact changed');
  }
  summary.matching = await matchAfterImport(deps, opts, sheetPersonIds);
  return summary;
}

async function matchAfterImport(deps: RegistryDeps, opts: ImportOptions, personIds: number[]): Promise<MatchOutcome> {
  if (opts.match === false) return { status: 'skipped', reason: '已按要求跳过飞书用户匹配，稍后可运行 people sync' };
  if (!deps.lark) return { status: 'skipped', reason: '未配置飞书客户端，跳过飞书用户匹配；项目已导入，稍后可运行 people sync' };
  try {
    return await matchPeople({ ...deps, lark: deps.lark }, { personIds });
  } catch (e) {
    deps.logger.warn({ err: (e as Error).message }, 'feishu matching after import failed');
    return { status: 'failed', error: (e as Error).message };
  }
}

type WriteResult =
  | {
    ok: true;
    summary: Omit<ImportSummary, 'fileName' | 'sheetName' | 'encoding' | 'rowCount' | 'warnings' | 'matching'>;
    personIds: number[];
    /** Found while writing: departments left without a contact. */
    warnings: string[];
  }
  | { ok: false; issues: SheetIssue[] };

async function writeRegistry(
  trx: Transaction<Database>, deps: RegistryDeps, opts: ImportOptions, checked: CheckedSheet, sheetName: string | null,
): Promise<WriteResult> {
  const now = deps.now();
  const { columns, projects } = checked;
  await store.lockRegistry(trx);

  const regions = await store.ensureRegions(trx, projects.map((p) => p.region));
  const departments = await store.ensureDepartments(trx, projects.flatMap((p) => (p.department ? [p.department] : [])));
  const people = await upsertSheetPeople(trx, checked.people, columns, now);
  const existing = await store.loadProjects(trx);
  const keyOf = personKeyResolver(checked.people);
  const nameOnly = await nameOnlyResolver(trx, projects, existing);
  const ytd = await ytdToApply(trx, checked, existing, deps);

  const incoming: IncomingProject[] = projects.map((p) => {
    const values: IncomingProject['values'] = {
      name: p.name,
      region_id: regions.byName.get(p.region) as number,
      stage: p.stage,
      total_investment: p.totalInvestment,
      legal_entity: p.legalEntity,
      location: p.location,
      industry: p.industry,
      investor_type: p.investorType,
      lists: p.lists,
      annual_plan: p.annualPlan,
      ...ytd.values.get(p.code),
      planned_start: p.plannedStart,
      planned_finish: p.plannedFinish,
      department_id: p.department === undefined ? undefined : p.department === null ? null : departments.byName.get(p.department) ?? null,
    };
    for (const r of PERSON_ROLES) {
      const ref = p[r.role];
      const column = ROLE_COLUMN[r.role];
      if (ref === undefined) continue;
      if (ref === null) values[column] = null;
      else {
        const key = keyOf(ref);
        values[column] = key ? people.idByKey.get(key) ?? null : nameOnly(p.code, column, ref.name);
      }
    }
    const frequency: CycleKind | 'by-list' | undefined = p.frequency === undefined ? undefined : p.frequency ?? 'by-list';
    return { code: p.code, rowNumber: p.rowNumber, values, frequency };
  });

  const diff = diffRegistry(existing, incoming, { retireMissing: opts.retireMissing ?? false });
  const issues = [
    ...people.issues,
    ...diff.issues.map((i) => {
      const key = FIELD_COLUMN[i.field];
      return { row: i.rowNumber, column: (key && columns.fields[key]?.header) || FIELD_LABELS[i.field], message: i.message };
    }),
  ];
  if (issues.length > 0) return { ok: false, issues: sortIssues(issues) };

  const importId = await store.insertImport(trx, {
    fileName: opts.file.fileName, sha256: opts.file.sha256, sheet: sheetName, actor: opts.actor, rowCount: projects.length, now,
  });
  const meta = { now, actor: opts.actor, importId };
  const contacts = await applyDepartmentContacts(trx, checked, departments.byName, people.idByKey, meta);
  const labels = await labeller(trx, diff);
  const firstLoad = existing.length === 0 && diff.created.length >= BULK_LOAD_ROWS;
  const bulk = firstLoad ? await suspendForeignKeys(trx) : null;
  if (firstLoad && !bulk) {
    deps.logger.warn({ projects: diff.created.length }, 'registry tables busy or not owned by this user; first import checks foreign keys row by row');
  }
  await store.insertProjects(
    trx, diff.created.map((c) => ({ code: c.code, ...c.values })), (i) => JSON.stringify(labels.created(diff.created[i].values)), meta,
  );
  await store.updateProjects(trx, diff.updated.map((u) => ({ id: u.id, ytd_set: ytd.values.has(u.code), ...u.values })), meta);
  await store.retireProjects(trx, diff.retired.map((r) => r.id), meta);
  const sinceStartWarnings = await applySinceStart(trx, projects, columns, meta);

  // A new project's change row is written with it (store.insertProjects).
  const records: store.ChangeRecord[] = [
    ...diff.updated.map((u) => ({
      project_id: u.id,
      changes: store.changesObject(u.changes.map((ch) => ({ field: ch.field, from: labels.stored(ch.field, ch.from), to: labels.stored(ch.field, ch.to) }))),
    })),
    ...diff.retired.map((r) => ({ project_id: r.id, changes: { active: { from: true, to: false } } })),
  ];
  await store.insertChanges(trx, records, meta);
  await bulk?.restore();
  await store.setImportCounts(trx, importId, {
    created: diff.created.length, updated: diff.updated.length, unchanged: diff.unchanged.length, retired: diff.retired.length,
  });

  const existingById = new Map(existing.map((p) => [p.id, p]));
  return {
    ok: true,
    personIds: [...people.idByKey.values()],
    warnings: [...contacts.warnings, ...ytd.warnings, ...sinceStartWarnings],
    summary: {
      ok: true,
      dryRun: opts.dryRun ?? false,
      importId,
      created: diff.created.map((c) => ({ code: c.code, name: c.values.name })),
      updated: diff.updated.map((u) => ({
        code: u.code,
        name: u.values.name,
        changes: u.changes.map((c) => labels.display(c)),
      })),
      unchanged: diff.unchanged.length,
      retired: diff.retired.map((r) => ({ code: r.code, name: existingById.get(r.id)?.name ?? r.name })),
      regionsCreated: regions.created,
      departmentsCreated: departments.created,
      peopleCreated: people.created,
      peopleUpdated: people.updated,
      contactsChanged: contacts.changes,
      ytd: checked.ytd,
    },
  };
}
