// One sheet row → one typed ProjectRow, checked cell by cell; every problem becomes a Chinese
// message on the cell it is about. Fields whose column the sheet lacks stay undefined so an
// import never blanks data the sheet did not carry.
import type { CycleKind, Stage } from '../db/schema.js';
import { compareAmounts } from '../domain/amount.js';
import {
  cellKey, cellText, parseDate, parseEmail, parseFrequency, parseLists, parseMobile, parseMoney, parseStage, personName,
  type Cell, type Parsed,
} from './cell-parsers.js';
import { DEPARTMENT_CONTACT, PERSON_ROLES, type ColumnMap, type FieldKey, type PersonRole } from './header-map.js';
import type { SheetIssue } from './sheet-issue.js';
import type { SheetRow } from './sheet-reader.js';

export type PersonRef = { name: string; mobile: string | null; email: string | null };

export type ProjectRow = {
  rowNumber: number;
  code: string;
  name: string;
  region: string;
  stage: Stage;
  /** 万元, canonical decimal string. */
  totalInvestment: string;
  legalEntity?: string | null;
  location?: string | null;
  industry?: string | null;
  investorType?: string | null;
  lists?: string[];
  /** null: the cell was empty, the project's lists decide. */
  frequency?: CycleKind | null;
  annualPlan?: string;
  /** 万元; null: the cell was empty, nothing known, the stored figure stays. */
  ytdInvestment?: string | null;
  /** 开工以来累计完成投资, 万元; null: empty cell, the stored figure stays. */
  sinceStartInvestment?: string | null;
  plannedStart?: string | null;
  plannedFinish?: string | null;
  department?: string | null;
  owner?: PersonRef | null;
  leader?: PersonRef | null;
  viceMayor?: PersonRef | null;
  /**
   * The 责任单位's contact as this row gives it (always with a mobile); null: the cells are
   * empty, the row says nothing about the contact; undefined: the sheet has no such columns.
   */
  departmentContact?: ContactRef | null;
};

/** A department contact: reachable only by mobile, so the mobile is never missing. */
export type ContactRef = PersonRef & { mobile: string };

type RawValues = Partial<Record<FieldKey, Cell>>;

/** One cell's check: the cell's value, or the Chinese reason it is wrong. */
type FieldCheck = (cell: Cell) => Parsed<unknown>;

const requiredText = (label: string): FieldCheck => (cell) => {
  const text = cellText(cell);
  return text === '' ? { ok: false, reason: `${label}不能为空` } : { ok: true, value: text };
};
const requiredKey = (label: string): FieldCheck => (cell) => {
  const text = cellKey(cell);
  return text === '' ? { ok: false, reason: `${label}不能为空` } : { ok: true, value: text };
};
const optionalText: FieldCheck = (cell) => ({ ok: true, value: cellText(cell) || null });
const nameText: FieldCheck = (cell) => ({ ok: true, value: personName(cell) || null });
const listCell: FieldCheck = (cell) => ({ ok: true, value: parseLists(cell) });

/** Marks a field whose cell failed its check: neither text nor null, so no cross-field rule takes it. */
const FAILED = Symbol('failed');

/** The columns whose cell must be there even if the sheet had no such column (the header check requires them). */
const REQUIRED: readonly FieldKey[] = ['code', 'name', 'region', 'stage', 'totalInvestment'];

export type RowCheck = {
  /** Each field's own check, for reading what a failed row still says. */
  fields: Record<FieldKey, FieldCheck>;
  /**
   * Checks a row's cells: its values (undefined for a column the sheet lacks) and every problem,
   * field by field then across fields.
   */
  check(cells: readonly Cell[]): { values: RowValues; issues: RowIssue[] };
};

/**
 * Builds the row check for the columns this sheet has: plain functions rather than a schema
 * library, since this runs for every row of sheets of tens of thousands of rows.
 */
