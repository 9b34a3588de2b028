// Checks that need the whole sheet, not one row: a 项目编号 used twice, one phone number
// written with two different names, one 责任单位 given two different contacts. Also gathers
// the distinct people the sheet names (department contacts included), each with the projects
// and roles they hold, for creating them and for the unmatched list.
import { DEPARTMENT_CONTACT, PERSON_ROLES, type ColumnMap, type PersonColumns, type PersonRole } from './header-map.js';
import type { ContactRef, PersonRef, RowIdentity } from './row-schema.js';
import type { SheetIssue } from './sheet-issue.js';

export type PersonRoleRef = { code: string; projectName: string; role: PersonRole; row: number };

export type SheetPerson = {
  /** Normalised mobile, or `email:<address>` for someone given by e-mail only. */
  key: string;
  name: string;
  mobile: string | null;
  email: string | null;
  firstRow: number;
  roles: PersonRoleRef[];
  /** The columns of the first mention, where problems with this person's e-mail are reported. */
  firstColumns: PersonColumns;
};

/** One department's contact as the sheet gives it (the first row naming it). */
export type SheetDepartmentContact = { department: string; contact: ContactRef; row: number };

export const ROLE_LABELS: Record<PersonRole, string> = { owner: '项目负责人', leader: '包保领导', viceMayor: '分管副市长' };

export function personKey(ref: { mobile: string | null; email: string | null }): string | null {
  if (ref.mobile) return ref.mobile;
  if (ref.email) return `email:${ref.email}`;
  return null;
}

export function findDuplicateCodes(rows: RowIdentity[], columns: ColumnMap): SheetIssue[] {
  const rowsByCode = new Map<string, number[]>();
  for (const p of rows) if (p.code !== null) rowsByCode.set(p.code, [...(rowsByCode.get(p.code) ?? []), p.rowNumber]);
  const column = columns.fields.code?.header ?? '项目编号';
  const issues: SheetIssue[] = [];
  for (const [code, rows] of rowsByCode) {
    if (rows.length < 2) continue;
    for (const row of rows) {
      const others = rows.filter((r) => r !== row).map((r) => `第 ${r} 行`).join('、');
      issues.push({ row, column, message: `项目编号“${code}”重复，与${others}相同；每个项目编号只能出现一次` });
    }
  }
  return issues;
}

/** The distinct people in the sheet, and the contradictions between rows about them. */
export function collectPeople(projects: RowIdentity[], columns: ColumnMap): { people: SheetPerson[]; issues: SheetIssue[] } {
  const people = new Map<string, SheetPerson>();
  const byEmail = new Map<string, SheetPerson>();
  const issues: SheetIssue[] = [];
  const header = (key: keyof ColumnMap['fields'], fallback: string) => columns.fields[key]?.header ?? fallback;

  // Mobile-keyed people first, so an e-mail-only mention of the same address joins them.
  // A department contact is a person like any other: the same phone must carry the same name.
  type Mention = { ref: PersonRef; project: RowIdentity; role: PersonColumns & { role?: PersonRole } };
  const refs: Mention[] = [];
  for (const project of projects) {
    for (const role of PERSON_ROLES) {
      const ref = project[role.role];
      if (ref && (ref.mobile || ref.email)) refs.push({ ref, project, role });
    }
    if (project.departmentContact) refs.push({ ref: project.departmentContact, project, role: DEPARTMENT_CONTACT });
  }
  refs.sort((a, b) => Number(!a.ref.mobile) - Number(!b.ref.mobile));

  for (const { ref, project, role } of refs) {
    const at = project.rowNumber;
    let person = ref.mobile ? people.get(ref.mobile) : ref.email ? byEmail.get(ref.email) : undefined;
    if (!person) {
      const key = personKey(ref);
      if (!key) continue;
      person = { key, name: ref.name, mobile: ref.mobile, email: ref.email, firstRow: at, roles: [], firstColumns: role };
      people.set(key, person);
    } else {
      if (person.name !== ref.name) {
        issues.push({
          row: at, column: header(role.name, role.label),
          message: `${ref.mobile ? `手机号 ${ref.mobile}` : `邮箱 ${ref.email}`} 在第 ${person.firstRow} 行是“${person.name}”，这里是“${ref.name}”；同一号码只能对应一个人`,
        });
      }
      if (ref.email && person.email && ref.email !== person.email) {
        issues.push({
          row: at, column: header(role.email, role.emailLabel),
          message: `${person.name}（${person.mobile ?? ''}）在第 ${person.firstRow} 行的邮箱是 ${person.email}，这里是 ${ref.email}`,
        });
      }
      if (ref.email && !person.email) person.email = ref.email;
    }
    if (ref.email) {
      const owner = byEmail.get(ref.email);
      if (owner && owner !== person) {
        issues.push({
          row: at, column: header(role.email, role.emailLabel),
          message: `邮箱 ${ref.email} 在第 ${owner.firstRow} 行属于手机号 ${owner.mobile ?? '（无）'} 的${owner.name}，这里属于手机号 ${ref.mobile ?? '（无）'}`,
        });
      } else byEmail.set(ref.email, person);
    }
    // Department contacts hold no project role; departments.contact_person_id records them.
    if (role.role) person.roles.push({ code: project.code ?? '', projectName: project.name ?? '', role: role.role, row: at });
  }
  for (const p of people.values()) p.roles.sort((a, b) => a.row - b.row);
  return { people: [...people.values()].sort((a, b) => a.firstRow - b.firstRow), issues };
}

