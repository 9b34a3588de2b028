// Imports an office's project sheet into the registry: read → validate everything (pure) →
// one transaction (places, people, projects, audit rows; any problem rolls all of it back)
// → match people (department contacts too) to Feishu after the commit. A dry run takes the very same path and rolls
// back at the end, so what it prints is exactly what a real import would do.
import type { Logger } from 'pino';
import type { Kysely } from 'kysely';
import type { LarkClient } from '../bot/lark-client.js';
import type { Db } from '../db/database.js';
import type { CycleKind, Database } from '../db/schema.js';
import { Dec, formatWan } from '../domain/amount.js';
import type { DepartmentContactChange } from './department-contacts.js';
import { DEPARTMENT_CONTACT, PERSON_ROLES, type ColumnMap, type FieldKey } from './header-map.js';
import { matchPeople, type MatchOutcome } from './people-matcher.js';
import {
  canonicalValue, diffRegistry, REGISTRY_FIELDS, scalarText,
  type ExistingProject, type FieldChange, type IncomingProject, type RegistryField,
} from './registry-diff.js';
import * as store from './registry-store.js';
import type { ProjectRow } from './row-schema.js';
import { personKeyResolver, type SheetDepartmentContact, type SheetPerson } from './sheet-consistency.js';
import { formatIssue, sortIssues, type SheetIssue } from './sheet-issue.js';
import { readSheet, type SourceFile } from './sheet-reader.js';
import { validateSheet, type SheetYtd } from './sheet-validation.js';
import { dispatchYearMonth } from './ytd-column.js';

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
export type DisplayChange = { field: string; from: string; to: string };

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

export const FIELD_LABELS: Record<RegistryField | 'active', string> = {
  name: '项目名称', legal_entity: '项目法人', location: '建设地点', region_id: '所属地区', industry: '行业类别',
  stage: '项目阶段', lists: '所属清单', dispatch_frequency: '调度频次', total_investment: '总投资',
  annual_plan: '年度计划投资', ytd_investment: '年度累计完成投资', ytd_year: '累计完成投资所属年度', investor_type: '投资主体', planned_start: '计划开工日期', planned_finish: '计划竣工日期',
  owner_id: '项目负责人', leader_id: '包保领导', vice_mayor_id: '分管副市长', department_id: '责任单位', active: '状态',
};

const FIELD_COLUMN: Partial<Record<RegistryField, FieldKey>> = {
  annual_plan: 'annualPlan', total_investment: 'totalInvestment', planned_finish: 'plannedFinish', planned_start: 'plannedStart',
};

const ROLE_COLUMN = { owner: 'owner_id', leader: 'leader_id', viceMayor: 'vice_mayor_id' } as const;

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