export function rowCheck(columns: ColumnMap): RowCheck {
  const f = columns.fields;
  const money = (key: 'totalInvestment' | 'annualPlan', label: string, required: boolean): FieldCheck => (cell) => {
    const r = parseMoney(cell, f[key]?.unit ?? '万元');
    if (r.ok && r.value === null) return required ? { ok: false, reason: `${label}不能为空` } : { ok: true, value: '0' };
    return r;
  };
  const region = requiredKey('所属地区');
  // Unlike the annual plan, an empty year-to-date is not 0: it is unknown, and must not
  // replace a figure already stored.
  const fields: Record<FieldKey, FieldCheck> = {
    code: requiredKey('项目编号'),
    name: requiredText('项目名称'),
    region: (cell) => {
      const r = region(cell);
      return r.ok ? { ok: true, value: (r.value as string).replace(/\s+/g, '') } : r;
    },
    stage: parseStage,
    totalInvestment: money('totalInvestment', '总投资', true),
    legalEntity: optionalText,
    location: optionalText,
    industry: optionalText,
    investorType: optionalText,
    lists: listCell,
    frequency: parseFrequency,
    annualPlan: money('annualPlan', '年度计划投资', false),
    ytdInvestment: (cell) => parseMoney(cell, f.ytdInvestment?.unit ?? '万元'),
    sinceStartInvestment: (cell) => parseMoney(cell, f.sinceStartInvestment?.unit ?? '万元'),
    plannedStart: parseDate,
    plannedFinish: parseDate,
    department: optionalText,
    ownerName: nameText,
    ownerMobile: parseMobile,
    ownerEmail: parseEmail,
    leaderName: nameText,
    leaderMobile: parseMobile,
    leaderEmail: parseEmail,
    viceMayorName: nameText,
    viceMayorMobile: parseMobile,
    viceMayorEmail: parseEmail,
    contactName: nameText,
    contactMobile: parseMobile,
    contactEmail: parseEmail,
  };
  // The sheet's own columns in field order (the order problems of one row are listed in), required ones always.
  const keys = (Object.keys(fields) as FieldKey[]).filter((k) => k in f || REQUIRED.includes(k));

  const header = (key: FieldKey, fallback: string) => f[key]?.header ?? fallback;
  // Each field with its check and its cell's index (-1: a required column the sheet lacks, read as empty).
  const plan = keys.map((key) => ({ key, check: fields[key], index: f[key]?.index ?? -1 }));

  function check(cells: readonly Cell[]): ReturnType<RowCheck['check']> {
    const row = blankRow();
    const issues: RowIssue[] = [];
    for (const { key, check: fieldCheck, index } of plan) {
      const r = fieldCheck(index < 0 ? null : cells[index] ?? null);
      if (r.ok) row[key] = r.value;
      else {
        row[key] = FAILED;
        issues.push({ key, message: r.reason });
      }
    }
    // Cross-field rules also run when some field failed, so one pass reports everything;
    // a failed field is marked FAILED and its rule is skipped.
    const total = row.totalInvestment;
    const annual = row.annualPlan;
    if (isText(total) && isText(annual) && compareAmounts(annual, total) > 0) {
      issues.push({ key: 'annualPlan', message: `年度计划投资 ${annual} 万元大于总投资 ${total} 万元` });
    }
    const ytd = row.ytdInvestment;
    // Ahead of the annual plan is allowed (and common); beyond the whole project's cost is a typo.
    if (isText(total) && isText(ytd) && compareAmounts(ytd, total) > 0) {
      issues.push({ key: 'ytdInvestment', message: `年度累计完成投资 ${ytd} 万元大于总投资 ${total} 万元` });
    }
    const sinceStart = row.sinceStartInvestment;
    if (isText(total) && isText(sinceStart) && compareAmounts(sinceStart, total) > 0) {
      issues.push({ key: 'sinceStartInvestment', message: `开工以来累计完成投资 ${sinceStart} 万元大于总投资 ${total} 万元` });
    }
    if (isText(ytd) && isText(sinceStart) && compareAmounts(ytd, sinceStart) > 0) {
      issues.push({ key: 'sinceStartInvestment', message: `开工以来累计完成投资 ${sinceStart} 万元小于年度累计完成投资 ${ytd} 万元` });
    }
    const start = row.plannedStart;
    const finish = row.plannedFinish;
    if (isText(start) && isText(finish) && finish < start) {
      issues.push({ key: 'plannedFinish', message: `计划竣工日期 ${finish} 早于计划开工日期 ${start}` });
    }
    for (const r of PERSON_ROLES) {
      const name = row[r.name];
      const mobile = row[r.mobile];
      const email = row[r.email];
      if (name === null && (isText(mobile) || isText(email))) {
        issues.push({
          key: r.name,
          message: `${r.label}姓名为空，但${header(isText(mobile) ? r.mobile : r.email, r.mobileLabel)}填写了 ${isText(mobile) ? mobile : String(email)}`,
        });
      }
    }
    contactRules(row, issues, header);
    return { values: row, issues };
  }
  return { fields, check };
}

