// The people the sheet names, written inside the import's transaction: new ones created,
// known ones brought up to date, and name-only references resolved against the stored projects.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { DisplayChange } from './change-labels.js';
import { PERSON_ROLES, type ColumnMap } from './header-map.js';
import type { ExistingProject } from './registry-diff.js';
import * as store from './registry-store.js';
import type { ProjectRow } from './row-schema.js';
import type { SheetPerson } from './sheet-consistency.js';
import type { SheetIssue } from './sheet-issue.js';

/** The project column each sheet role fills. */
export const ROLE_COLUMN = { owner: 'owner_id', leader: 'leader_id', viceMayor: 'vice_mayor_id' } as const;

export type SheetPeopleResult = {
  idByKey: Map<string, number>;
  created: number;
  updated: { mobile: string | null; changes: DisplayChange[] }[];
  issues: SheetIssue[];
};

/**
 * Creates the sheet's new people and brings existing ones up to date. People are keyed by
 * mobile; an e-mail may link a stored person who had no mobile yet. A changed name is a change.
 */
export async function upsertSheetPeople(trx: Kysely<Database>, people: SheetPerson[], columns: ColumnMap, now: Date): Promise<SheetPeopleResult> {
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
export async function nameOnlyResolver(trx: Kysely<Database>, projects: ProjectRow[], existing: ExistingProject[]) {
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