type Checked = { columns: ColumnMap; projects: ProjectRow[]; people: SheetPerson[]; contacts: SheetDepartmentContact[] | null; ytd: SheetYtd | null };
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
  trx: Kysely<Database>, deps: RegistryDeps, opts: ImportOptions, checked: Checked, sheetName: string | null,
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
  const createdIds = await store.insertProjects(trx, diff.created.map((c) => ({ code: c.code, ...c.values })), meta);
  await store.updateProjects(trx, diff.updated.map((u) => ({ id: u.id, ytd_set: ytd.values.has(u.code), ...u.values })), meta);
  await store.retireProjects(trx, diff.retired.map((r) => r.id), meta);

  const labels = await labeller(trx, diff);
  const records: store.ChangeRecord[] = [
    ...diff.created.map((c) => ({
      project_id: createdIds.get(c.code) as number,
      // A year-to-date of 0 for no year is the default, not something the sheet said.
      changes: store.changesObject(REGISTRY_FIELDS.filter((f) => !isEmpty(c.values[f]) && !(f === 'ytd_investment' && c.values.ytd_year === null)).map((f) => ({
        field: f, from: null, to: labels.stored(f, canonicalValue(f, c.values[f])),
      }))),
    })),
    ...diff.updated.map((u) => ({
      project_id: u.id,
      changes: store.changesObject(u.changes.map((ch) => ({ field: ch.field, from: labels.stored(ch.field, ch.from), to: labels.stored(ch.field, ch.to) }))),
    })),
    ...diff.retired.map((r) => ({ project_id: r.id, changes: { active: { from: true, to: false } } })),
  ];
  await store.insertChanges(trx, records, meta);
  await store.setImportCounts(trx, importId, {
    created: diff.created.length, updated: diff.updated.length, unchanged: diff.unchanged.length, retired: diff.retired.length,
  });

  const existingById = new Map(existing.map((p) => [p.id, p]));
  return {
    ok: true,
    personIds: [...people.idByKey.values()],
    warnings: [...contacts.warnings, ...ytd.warnings],
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

type YtdPlan = {
  /** By project code: the year-to-date to write, for the projects where the sheet's figure is taken. */
  values: Map<string, Pick<IncomingProject['values'], 'ytd_investment' | 'ytd_year'>>;
  warnings: string[];
};

/**
 * Where the sheet's year-to-date is taken. The sheet is only the starting point of a year; once
 * owners report in that year, the reports are the record (each report's cumulative is built on
 * the one before, submission/ytd.ts) and the registry's figure is theirs. Overwriting it from a
 * sheet — typically an older one, re-imported to fix a phone number — would lower it or
 * double-count, so those projects keep their figure and are listed. Neither does a sheet step a
 * project back into an earlier year than the one it already holds.
 */
async function ytdToApply(trx: Kysely<Database>, checked: Checked, existing: ExistingProject[], deps: RegistryDeps): Promise<YtdPlan> {
  const plan: YtdPlan = { values: new Map(), warnings: [] };
  const sheet = checked.ytd;
  if (!sheet) return plan;
  const { year } = sheet;
  const byCode = new Map(existing.map((p) => [p.code, p]));
  const candidates: { row: ProjectRow; ytd: string; current: ExistingProject | undefined }[] = [];
  for (const row of checked.projects) {
    // Blank: nothing known, the stored figure stays.
    if (row.ytdInvestment === undefined || row.ytdInvestment === null) continue;
    candidates.push({ row, ytd: row.ytdInvestment, current: byCode.get(row.code) });
  }
  const differs = (c: (typeof candidates)[number]): boolean =>
    !c.current || c.current.ytd_year !== year || !new Dec(c.current.ytd_investment).eq(c.ytd);
  const reported = await store.projectsReportedInYear(trx, candidates.flatMap((c) => (c.current && differs(c) ? [c.current.id] : [])), year);
  const thisYear = dispatchYearMonth(deps.now(), deps.tz).year;
  const which = year === thisYear ? '本年度' : `${year}年度`;
  const warn = (row: ProjectRow, message: string) =>
    plan.warnings.push(formatIssue({ row: row.rowNumber, column: sheet.column, message: `${row.code} ${row.name}：${message}` }));
  for (const c of candidates) {
    const stored = c.current;
    if (stored && stored.ytd_year !== null && stored.ytd_year > year) {
      warn(c.row, `库中已是 ${stored.ytd_year} 年的累计完成投资，未用清单中 ${year} 年的数据覆盖`);
      continue;
    }
    if (stored && reported.has(stored.id)) {
      warn(c.row, `已有${which}填报数据，未用清单中的累计完成投资覆盖（清单 ${formatWan(c.ytd)}万元，现为 ${formatWan(stored.ytd_investment)}万元）`);
      continue;
    }
    plan.values.set(c.row.code, { ytd_investment: c.ytd, ytd_year: year });
  }
  return plan;
}

/**
 * Points each department the sheet gives a contact for at that person (already created or
 * updated with the other people). Departments whose rows leave the contact blank keep the one
 * they have: a blank cell must not silently stop a department's problems reaching anyone.
 */
async function applyDepartmentContacts(
  trx: Kysely<Database>,
  checked: Checked,
  departmentIds: Map<string, number>,
  idByKey: Map<string, number>,
  meta: { now: Date; actor: string },
): Promise<{ changes: DepartmentContactChange[]; warnings: string[] }> {
  if (checked.contacts === null) return { changes: [], warnings: [] };
  const stored = new Map((await store.departmentsByIds(trx, [...departmentIds.values()])).map((d) => [d.name, d]));
  const updates: { id: number; contact_person_id: number; from: number | null }[] = [];
  const wanted = new Set<string>();
  for (const c of checked.contacts) {
    const department = stored.get(c.department);
    const personId = idByKey.get(c.contact.mobile);
    if (!department || personId === undefined) continue;
    wanted.add(c.department);
    if (department.contact_person_id !== personId) updates.push({ id: department.id, contact_person_id: personId, from: department.contact_person_id });
  }
  await store.setDepartmentContacts(trx, updates.map(({ id, contact_person_id }) => ({ id, contact_person_id })));

  const people = new Map((await store.peopleByIds(trx, updates.flatMap((u) => (u.from === null ? [u.contact_person_id] : [u.contact_person_id, u.from]))))
    .map((p) => [p.id, { name: p.name, mobile: p.mobile }]));
  const nameOf = new Map([...stored.values()].map((d) => [d.id, d.name]));
  const changes = updates.map((u): DepartmentContactChange => ({
    department: nameOf.get(u.id) ?? '',
    from: u.from === null ? null : people.get(u.from) ?? null,
    to: contactPerson(people, u.contact_person_id),
    changedBy: meta.actor,
    changedAt: meta.now,
  }));

  const column = checked.columns.fields[DEPARTMENT_CONTACT.name]?.header ?? DEPARTMENT_CONTACT.label;
  const seen = new Set<string>();
  const warnings: string[] = [];
  for (const p of checked.projects) {
    const name = p.department;
    if (!name || seen.has(name)) continue;
    seen.add(name);
    if (wanted.has(name) || typeof stored.get(name)?.contact_person_id === 'number') continue;
    warnings.push(`责任单位“${name}”没有联系人，其问题将转给管理员处理；可在“${column}”列填写，或运行 departments contact 设置`);
  }
  return { changes, warnings };
}

function contactPerson(people: Map<number, { name: string; mobile: string | null }>, id: number): { name: string; mobile: string | null } {
  const p = people.get(id);
  // The person was written a moment ago in this same locked transaction.
  if (!p) throw new Error(`department contact ${id} not found in its own transaction`);
  return p;
}

const isEmpty = (v: unknown): boolean => v === null || v === undefined || (Array.isArray(v) && v.length === 0);

type SheetPeopleResult = {
  idByKey: Map<string, number>;
  created: number;
  updated: { mobile: string | null; changes: DisplayChange[] }[];
  issues: SheetIssue[];
};

/**
 * Creates the sheet's new people and brings existing ones up to date. People are keyed by
 * mobile; an e-mail may link a stored person who had no mobile yet. A changed name is a change.
 */
async function upsertSheetPeople(trx: Kysely<Database>, people: SheetPerson[], columns: ColumnMap, now: Date): Promise<SheetPeopleResult> {
  const stored = await store.peopleByContacts(
    trx,
    people.flatMap((p) => (p.mobile ? [p.mobile] : [])),
    people.flatMap((p) => (p.email ? [p.email] : [])),
  );
  const byMobile = new Map(stored.filter((s) => s.mobile).map((s) => [s.mobile as string, s]));
  const byEmail = new Map(stored.filter((s) => s.email).map((s) => [s.email as string, s]));
  const result: SheetPeopleResult = { idByKey: new Map(), created: 0, updated: [], issues: [] };
  const toInsert: SheetPerson[] = [];
  const toUpdate: { id: number; name: string; mobile: string | null; email: string | null }[] = [];

  for (const p of people) {
    const emailColumn = columns.fields[p.firstColumns.email]?.header ?? p.firstColumns.emailLabel;
    let current = p.mobile ? byMobile.get(p.mobile) : undefined;
    if (!current && p.email) {
      const holder = byEmail.get(p.email);
      if (holder?.mobile && p.mobile && holder.mobile !== p.mobile) {
        result.issues.push({ row: p.firstRow, column: emailColumn, message: `邮箱 ${p.email} 已登记为手机号 ${holder.mobile} 的${holder.name}的邮箱` });
        continue;
      }
      current = holder;
    }
    if (current && p.email && p.email !== current.email) {
      const holder = byEmail.get(p.email);
      if (holder && holder.id !== current.id) {
        result.issues.push({ row: p.firstRow, column: emailColumn, message: `邮箱 ${p.email} 已登记为${holder.name}（${holder.mobile ?? '无手机号'}）的邮箱` });
        continue;
      }
    }
    if (!current) {
      toInsert.push(p);
      continue;
    }
    result.idByKey.set(p.key, current.id);
    const next = { id: current.id, name: p.name, mobile: p.mobile ?? current.mobile, email: p.email ?? current.email };
    const changes: DisplayChange[] = [];
    if (next.name !== current.name) changes.push({ field: '姓名', from: current.name, to: next.name });
    if (next.mobile !== current.mobile) changes.push({ field: '手机', from: current.mobile ?? '（空）', to: next.mobile ?? '（空）' });
    if (next.email !== current.email) changes.push({ field: '邮箱', from: current.email ?? '（空）', to: next.email ?? '（空）' });
    if (changes.length > 0) {
      toUpdate.push(next);
      result.updated.push({ mobile: next.mobile, changes });
    }
  }
  await store.updatePeople(trx, toUpdate, now);
  const inserted = await store.insertPeople(trx, toInsert.map((p) => ({ name: p.name, mobile: p.mobile, email: p.email })), now);
  inserted.forEach((row, i) => {
    const p = toInsert[i];
    if (p) result.idByKey.set(p.key, row.id);
  });
  result.created = inserted.length;
  return result;
}

/**
 * A person given by name only (no phone) cannot be created or matched; the project keeps
 * its current person for that role when the name is the same, otherwise has none.
 */
async function nameOnlyResolver(trx: Kysely<Database>, projects: ProjectRow[], existing: ExistingProject[]) {
  const byCode = new Map(existing.map((p) => [p.code, p]));
  const needed: number[] = [];
  for (const p of projects) {
    const current = byCode.get(p.code);
    if (!current) continue;
    for (const r of PERSON_ROLES) {
      const ref = p[r.role];
      const id = current[ROLE_COLUMN[r.role]];
      if (ref && !ref.mobile && !ref.email && id !== null) needed.push(id);
    }
  }
  const names = new Map((await store.peopleByIds(trx, needed)).map((p) => [p.id, p.name]));
  return (code: string, column: 'owner_id' | 'leader_id' | 'vice_mayor_id', name: string): number | null => {
    const id = byCode.get(code)?.[column] ?? null;
    return id !== null && names.get(id) === name ? id : null;
  };
}

type Labeller = {
  /** The value as kept in project_changes: ids of people, regions and departments carry their names. */
  stored(field: FieldChange['field'], value: unknown): unknown;
  display(change: FieldChange): DisplayChange;
};

async function labeller(trx: Kysely<Database>, diff: ReturnType<typeof diffRegistry>): Promise<Labeller> {
  const personIds = new Set<number>();
  const personFields = new Set<FieldChange['field']>(['owner_id', 'leader_id', 'vice_mayor_id']);
  for (const c of diff.created) for (const f of personFields) {
    const id = c.values[f as 'owner_id'];
    if (id !== null) personIds.add(id);
  }
  for (const u of diff.updated) for (const ch of u.changes) {
    if (!personFields.has(ch.field)) continue;
    for (const v of [ch.from, ch.to]) if (typeof v === 'number') personIds.add(v);
  }
  const [regions, departments, people] = await Promise.all([
    store.allRegions(trx),
    store.allDepartments(trx),
    store.peopleByIds(trx, [...personIds]),
  ]);
  const regionName = new Map(regions.map((r) => [r.id, r.name]));
  const departmentName = new Map(departments.map((d) => [d.id, d.name]));
  const person = new Map(people.map((p) => [p.id, p]));

  const stored = (field: FieldChange['field'], value: unknown): unknown => {
    if (value === null || value === undefined || typeof value !== 'number') return value ?? null;
    if (field === 'region_id') return { id: value, name: regionName.get(value) ?? null };
    if (field === 'department_id') return { id: value, name: departmentName.get(value) ?? null };
    if (personFields.has(field)) return { id: value, name: person.get(value)?.name ?? null, mobile: person.get(value)?.mobile ?? null };
    return value;
  };
  const text = (field: FieldChange['field'], value: unknown): string => {
    if (value === null || value === undefined || (Array.isArray(value) && value.length === 0)) return '（空）';
    if (field === 'active') return value ? '在用' : '已停用';
    if (field === 'region_id') return regionName.get(value as number) ?? scalarText(value);
    if (field === 'department_id') return departmentName.get(value as number) ?? scalarText(value);
    if (personFields.has(field)) {
      const p = person.get(value as number);
      return p ? `${p.name}（${p.mobile ?? p.email ?? '无手机号'}）` : scalarText(value);
    }
    if (field === 'lists') return (value as string[]).join('、');
    if (field === 'dispatch_frequency') return value === 'weekly' ? '每周' : '每月';
    if (field === 'total_investment' || field === 'annual_plan' || field === 'ytd_investment') return `${formatWan(scalarText(value))}万元`;
    if (field === 'ytd_year') return `${scalarText(value)}年`;
    return scalarText(value);
  };
  return {
    stored,
    display: (c) => ({ field: FIELD_LABELS[c.field], from: text(c.field, c.from), to: text(c.field, c.to) }),
  };
}

