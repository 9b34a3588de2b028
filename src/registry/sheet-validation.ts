// The whole pure check of a sheet before anything touches the database: headers, every
// row, then whole-sheet rules. Returns every problem at once, in sheet order.
import { DEPARTMENT_CONTACT, mapHeaders, type ColumnMap } from './header-map.js';
import { validateRows, type ProjectRow } from './row-schema.js';
import {
  collectPeople, departmentContacts, findContactConflicts, findDuplicateCodes, type SheetDepartmentContact, type SheetPerson,
} from './sheet-consistency.js';
import { formatIssue, sortIssues, type SheetIssue } from './sheet-issue.js';
import type { SheetData } from './sheet-reader.js';
import { resolveYtdYear, type YtdYearSource } from './ytd-column.js';

/** The year the year-to-date column counts toward, and why that year. */
export type SheetYtd = { year: number; source: YtdYearSource; column: string };

export type ValidatedSheet =
  | {
    ok: true; columns: ColumnMap; projects: ProjectRow[]; people: SheetPerson[]; warnings: string[];
    /** null: the sheet has no contact columns, stored contacts stay as they are. */
    contacts: SheetDepartmentContact[] | null;
    /** null: the sheet has no year-to-date column. */
    ytd: SheetYtd | null;
  }
  | { ok: false; issues: SheetIssue[]; warnings: string[] };

/** What a sheet that passed validation gives the import to write. */
export type CheckedSheet = Omit<Extract<ValidatedSheet, { ok: true }>, 'ok' | 'warnings'>;

export type ValidateOptions = {
  /** `import --year`: the year of the year-to-date column when its header names none. */
  year?: number;
  /** The import's clock and the dispatch zone: the default year is the current one there. */
  now?: Date;
  tz?: string;
};

export function validateSheet(sheet: SheetData, opts: ValidateOptions = {}): ValidatedSheet {
  const header = mapHeaders(sheet.rows);
  if (!header.ok) return { ok: false, issues: header.issues, warnings: header.warnings };
  const { columns } = header;
  const dataRows = sheet.rows.slice(header.dataStartIndex);
  const rows = validateRows(dataRows, columns);
  const warnings = [...header.warnings, ...sortIssues(rows.warnings).map(formatIssue)];
  const ytdColumn = columns.fields.ytdInvestment;
  const ytdYear = ytdColumn?.ytd
    ? resolveYtdYear({ header: ytdColumn.ytd, column: ytdColumn.header, headerRow: columns.headerRow, optionYear: opts.year, now: opts.now ?? new Date(), tz: opts.tz })
    : null;
  if (!ytdColumn && opts.year !== undefined) warnings.push(`表中没有年度累计完成投资列，--year ${opts.year} 未使用`);
  if (dataRows.length === 0 || (rows.projects.length === 0 && rows.issues.length === 0)) {
    return { ok: false, warnings, issues: [{ row: columns.headerRow, column: '表格', message: '表头下面没有项目行' }] };
  }
  const people = collectPeople(rows.identities, columns);
  const issues = [
    ...(ytdYear && !ytdYear.ok ? ytdYear.issues : []),
    ...rows.issues, ...findDuplicateCodes(rows.identities, columns), ...people.issues, ...findContactConflicts(rows.identities, columns),
  ];
  if (issues.length > 0) {
    const order = new Map(columns.headers.map((h, i) => [h, i]));
    return { ok: false, warnings, issues: sortIssues(issues, (c) => order.get(c) ?? -1) };
  }
  const contacts = columns.fields[DEPARTMENT_CONTACT.name] ? departmentContacts(rows.projects) : null;
  const ytd = ytdColumn && ytdYear?.ok ? { year: ytdYear.year, source: ytdYear.source, column: ytdColumn.header } : null;
  return { ok: true, columns, projects: rows.projects, people: people.people, warnings, contacts, ytd };
}
