// The whole pure check of a sheet before anything touches the database: headers, every
// row, then whole-sheet rules. Returns every problem at once, in sheet order.
import { DEPARTMENT_CONTACT, mapHeaders, type ColumnMap } from './header-map.js';
import { validateRows, type ProjectRow } from './row-schema.js';
import {
  collectPeople, departmentContacts, findContactConflicts, findDuplicateCodes, type SheetDepartmentContact, type SheetPerson,
} from './sheet-consistency.js';
import { formatIssue, sortIssues, type SheetIssue } from './sheet-issue.js';
import type { SheetData } from './sheet-reader.js';

export type ValidatedSheet =
  | {
    ok: true; columns: ColumnMap; projects: ProjectRow[]; people: SheetPerson[]; warnings: string[];
    /** null: the sheet has no contact columns, stored contacts stay as they are. */
    contacts: SheetDepartmentContact[] | null;
  }
  | { ok: false; issues: SheetIssue[]; warnings: string[] };

export function validateSheet(sheet: SheetData): ValidatedSheet {
  const header = mapHeaders(sheet.rows);
  if (!header.ok) return { ok: false, issues: header.issues, warnings: header.warnings };
  const { columns } = header;
  const dataRows = sheet.rows.slice(header.dataStartIndex);
  const rows = validateRows(dataRows, columns);
  const warnings = [...header.warnings, ...sortIssues(rows.warnings).map(formatIssue)];
  if (dataRows.length === 0 || (rows.projects.length === 0 && rows.issues.length === 0)) {
    return { ok: false, warnings, issues: [{ row: columns.headerRow, column: '表格', message: '表头下面没有项目行' }] };
  }
  const people = collectPeople(rows.identities, columns);
  const issues = [...rows.issues, ...findDuplicateCodes(rows.identities, columns), ...people.issues, ...findContactConflicts(rows.identities, columns)];
  if (issues.length > 0) {
    const order = new Map(columns.headers.map((h, i) => [h, i]));
    return { ok: false, warnings, issues: sortIssues(issues, (c) => order.get(c) ?? -1) };
  }
  const contacts = columns.fields[DEPARTMENT_CONTACT.name] ? departmentContacts(rows.projects) : null;
  return { ok: true, columns, projects: rows.projects, people: people.people, warnings, contacts };
}