type RowValues = Record<FieldKey, unknown>;

/**
 * Every field, undefined until its column is read: one shape for every row, so filling it in
 * writes existing properties instead of growing a new object field by field (this runs for every row).
 */
const blankRow = (): RowValues => ({
  code: undefined, name: undefined, legalEntity: undefined, location: undefined, region: undefined, industry: undefined,
  stage: undefined, lists: undefined, frequency: undefined, totalInvestment: undefined, annualPlan: undefined,
  ytdInvestment: undefined, sinceStartInvestment: undefined, investorType: undefined, plannedStart: undefined,
  plannedFinish: undefined, ownerName: undefined, ownerMobile: undefined, ownerEmail: undefined, leaderName: undefined,
  leaderMobile: undefined, leaderEmail: undefined, viceMayorName: undefined, viceMayorMobile: undefined,
  viceMayorEmail: undefined, department: undefined, contactName: undefined, contactMobile: undefined, contactEmail: undefined,
});

const isText = (v: unknown): v is string => typeof v === 'string';
type RowIssue = { key: FieldKey | undefined; message: string };

/**
 * A contact needs both a name and a mobile (the mobile finds the Feishu user who will get the
 * problems) and a 责任单位 on the same row to be the contact of.
 */
function contactRules(row: RowValues, issues: RowIssue[], header: (key: FieldKey, fallback: string) => string): void {
  const c = DEPARTMENT_CONTACT;
  const name = row[c.name];
  const mobile = row[c.mobile];
  const email = row[c.email];
  if (name === null && (isText(mobile) || isText(email))) {
    const key = isText(mobile) ? c.mobile : c.email;
    issues.push({ key: c.name, message: `${c.label}姓名为空，但${header(key, c.mobileLabel)}填写了 ${isText(mobile) ? mobile : String(email)}` });
  }
  if (isText(name) && mobile === null) {
    issues.push({ key: c.mobile, message: `${c.label}“${name}”没有填写手机号；${c.label}凭手机号关联飞书账号接收问题，请填写11位手机号` });
  }
  if ((isText(name) || isText(mobile)) && row.department === null) {
    issues.push({ key: 'department', message: `填写了${c.label}“${isText(name) ? name : String(mobile)}”，但责任单位为空` });
  }
}

/** What a row says about identity (code, people), even when other cells of it are wrong. */
export type RowIdentity = {
  rowNumber: number;
  code: string | null;
  name: string | null;
  owner?: PersonRef | null;
  leader?: PersonRef | null;
  viceMayor?: PersonRef | null;
  department?: string | null;
  departmentContact?: ContactRef | null;
};

export type RowValidation = {
  projects: ProjectRow[];
  /** Every project row, valid or not: whole-sheet checks (duplicate codes, one phone two names) see them all. */
  identities: RowIdentity[];
  issues: SheetIssue[];
  /** Rows that were not projects (合计, section titles) or people without a phone. */
  warnings: SheetIssue[];
};

// Sheets often end in a 合计 line and group projects under "一、续建项目" section rows.
const SUMMARY = /^(?:合计|总计|小计|共计|其中)/;
const SECTION = /^[一二三四五六七八九十百]+[、.．]|^[（(][一二三四五六七八九十]+[)）]/;

function summaryRowLabel(cells: readonly Cell[], columns: ColumnMap, mapped: readonly [FieldKey, { index: number }][]): string | null {
  const codeIndex = columns.fields.code?.index;
  const nameIndex = columns.fields.name?.index;
  const code = cellText(codeIndex === undefined ? null : cells[codeIndex] ?? null);
  const name = cellText(nameIndex === undefined ? null : cells[nameIndex] ?? null);
  if (SUMMARY.test(code)) return code;
  if (SUMMARY.test(name)) return name;
  if (code === '' && SECTION.test(name)) {
    const filled = mapped.filter(([, c]) => cellText(cells[c.index] ?? null) !== '').length;
    if (filled <= 2) return name;
  }
  return null;
}

function rawValues(row: SheetRow, mapped: readonly [FieldKey, { index: number }][]): RawValues {
  const values: RawValues = {};
  for (const [key, col] of mapped) {
    values[key] = row.cells[col.index] ?? null;
  }
  return values;
}