/** The collected person a project row's reference stands for (an e-mail-only mention joins the person with that e-mail). */
export function personKeyResolver(people: readonly SheetPerson[]): (ref: PersonRef) => string | null {
  const byEmail = new Map(people.filter((p) => p.email).map((p) => [p.email as string, p.key]));
  return (ref) => (ref.mobile ? ref.mobile : ref.email ? byEmail.get(ref.email) ?? `email:${ref.email}` : null);
}

/**
 * A department has one contact, however many of its projects the sheet lists: rows of the
 * same 责任单位 giving different contacts (by mobile) are refused, each row naming the rows
 * that disagree with it. Rows with the contact cells empty say nothing and never conflict.
 */
export function findContactConflicts(rows: RowIdentity[], columns: ColumnMap): SheetIssue[] {
  const byDepartment = new Map<string, { row: number; contact: ContactRef }[]>();
  for (const r of rows) {
    if (!r.department || !r.departmentContact) continue;
    byDepartment.set(r.department, [...(byDepartment.get(r.department) ?? []), { row: r.rowNumber, contact: r.departmentContact }]);
  }
  const column = columns.fields[DEPARTMENT_CONTACT.name]?.header ?? DEPARTMENT_CONTACT.label;
  const issues: SheetIssue[] = [];
  for (const [department, mentions] of byDepartment) {
    if (new Set(mentions.map((m) => m.contact.mobile)).size < 2) continue;
    for (const m of mentions) {
      const others = mentions
        .filter((o) => o.contact.mobile !== m.contact.mobile)
        .map((o) => `第 ${o.row} 行是 ${o.contact.name} ${o.contact.mobile}`)
        .join('，');
      issues.push({
        row: m.row, column,
        message: `责任单位“${department}”的联系人不一致：这里是 ${m.contact.name} ${m.contact.mobile}，${others}；同一责任单位只能有一个联系人`,
      });
    }
  }
  return issues;
}

/** Each department's contact from valid rows (conflicts are refused before this is used). */
export function departmentContacts(rows: RowIdentity[]): SheetDepartmentContact[] {
  const out = new Map<string, SheetDepartmentContact>();
  for (const r of rows) {
    if (!r.department || !r.departmentContact || out.has(r.department)) continue;
    out.set(r.department, { department: r.department, contact: r.departmentContact, row: r.rowNumber });
  }
  return [...out.values()];
}