/** The person a row names in a role whose column the sheet has. */
function personFrom(row: RowValues, role: (typeof PERSON_ROLES)[number]): PersonRef | null {
  const name = row[role.name] as string | null;
  if (name === null) return null;
  return { name, mobile: (row[role.mobile] as string | null | undefined) ?? null, email: (row[role.email] as string | null | undefined) ?? null };
}

function contactFrom(row: Partial<RowValues>): ContactRef | null {
  const c = DEPARTMENT_CONTACT;
  const name = row[c.name];
  const mobile = row[c.mobile];
  if (typeof name !== 'string' || typeof mobile !== 'string') return null;
  const email = row[c.email];
  return { name, mobile, email: typeof email === 'string' ? email : null };
}

const OPTIONAL_FIELDS = [
  'legalEntity', 'location', 'industry', 'investorType', 'lists', 'frequency', 'annualPlan', 'ytdInvestment', 'sinceStartInvestment',
  'plannedStart', 'plannedFinish', 'department',
] as const satisfies readonly FieldKey[];

/** Validates every data row and reports all problems, not just the first. */
export function validateRows(rows: SheetRow[], columns: ColumnMap): RowValidation {
  const rowChecker = rowCheck(columns);
  const projects: ProjectRow[] = [];
  const identities: RowIdentity[] = [];
  const issues: SheetIssue[] = [];
  const warnings: SheetIssue[] = [];
  const present = new Set(Object.keys(columns.fields));
  // The sheet's optional columns and people, once for all rows.
  const optional = OPTIONAL_FIELDS.filter((key) => present.has(key));
  const roles = PERSON_ROLES.filter((r) => present.has(r.name));
  const mapped = Object.entries(columns.fields) as [FieldKey, { index: number }][];
  for (const row of rows) {
    const summary = summaryRowLabel(row.cells, columns, mapped);
    if (summary !== null) {
      warnings.push({ row: row.rowNumber, column: columns.fields.name?.header ?? '项目名称', message: `“${summary}”不是项目行，已跳过` });
      continue;
    }
    const result = rowChecker.check(row.cells);
    if (result.issues.length > 0) {
      for (const issue of result.issues) {
        const key = issue.key;
        const column = key ? columns.fields[key]?.header ?? key : '表格';
        issues.push({ row: row.rowNumber, column, message: issue.message });
      }
      identities.push(partialIdentity(rowChecker.fields, rawValues(row, mapped), row.rowNumber));
      continue;
    }
    const v = result.values;
    const project: ProjectRow = {
      rowNumber: row.rowNumber,
      code: v.code as string,
      name: v.name as string,
      region: v.region as string,
      stage: v.stage as Stage,
      totalInvestment: v.totalInvestment as string,
    };
    for (const key of optional) (project as Record<string, unknown>)[key] = v[key];
    for (const r of roles) {
      const person = personFrom(v, r);
      project[r.role satisfies PersonRole] = person;
      if (person && !person.mobile && !person.email) {
        warnings.push({
          row: row.rowNumber,
          column: columns.fields[r.mobile]?.header ?? r.mobileLabel,
          message: `${r.label}“${person.name}”没有手机号，无法关联飞书用户，该项目的${r.label}暂不设置`,
        });
      }
    }
    if (present.has(DEPARTMENT_CONTACT.name)) project.departmentContact = contactFrom(v);
    projects.push(project);
    identities.push(project);
  }
  return { projects, identities, issues, warnings };
}

/** Field by field, keeping what parses, for a row that failed as a whole. */
function partialIdentity(fields: RowCheck['fields'], values: RawValues, rowNumber: number): RowIdentity {
  const field = (key: FieldKey): unknown => {
    if (!(key in values)) return undefined;
    const r = fields[key](values[key] ?? null);
    return r.ok ? r.value : undefined;
  };
  const text = (key: FieldKey): string | null => {
    const v = field(key);
    return typeof v === 'string' ? v : null;
  };
  const identity: RowIdentity = { rowNumber, code: text('code'), name: text('name') };
  for (const r of PERSON_ROLES) {
    if (!(r.name in values)) continue;
    const name = text(r.name);
    identity[r.role] = name === null ? null : { name, mobile: text(r.mobile), email: text(r.email) };
  }
  if ('department' in values) identity.department = text('department');
  if (DEPARTMENT_CONTACT.name in values) {
    identity.departmentContact = contactFrom({ contactName: field('contactName'), contactMobile: field('contactMobile'), contactEmail: field('contactEmail') });
  }
  return identity;
}
